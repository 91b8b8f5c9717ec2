"""/metrics and /healthz: the series an operator graphs and alerts on, and the health answer."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot.db import Database
from bot.models import OutboxMessage, Priority
from bot.services import delivery, outbox
from bot.services.delivery import Delivery
from chibot.metrics import Metrics, serve_metrics
from jobs.dispatcher import outcome_of

TOKEN = "987654321:AAHsecret-bot-token-never-shown"
DB_PASSWORD = "db-pw-never-shown"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def fill_outbox(db: Database, now: datetime) -> None:
    """Queued rows of each lane: 3 pending due (oldest 10 min overdue), 1 pending tomorrow,
    1 sending, 1 sent; the bot token sits in a payload and an error, where it must stay."""

    def add(key: str, at: datetime, priority: int) -> int:
        with db.session() as session:
            outbox.enqueue_message(
                session=session,
                dedupe_key=key,
                chat_id="5001",
                text=f"Nhắc họp chi bộ {key} {TOKEN}",
                now=at,
                is_group=False,
                priority=priority,
            )
            row = session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()
            assert row.id is not None
            return row.id

    add("reply:1", now - timedelta(minutes=1), Priority.INTERACTIVE)
    add("reply:2", now - timedelta(seconds=5), Priority.INTERACTIVE)
    add("notice:1", now - timedelta(minutes=10), Priority.BULK)
    add("notice:later", now + timedelta(days=1), Priority.BULK)
    sending = add("reminder:1", now - timedelta(hours=2), Priority.NORMAL)
    sent = add("reminder:2", now - timedelta(hours=3), Priority.NORMAL)
    with db.session() as session:
        assert delivery.claim(session=session, ids=[sending, sent], now=now) == [sending, sent]
        delivery.record_delivery(
            session=session,
            row_id=sent,
            delivery=Delivery(kind="sent", provider_message_id="77", error=f"ok {TOKEN}"),
            now=now,
            retry_base=timedelta(seconds=10),
        )


def test_metrics_text_has_every_series_after_some_events(db: Database, now: datetime) -> None:
    fill_outbox(db, now)
    metrics = Metrics(db, now=lambda: now, channels=["telegram", "zalo"])
    metrics.update_handled("telegram")
    metrics.update_handled("telegram")
    metrics.update_handled("zalo", "duplicate")
    for outcome in ("sent", "sent", "sent", "rate_limited", "blocked", "retry"):
        metrics.message("telegram", outcome)
    metrics.message("zalo", "quota")
    metrics.observe_tick(0.2)
    with metrics.tick_timer():
        pass
    metrics.set_leader(True)

    text = metrics.render().decode()
    found = samples(text)

    assert value(found, "chibot_updates_handled_total", channel="telegram", outcome="handled") == 2
    assert value(found, "chibot_updates_handled_total", channel="zalo", outcome="duplicate") == 1
    assert value(found, "chibot_messages_total", channel="telegram", outcome="sent") == 3
    assert value(found, "chibot_messages_total", channel="telegram", outcome="rate_limited") == 1
    assert value(found, "chibot_messages_total", channel="telegram", outcome="blocked") == 1
    assert value(found, "chibot_messages_total", channel="telegram", outcome="failed") == 0
    assert value(found, "chibot_messages_total", channel="zalo", outcome="quota") == 1
    assert value(found, "chibot_messages_total", channel="zalo", outcome="sent") == 0
    assert value(found, "chibot_tick_duration_seconds_count") == 2
    assert 0.2 <= value(found, "chibot_tick_duration_seconds_sum") < 1
    assert value(found, "chibot_tick_duration_seconds_bucket", le="0.25") == 2
    assert value(found, "chibot_leader") == 1
    depth = {
        (labels["priority"], labels["status"]): v
        for (name, labels_set), v in found.items()
        if name == "chibot_outbox_depth"
        for labels in [dict(labels_set)]
    }
    assert depth == {
        ("interactive", "pending"): 2,
        ("interactive", "sending"): 0,
        ("normal", "pending"): 0,
        ("normal", "sending"): 1,
        ("bulk", "pending"): 2,  # one due, one tomorrow: both still to deliver
        ("bulk", "sending"): 0,
    }
    # The oldest due pending row: the bulk notice, due 10 minutes ago (tomorrow's is not due).
    assert value(found, "chibot_outbox_oldest_pending_age_seconds") == 600
    assert "# TYPE chibot_messages_total counter" in text
    assert "# TYPE chibot_outbox_depth gauge" in text
    assert "# TYPE chibot_tick_duration_seconds histogram" in text
    assert TOKEN not in text

    metrics.set_leader(False)
    assert value(samples(metrics.render().decode()), "chibot_leader") == 0
    with pytest.raises(ValueError, match="unknown message outcome"):
        metrics.message("telegram", "delivered")


def test_an_empty_outbox_reads_zero(db: Database, now: datetime) -> None:
    found = samples(Metrics(db, now=lambda: now).render().decode())
    assert value(found, "chibot_outbox_oldest_pending_age_seconds") == 0
    assert value(found, "chibot_outbox_depth", priority="bulk", status="pending") == 0


@pytest.fixture
async def served(db: Database, now: datetime) -> AsyncIterator[TestClient]:
    """The handlers mounted on an existing app (as on the webhook listener)."""
    fill_outbox(db, now)
    metrics = Metrics(db, now=lambda: now, leader=lambda: "worker-2:4711")
    app = web.Application()

    async def webhook(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_post(f"/telegram/{TOKEN}", webhook)
    metrics.mount(app)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_healthz_is_200_with_the_leader_and_the_outbox_age(served: TestClient) -> None:
    response = await served.get("/healthz")
    body = await response.text()

    assert response.status == 200
    assert response.content_type == "application/json"
    assert json.loads(body) == {
        "status": "ok",
        "database_reachable": True,
        "leader_known": True,
        "leader": "worker-2:4711",
        "oldest_pending_age_seconds": 600.0,
    }
    metrics = await served.get("/metrics")
    assert metrics.status == 200
    assert metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    exposition = await metrics.text()
    assert "chibot_outbox_depth{" in exposition
    openmetrics = await served.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert openmetrics.headers["Content-Type"].startswith("application/openmetrics-text")
    assert (await openmetrics.text()).endswith("# EOF\n")
    assert (await served.post(f"/telegram/{TOKEN}")).status == 200  # the app's own route
    for text in (body, exposition):
        assert TOKEN not in text
        assert TOKEN.split(":")[1] not in text


async def test_healthz_is_503_when_the_database_cannot_be_reached(tmp_path, now) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    urls = [
        f"sqlite:///{tmp_path}/no-such-directory/chibot.db",
        f"postgresql+psycopg://chibot:{DB_PASSWORD}@127.0.0.1:{port}/chibot?connect_timeout=3",
    ]
    asked: list[str] = []

    async def leader() -> bool:
        asked.append("asked")
        return False

    for url in urls:
        db = Database(url)
        asked.clear()

        metrics = Metrics(db, now=lambda: now, leader=leader)
        app = web.Application()
        metrics.mount(app)
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/healthz")
            body = await response.text()
            exposition = await (await client.get("/metrics")).text()
        db.dispose()

        assert response.status == 503, url
        assert json.loads(body) == {
            "status": "unavailable",
            "database_reachable": False,
            "leader_known": False,
            "leader": None,
            "oldest_pending_age_seconds": None,
        }
        assert asked == ["asked"]
        # The scrape still answers, without the outbox series it could not read.
        assert "chibot_leader 0.0" in exposition
        assert "chibot_outbox_depth" not in exposition
        assert DB_PASSWORD not in body + exposition


async def test_a_failing_leader_probe_means_not_known(db: Database, now: datetime) -> None:
    def broken() -> str:
        raise RuntimeError("lease table locked")

    metrics = Metrics(db, now=lambda: now, leader=broken)
    health = await metrics.health()
    assert (health.database_reachable, health.leader_known, health.leader) == (True, False, None)
    assert health.oldest_pending_age_seconds == 0.0


async def test_the_standalone_server_serves_both(db: Database, now: datetime) -> None:
    metrics = Metrics(db, now=lambda: now, leader=lambda: True)
    metrics.message("telegram", "sent")
    runner = await serve_metrics(metrics, "127.0.0.1:0")
    try:
        host, port = runner.addresses[0][:2]
        async with ClientSession() as http:
            async with http.get(f"http://{host}:{port}/healthz") as response:
                assert response.status == 200
                health = await response.json()
            async with http.get(f"http://{host}:{port}/metrics") as response:
                assert response.status == 200
                exposition = await response.text()
    finally:
        await runner.cleanup()
    assert (health["leader_known"], health["leader"]) == (True, None)
    assert value(samples(exposition), "chibot_messages_total", channel="telegram", outcome="sent")
    with pytest.raises(ValueError, match="host:port"):
        await serve_metrics(metrics, "9100")


@pytest.mark.parametrize(
    ("delivery", "expected"),
    [
        (Delivery(kind="sent", provider_message_id="1"), "sent"),
        (Delivery(kind="retry", retry_after=3.0, error="429"), "rate_limited"),
        (Delivery(kind="retry", error="TimedOut"), "retry"),
        (Delivery(kind="migrated", new_chat_id="-1002"), "retry"),
        (Delivery(kind="unreachable", error="403 blocked"), "blocked"),
        (Delivery(kind="quota", error="quota"), "quota"),
        (Delivery(kind="failed", error="400"), "failed"),
    ],
)
def test_every_send_outcome_is_a_counted_outcome(
    db: Database, delivery: Delivery, expected: str
) -> None:
    # The dispatcher names the outcome; the counter refuses names it does not know.
    assert outcome_of(delivery) == expected
    metrics = Metrics(db, channels=["telegram"])
    metrics.message("telegram", outcome_of(delivery))
    found = samples(metrics.render().decode())
    assert value(found, "chibot_messages_total", channel="telegram", outcome=expected) == 1

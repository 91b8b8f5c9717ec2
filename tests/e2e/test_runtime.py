"""The runtime without Telegram: a Zalo-only bot, its tick, and Zalo's monthly quota."""

from __future__ import annotations

import io
import socket
import time

import aiohttp
import pytest
from sqlmodel import select

from bot.clock import OffsetClock
from bot.config import Settings
from bot.db import Database
from bot.models import OutboxMessage, OutboxStatus
from bot.services import outbox, quota
from chibot.cli import main
from chibot.runtime import Runtime
from fake_zalo import FakeZalo
from tests.e2e.conftest import ZALO_TOKEN


def _zalo_only(zapi: FakeZalo, database_url: str, **more: object) -> Settings:
    values: dict[str, object] = {
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "CHIBOT_ZALO_API_URL": zapi.url,
        "CHIBOT_DATABASE_URL": database_url,
        "CHIBOT_TICK_SECONDS": 3600,
        "CHIBOT_RETRY_BASE_SECONDS": 0.2,
        "CHIBOT_HTTP_TIMEOUT": 3,
    }
    values.update(more)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_a_zalo_only_bot_runs_without_telegram(database_url: str) -> None:
    async with FakeZalo(token=ZALO_TOKEN, bot_name="chibot") as zapi:
        settings = _zalo_only(zapi, database_url)
        db = Database(settings.database_url)
        db.upgrade()
        runtime = Runtime(settings, clock=OffsetClock(), db=db)
        assert runtime.telegram is None
        await runtime.start(poll_timeout=1)
        try:
            assert set(runtime.dispatchers) == {"zalo"}
            assert runtime.scheduler is not None
            assert runtime.scheduler.get_job("tick") is not None
            mai = zapi.add_user("Lê Thị Mai")
            since = time.monotonic()
            await zapi.user_sends(mai, "/trogiup")
            reply = await zapi.next_call(
                "sendMessage", where=lambda c: c.params["chat_id"] == mai.id and c.at >= since
            )
            assert "/lichhop" in reply.params["text"]
            assert "<b>" not in reply.params["text"]
            await runtime.tick()
        finally:
            await runtime.stop()
            db.dispose()


async def test_health_and_metrics_of_a_running_bot(database_url: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    async with FakeZalo(token=ZALO_TOKEN, bot_name="chibot") as zapi:
        settings = _zalo_only(zapi, database_url, CHIBOT_METRICS_LISTEN=f"127.0.0.1:{port}")
        db = Database(settings.database_url)
        db.upgrade()
        runtime = Runtime(settings, clock=OffsetClock(), db=db)
        await runtime.start(poll_timeout=1)
        try:
            await runtime.heartbeat()
            await runtime.tick()
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    health = await response.json()
                    assert response.status == 200
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    text = await response.text()
        finally:
            await runtime.stop()
            db.dispose()
    assert health["database_reachable"] is True
    assert health["leader"] == runtime.process_id
    assert "chibot_leader 1.0" in text
    assert "chibot_tick_duration_seconds_count 1.0" in text
    assert ZALO_TOKEN.split(":")[1] not in text


async def test_messages_refused_for_the_quota_are_recorded_and_counted(
    database_url: str,
) -> None:
    async with FakeZalo(token=ZALO_TOKEN, bot_name="chibot", monthly_quota=2) as zapi:
        settings = _zalo_only(zapi, database_url, CHIBOT_ZALO_MONTHLY_QUOTA=3)
        db = Database(settings.database_url)
        db.upgrade()
        runtime = Runtime(settings, clock=OffsetClock(), db=db)
        await runtime.start(poll_timeout=1)
        try:
            people = [zapi.add_user(f"Đảng viên {i}") for i in range(3)]
            for person in people:
                await zapi.user_sends(person, "/trogiup")
            await zapi.next_call("sendMessage")
            await zapi.next_call("sendMessage")
            await zapi.next_call("sendMessage")
            await runtime.drain()
        finally:
            await runtime.stop()
        with db.session() as session:
            statuses = sorted(row.status for row in session.exec(select(OutboxMessage)).all())
            use = quota.quota_use(
                session=session, channel="zalo", quota=3, now=runtime.core.clock.now()
            )
        db.dispose()
    assert statuses == [OutboxStatus.QUOTA, OutboxStatus.SENT, OutboxStatus.SENT]
    assert (use.sent, use.refused) == (2, 1)
    assert use.nearly_used


def test_org_list_warns_when_the_zalo_quota_is_nearly_used(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("ZALO_BOT_TOKEN", ZALO_TOKEN)
    monkeypatch.setenv("CHIBOT_ZALO_MONTHLY_QUOTA", "1")
    out = io.StringIO()
    assert main(["org", "add", "Chi bộ Văn phòng"], out=out) == 0
    db = Database(database_url)
    with db.session() as session:
        outbox.enqueue_message(
            session=session,
            dedupe_key="z",
            chat_id="1",
            text="x",
            is_group=False,
            channel="zalo",
            now=OffsetClock().now(),
        )
        row = session.exec(select(OutboxMessage)).one()
        row.status, row.sent_at = OutboxStatus.SENT, OffsetClock().now()
    db.dispose()
    out = io.StringIO()
    assert main(["org", "list"], out=out) == 0
    assert "Zalo this month: 1 of 1 messages (100%)" in out.getvalue()
    assert "WARNING" in out.getvalue()

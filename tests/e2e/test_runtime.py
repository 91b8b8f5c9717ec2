"""The runtime without Telegram: a Zalo-only bot, its tick, and Zalo's monthly quota."""

from __future__ import annotations

import io
import time
from pathlib import Path

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


def _zalo_only(zapi: FakeZalo, db_path: Path, **more: object) -> Settings:
    values: dict[str, object] = {
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "CHIBOT_ZALO_API_URL": zapi.url,
        "CHIBOT_DATABASE_URL": f"sqlite:///{db_path}",
        "CHIBOT_TICK_SECONDS": 3600,
        "CHIBOT_RETRY_BASE_SECONDS": 0.2,
        "CHIBOT_HTTP_TIMEOUT": 3,
    }
    values.update(more)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_a_zalo_only_bot_runs_without_telegram(tmp_path: Path) -> None:
    async with FakeZalo(token=ZALO_TOKEN, bot_name="chibot") as zapi:
        settings = _zalo_only(zapi, tmp_path / "z.db")
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


async def test_messages_refused_for_the_quota_are_recorded_and_counted(
    tmp_path: Path,
) -> None:
    async with FakeZalo(token=ZALO_TOKEN, bot_name="chibot", monthly_quota=2) as zapi:
        settings = _zalo_only(zapi, tmp_path / "q.db", CHIBOT_ZALO_MONTHLY_QUOTA=3)
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
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ZALO_BOT_TOKEN", ZALO_TOKEN)
    monkeypatch.setenv("CHIBOT_ZALO_MONTHLY_QUOTA", "1")
    out = io.StringIO()
    assert main(["org", "add", "Chi bộ Văn phòng"], out=out) == 0
    db = Database(f"sqlite:///{tmp_path / 'cli.db'}")
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

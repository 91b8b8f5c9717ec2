"""Webhook mode with the secret header, and the periodic tick on the runtime's scheduler."""

from __future__ import annotations

import socket
from datetime import timedelta

from sqlmodel import select

from bot.clock import OffsetClock
from bot.db import Database
from bot.models import FlowState
from chibot.runtime import Runtime
from fake_telegram import FakeTelegram
from tests.e2e.conftest import Bot, make_settings
from tests.e2e.flows import linked_cell


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_receives_updates_with_the_secret(
    api: FakeTelegram, database_url: str
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = make_settings(
        api,
        database_url,
        CHIBOT_WEBHOOK_URL=url,
        CHIBOT_WEBHOOK_SECRET="bi-mat-123",
        CHIBOT_LISTEN=f"127.0.0.1:{port}",
    )
    db = Database(settings.database_url)
    db.upgrade()
    runtime = Runtime(settings, clock=OffsetClock(), db=db)
    await runtime.start()
    try:
        hook = await api.next_call("setWebhook")
        assert hook.params["url"] == url
        assert hook.params["secret_token"] == "bi-mat-123"
        user = api.add_user("Lan")
        await api.user_sends(user, "/start")
        reply = await api.next_call("sendMessage", where=lambda c: c.params["chat_id"] == user.id)
        assert reply.result is not None
        assert reply.result["text"].startswith("Chào đồng chí!")
    finally:
        await runtime.stop()
        db.dispose()


async def test_tick_expires_forms_left_open_for_a_month(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    await bot.say(secretary, "/moi")
    with bot.db.session() as session:
        assert len(session.exec(select(FlowState)).all()) == 1

    bot.clock.advance(timedelta(days=31))
    # The tick as the scheduler runs it, without waiting for the timer.
    job = bot.runtime.scheduler.get_job("tick")  # type: ignore[union-attr]
    await job.func()

    with bot.db.session() as session:
        assert session.exec(select(FlowState)).all() == []
    reply = await bot.say(secretary, "Trần Thị Lan")
    assert reply["text"].startswith("Tôi chưa hiểu ý đồng chí.")

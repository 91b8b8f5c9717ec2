"""Webhook mode with the secret header, and the periodic tick on the JobQueue."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.app import build_application, start_webhook, stop_polling
from bot.clock import OffsetClock
from bot.db import Database
from bot.models import FlowState
from fake_telegram import FakeTelegram
from jobs.tick import tick_job
from tests.e2e.conftest import Bot, make_settings
from tests.e2e.flows import linked_cell


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_receives_updates_with_the_secret(
    api: FakeTelegram, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = make_settings(api, tmp_path / "hook.db")
    db = Database(settings.database_url)
    db.upgrade()
    app = build_application(settings, clock=OffsetClock(), db=db)
    await start_webhook(app, listen="127.0.0.1", port=port, url=url, secret="bi-mat-123")
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
        await stop_polling(app)
        db.dispose()


async def test_tick_expires_forms_left_open_for_a_month(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    await bot.say(secretary, "/moi")
    with bot.db.session() as session:
        assert len(session.exec(select(FlowState)).all()) == 1

    bot.clock.advance(timedelta(days=31))
    # The tick as the JobQueue runs it, with its real context, without waiting for the timer.
    job = bot.app.job_queue.run_once(tick_job, when=3600)
    await job.run(bot.app)
    job.schedule_removal()

    with bot.db.session() as session:
        assert session.exec(select(FlowState)).all() == []
    reply = await bot.say(secretary, "Trần Thị Lan")
    assert reply["text"].startswith("Tôi chưa hiểu ý đồng chí.")

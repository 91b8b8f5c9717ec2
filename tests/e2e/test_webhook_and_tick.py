"""Webhook mode with the secret header, and the periodic tick on the runtime's scheduler."""

from __future__ import annotations

import hashlib
import socket
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.clock import OffsetClock
from bot.db import Database
from bot.models import FlowState, ProcessedUpdate
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
    base = f"http://127.0.0.1:{port}"
    secret = "bi-mat-123"
    settings = make_settings(
        api,
        database_url,
        CHIBOT_WEBHOOK_URL=base,
        CHIBOT_WEBHOOK_SECRET=secret,
        CHIBOT_LISTEN=f"127.0.0.1:{port}",
    )
    db = Database(settings.database_url)
    db.upgrade()
    runtime = Runtime(settings, clock=OffsetClock(), db=db)
    await runtime.start()
    try:
        hook = await api.next_call("setWebhook")
        # An unguessable path derived from the secret, not the bare address.
        digest = hashlib.sha256(secret.encode()).hexdigest()[:32]
        assert hook.params["url"] == f"{base}/telegram/{digest}"
        assert hook.params["secret_token"] == secret
        user = api.add_user("Lan")
        await api.user_sends(user, "/start")
        reply = await api.next_call("sendMessage", where=lambda c: c.params["chat_id"] == user.id)
        assert reply.result is not None
        assert reply.result["text"].startswith("Chào đồng chí!")

        forged = {
            "update_id": 990001,
            "message": {
                "message_id": 1,
                "date": 1,
                "text": "/start",
                "from": {"id": user.id, "is_bot": False, "first_name": "Lan"},
                "chat": {"id": user.id, "type": "private"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with aiohttp.ClientSession() as http:
            for headers in ({"X-Telegram-Bot-Api-Secret-Token": "sai-bi-mat"}, {}):
                async with http.post(hook.params["url"], json=forged, headers=headers) as answer:
                    assert answer.status in {401, 403}
            # The bare address is no webhook at all.
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with http.post(base + "/", json=forged, headers=headers) as answer:
                assert answer.status == 404
        await runtime.drain()
        assert len(api.messages_in(user)) == 1
        with db.session() as session:
            assert (
                session.exec(
                    select(ProcessedUpdate).where(ProcessedUpdate.update_id == "990001")
                ).first()
                is None
            )
    finally:
        await runtime.stop()
        db.dispose()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"CHIBOT_WEBHOOK_URL": "https://bot.example.org"}, "CHIBOT_WEBHOOK_SECRET"),
        (
            {"CHIBOT_WEBHOOK_URL": "https://bot.example.org", "CHIBOT_WEBHOOK_SECRET": "ngắn"},
            "CHIBOT_WEBHOOK_SECRET",
        ),
        (
            {
                "ZALO_BOT_TOKEN": "1234567890:zalo",
                "CHIBOT_ZALO_WEBHOOK_URL": "https://bot.example.org",
            },
            "CHIBOT_ZALO_WEBHOOK_SECRET",
        ),
    ],
)
def test_webhook_mode_without_a_secret_refuses_to_start(
    api: FakeTelegram, overrides: dict[str, str], named: str
) -> None:
    settings = make_settings(api, "sqlite:///unused.db", **overrides)
    with pytest.raises(ValueError, match=named):
        Runtime(settings)


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

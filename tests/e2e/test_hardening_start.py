"""Starting against a Bot API that is down, and no token in any log line whatever happens."""

from __future__ import annotations

import asyncio
import logging
import socket
from types import SimpleNamespace

import pytest
from telegram.error import InvalidToken

from bot.clock import OffsetClock
from bot.db import Database
from chibot.process import ProcessSettings
from chibot.runtime import Runtime
from fake_telegram import FakeTelegram
from tests.e2e.conftest import BOT_USERNAME, TOKEN, make_settings
from tests.procs import wait_for

FAST_RETRY = ProcessSettings(
    CHIBOT_CONNECT_RETRY_SECONDS=0.05, CHIBOT_CONNECT_RETRY_MAX_SECONDS=0.2
)
ATTEMPT_LINE = "cannot reach the Telegram Bot API (attempt"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _runtime(api_url: str, database_url: str) -> tuple[Runtime, Database]:
    settings = make_settings(SimpleNamespace(url=api_url), database_url)  # type: ignore[arg-type]
    db = Database(settings.database_url)
    db.upgrade()
    return Runtime(settings, clock=OffsetClock(), db=db, process=FAST_RETRY), db


async def test_start_waits_for_a_bot_api_that_answers_502(
    api: FakeTelegram, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="chibot.runtime")
    # Both connections (updates, sends) ask getMe: six refusals outlast three attempts.
    api.inject_fault("getMe", "server_error", count=6)
    runtime, db = _runtime(api.url, database_url)
    try:
        await asyncio.wait_for(runtime.start(poll_timeout=1), timeout=30)
        assert runtime.core.bot_username == BOT_USERNAME
        lines = [m for m in caplog.messages if ATTEMPT_LINE in m]
        numbers = [int(line.split("attempt ")[1].split(":")[0]) for line in lines]
        assert numbers == list(range(1, len(numbers) + 1))
        assert len(numbers) >= 3
        assert "Bad Gateway" in lines[0]
        # It runs: a person gets an answer.
        user = api.add_user("Lan")
        await api.user_sends(user, "/start")
        reply = await api.next_call("sendMessage", where=lambda c: c.params["chat_id"] == user.id)
        assert reply.result is not None
    finally:
        await runtime.stop()
        db.dispose()


async def test_start_waits_for_a_bot_api_that_is_not_up_yet(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="chibot.runtime")
    port = _free_port()
    runtime, db = _runtime(f"http://127.0.0.1:{port}", database_url)
    starting = asyncio.create_task(runtime.start(poll_timeout=1))
    try:
        await wait_for(
            lambda: sum(ATTEMPT_LINE in m for m in caplog.messages) >= 3, 30, "three attempts"
        )
        assert not starting.done()
        late = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME)
        await late.start(port=port)
        try:
            await asyncio.wait_for(starting, timeout=30)
            assert runtime.core.bot_username == BOT_USERNAME
            await runtime.stop()
        finally:
            await late.stop()
    finally:
        if not starting.done():
            starting.cancel()
        await runtime.stop()
        db.dispose()


async def test_a_refused_token_stops_the_start_at_once(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="chibot.runtime")
    async with FakeTelegram(token="999:ANOTHER-TOKEN-xyz", bot_username=BOT_USERNAME) as other:
        runtime, db = _runtime(other.url, database_url)
        try:
            with pytest.raises(InvalidToken):
                await asyncio.wait_for(runtime.start(poll_timeout=1), timeout=30)
            assert not any(ATTEMPT_LINE in m for m in caplog.messages)
        finally:
            await runtime.stop()
            db.dispose()


# --- the token in logs ---------------------------------------------------------------------


@pytest.fixture
def every_log_line(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Captures every record of every logger, down to DEBUG (where libraries print URLs)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def _leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    secret_half = TOKEN.split(":", 1)[1]
    found = []
    for record in caplog.records:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + (
                record.exc_text or logging.Formatter().formatException(record.exc_info)
            )
        if TOKEN in text or secret_half in text:
            found.append(f"{record.name}: {text[:300]}")
    return found


async def test_no_log_line_carries_the_token(
    api: FakeTelegram, database_url: str, every_log_line: pytest.LogCaptureFixture
) -> None:
    # A start through an outage, a send refused then retried, a person's command, a stop.
    api.inject_fault("getMe", "server_error", count=2)
    runtime, db = _runtime(api.url, database_url)
    try:
        await asyncio.wait_for(runtime.start(poll_timeout=1), timeout=30)
        api.inject_fault("sendMessage", "server_error", count=1)
        api.inject_fault("sendMessage", "drop", count=1)
        user = api.add_user("Lan")
        await api.user_sends(user, "/start")
        await api.next_call(
            "sendMessage",
            where=lambda c: c.params["chat_id"] == user.id and c.result is not None,
            timeout=20,
        )
    finally:
        await runtime.stop()
        db.dispose()
    # A token the server refuses: python-telegram-bot names it in InvalidToken.
    async with FakeTelegram(token="999:ANOTHER-TOKEN-xyz", bot_username=BOT_USERNAME) as other:
        runtime, db = _runtime(other.url, database_url)
        try:
            with pytest.raises(InvalidToken) as refused:
                await runtime.start(poll_timeout=1)
            logging.getLogger("chibot").error("start failed", exc_info=refused.value)
        finally:
            await runtime.stop()
            db.dispose()

    assert TOKEN in str(refused.value)  # the exception itself names it; no log line does
    assert len(every_log_line.records) > 20
    assert _leaks(every_log_line) == []

"""What an operator sees of a running bot: /metrics counting its traffic, and its log lines
(one per update and per send, by id), which never show the bot token."""

from __future__ import annotations

import logging
import re
import socket
import time

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import OffsetClock
from fake_telegram import FakeTelegram
from tests.e2e.conftest import TOKEN, launch


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def counters(exposition: str) -> dict[tuple[str, str, str], float]:
    """The `*_total` samples by (name, channel, outcome)."""
    return {
        (sample.name, sample.labels["channel"], sample.labels["outcome"]): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name.endswith("_total") and "outcome" in sample.labels
    }


async def test_metrics_count_updates_and_sends_and_logs_name_them_without_the_token(
    api: FakeTelegram, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # DEBUG everywhere: python-telegram-bot's and httpx's own lines carry the API URL, and with
    # it the token, which must be masked wherever it comes from.
    for name in ("", "httpx", "telegram"):  # whatever level another test left them at
        caplog.set_level(logging.DEBUG, logger=name)
    port = free_port()
    bot = await launch(api, database_url, OffsetClock(), CHIBOT_METRICS_LISTEN=f"127.0.0.1:{port}")
    try:
        an, binh, chi = api.add_user("An"), api.add_user("Bình"), api.add_user("Chi")
        await bot.say(an, "/trogiup")
        # Bình's reply first meets a 429, then goes through; Chi has blocked the bot.
        api.inject_fault("sendMessage", "retry_after", chat_id=binh, retry_after=1)
        since = time.monotonic()
        await api.user_sends(binh, "/trogiup")
        await api.next_call(
            "sendMessage",
            timeout=10,
            where=lambda c: c.params["chat_id"] == binh.id and c.at >= since and c.ok,
        )
        api.inject_fault("sendMessage", "forbidden", chat_id=chi)
        await api.user_sends(chi, "/trogiup")
        await api.next_call(
            "sendMessage", where=lambda c: c.params["chat_id"] == chi.id and not c.ok
        )
        await bot.settle()
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            assert response.status == 200
            exposition = await response.text()
    finally:
        await bot.stop()

    found = counters(exposition)
    assert found[("chibot_updates_handled_total", "telegram", "handled")] == 3
    assert found[("chibot_updates_handled_total", "telegram", "error")] == 0
    assert found[("chibot_messages_total", "telegram", "sent")] >= 2
    assert found[("chibot_messages_total", "telegram", "rate_limited")] == 1
    assert found[("chibot_messages_total", "telegram", "blocked")] == 1
    assert found[("chibot_messages_total", "telegram", "failed")] == 0

    lines = caplog.text
    assert re.search(r"telegram update \d+ handled: /trogiup in \d+ ms", lines), lines
    assert re.search(r"outbox row \d+ sent to telegram", lines), lines
    assert re.search(r"outbox row \d+ to telegram: rate_limited .*retry after 1 s", lines)
    assert re.search(r"outbox row \d+ to telegram: blocked", lines), lines
    # The libraries did log the API URL (the token is its secret half and more); it was masked.
    assert "/bot[redacted]/" in lines
    secret = TOKEN.split(":", 1)[1]
    for record in caplog.records:
        shown = record.getMessage() + (record.exc_text or "")
        assert secret not in shown, shown
    assert secret not in lines
    assert TOKEN not in exposition

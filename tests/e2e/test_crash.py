"""Reliability: the bot process is SIGKILLed mid-send and started again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.db import Database
from bot.models import Priority
from bot.services import outbox
from fake_telegram import FakeTelegram, RateLimits
from tests.e2e.conftest import BOT_USERNAME, TOKEN

RECIPIENTS = 500


def _start_bot(api: FakeTelegram, db_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CHIBOT_DATABASE_URL": f"sqlite:///{db_path}",
        "CHIBOT_TELEGRAM_API_URL": api.url,
        "CHIBOT_RETRY_BASE_SECONDS": "0.2",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "chibot", "run"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def _wait_until(condition: object, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():  # type: ignore[operator]
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_sigkill_mid_send_loses_nothing_and_doubles_little(tmp_path: Path) -> None:
    async with FakeTelegram(
        token=TOKEN, bot_username=BOT_USERNAME, rate_limits=RateLimits()
    ) as api:
        users = [api.add_user(f"Đảng viên {i}", started=True) for i in range(RECIPIENTS)]
        db_path = tmp_path / "crash.db"
        db = Database(f"sqlite:///{db_path}")
        db.upgrade()
        with db.session() as session:
            rows = []
            for user in users:
                rows.extend(
                    outbox.message_rows(
                        dedupe_key=f"announcement:1:{user.id}",
                        chat_id=str(user.id),
                        text="Thông báo: sinh hoạt chi bộ thường kỳ tháng 12.",
                        priority=Priority.BULK,
                        is_group=False,
                        now=SystemClock().now(),
                    )
                )
            outbox.enqueue_many(session=session, rows=rows)
        db.dispose()
        log = tmp_path / "bot.log"

        first = _start_bot(api, db_path, log)
        try:
            await _wait_until(lambda: api.sent_count() >= 150, 60)
        finally:
            first.kill()
            await asyncio.to_thread(first.wait, 30)
        sent_before_restart = api.sent_count()
        assert sent_before_restart < RECIPIENTS

        second = _start_bot(api, db_path, log)
        try:
            await _wait_until(lambda: all(api.sent_count(u.id) >= 1 for u in users), 90)
        finally:
            # The fake server lives on this event loop: never block it while the bot shuts down.
            second.terminate()
            await asyncio.to_thread(second.wait, 30)

        counts = [api.sent_count(u.id) for u in users]
        assert min(counts) == 1
        assert max(counts) <= 2
        assert api.rate_limited_count == 0, log.read_text()

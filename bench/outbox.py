"""Outbox throughput against Telegram's limits, and a person's reply latency during a bulk send.

Sends 2,000 messages to 2,000 private chats through the fake Bot API server enforcing 30/s
overall and 1/s per chat, while one person keeps tapping a button. Prints the achieved rate as
a ratio of the limit, the 429s received, the messages lost, and the p95 latency of the replies.

Run: make bench   (or: .venv/bin/python bench/outbox.py [--messages N])
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import SystemClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import OutboxStatus, Priority  # noqa: E402
from bot.services import outbox  # noqa: E402
from chibot.runtime import Runtime  # noqa: E402
from fake_telegram import FakeTelegram, RateLimits  # noqa: E402

TOKEN = "123456:BENCH"  # noqa: S105 - the fake server's token
LIMIT = 30.0
SENDING = {"sendMessage", "editMessageText"}


async def run(messages: int) -> dict[str, float]:
    limits = RateLimits(global_per_second=LIMIT, private_per_second=1, group_per_minute=20)
    async with FakeTelegram(
        token=TOKEN, bot_username="chibot_bench_bot", rate_limits=limits
    ) as api:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                TELEGRAM_BOT_TOKEN=TOKEN,
                CHIBOT_DATABASE_URL=url,
                CHIBOT_TELEGRAM_API_URL=api.url,
                CHIBOT_TICK_SECONDS=3600,
            )
            db = Database(url)
            db.upgrade()
            app = Runtime(settings, db=db)
            await app.start(poll_timeout=5)
            try:
                return await _measure(api, db, app, messages)
            finally:
                await app.stop()
                db.dispose()


async def _measure(
    api: FakeTelegram, db: Database, app: Runtime, messages: int
) -> dict[str, float]:
    recipients = [api.add_user(f"Đảng viên {i}", started=True) for i in range(messages)]
    person = api.add_user("Người bấm nút")
    picker = await _language_picker(api, person)

    with db.session() as session:
        rows = []
        for user in recipients:
            rows.extend(
                outbox.message_rows(
                    dedupe_key=f"bench:{user.id}",
                    chat_id=str(user.id),
                    text="Thông báo: sinh hoạt chi bộ thường kỳ tháng 12 lúc 19:30.",
                    priority=Priority.BULK,
                    is_group=False,
                    now=SystemClock().now(),
                )
            )
        outbox.enqueue_many(session=session, rows=rows)
    app.wake()

    latencies: list[float] = []
    # The picker's buttons vanish once tapped; the same data still reaches the bot, like a
    # person tapping an older copy of the picker.
    choices = ["lang|en", "lang|vi"]
    while api.sent_count() < messages:
        started = time.monotonic()
        query_id = await api.user_taps(person, picker, data=choices[len(latencies) % 2])
        await api.next_call(
            "answerCallbackQuery",
            timeout=30,
            where=lambda c, q=query_id: c.params["callback_query_id"] == q,
        )
        edit = await api.next_call("editMessageText", timeout=30)
        latencies.append(edit.at - started)
        # A person taps every couple of seconds; faster would measure Telegram's 1/s per chat.
        await asyncio.sleep(1.5)
    await app.drain(within=120)

    sends = [c for c in api.calls if c.method in SENDING and c.result is not None]
    bulk = [c for c in sends if c.method == "sendMessage" and c.params["chat_id"] != person.id]
    span = bulk[-1].at - bulk[0].at
    achieved = (len([c for c in sends if bulk[0].at <= c.at <= bulk[-1].at]) - 1) / span
    with db.session() as session:
        counts = outbox.status_counts(session=session, key_prefix="bench:")
    delivered = {c.params["chat_id"] for c in bulk}
    lost = messages - len(delivered)
    return {
        "messages": float(messages),
        "achieved_per_second": achieved,
        "ratio_of_limit": achieved / LIMIT,
        "rate_limited_429": float(api.rate_limited_count),
        "lost": float(lost),
        "not_sent_rows": float(messages - counts.get(OutboxStatus.SENT, 0)),
        "reply_p50_s": statistics.median(latencies),
        "reply_p95_s": statistics.quantiles(latencies, n=20)[18]
        if len(latencies) >= 20
        else max(latencies),
        "reply_samples": float(len(latencies)),
    }


async def _language_picker(api: FakeTelegram, person: object) -> dict[str, object]:
    await api.user_sends(person, "/ngonngu")  # type: ignore[arg-type]
    call = await api.next_call("sendMessage", timeout=10)
    return call.result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    result = asyncio.run(run(args.messages))
    print(f"messages sent:                 {int(result['messages'])}")
    print(f"achieved rate:                 {result['achieved_per_second']:.2f} msg/s")
    print(f"ratio of the 30/s limit:       {result['ratio_of_limit']:.3f}   (target >= 0.95)")
    print(f"429 responses:                 {int(result['rate_limited_429'])}   (target 0)")
    print(f"messages lost:                 {int(result['lost'])}   (target 0)")
    print(f"rows not marked sent:          {int(result['not_sent_rows'])}")
    print(f"button reply latency p50:      {result['reply_p50_s']:.3f} s")
    print(
        f"button reply latency p95:      {result['reply_p95_s']:.3f} s   (target <= 1.5 s, "
        f"{int(result['reply_samples'])} samples)"
    )


if __name__ == "__main__":
    main()

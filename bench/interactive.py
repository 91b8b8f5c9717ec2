"""Interactive speed at 1,000 members, against a bare python-telegram-bot echo bot.

A cell of 1,000 joined members with an upcoming meeting (SQLite). The fake Telegram server runs
in this process, without rate limits; the bot under test is the real application (`python -m
chibot run`, a subprocess; its own limits, 30/s overall and 1/s per chat, pace its replies), and
the baseline a bare PTB echo bot with default settings (another subprocess), one at a time on
the same fake. Three repeats, the order of the two rotated; each figure is printed as
min / median / max of the bot's value over the echo bot's in the same repeat:

- RSVP taps ("Tham dự") handled per second: all 1,000 members tap at once; a tap is handled
  when its callback query is answered (the echo bot answers it). Then the same with a 50 ms
  network round trip on every call (the fake's `set_round_trip`);
- `/lichhop` commands handled per second (the bot: its log lines "telegram update … handled:
  /lichhop", one per update; the echo bot: its echoes), and the p95 time until a member sees
  the first reply while 1,000 are queued (the bot's replies, a card and a calendar file each,
  are paced by its 30/s limit; the cards go before the files, so the floor that pacing alone
  imposes on the first reply is one message per member at 30/s, printed beside it);
- lost: taps never answered, commands never replied to (must be 0);
- RSS of the process idle (after start-up) and after the storms;
- start-up: from launching the process to its first getUpdates.

The bot runs with `chibot run`'s defaults (no /metrics port, the tick every 30 s), its log at
INFO (one line per update and per send) in a file.

Run: .venv/bin/python bench/interactive.py [--quick] [--members N] [--repeats N] [--keep DIR]
(--quick: 200 members, one repeat, about a minute.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

TOKEN = "123456:BENCHINTERACTIVE"  # noqa: S105 - the fake server's token
USERNAME = "chibot_bench_bot"
ROUND_TRIP = 0.05
RATE_GLOBAL = 30.0  # the bot's own overall limit (its default)
SUBJECTS = ("bot", "echo")


# --- the echo bot (its own process: it imports python-telegram-bot and nothing else) ----------


def echo_main(api_url: str) -> None:
    """A bare python-telegram-bot echo bot with default settings: echoes text, answers taps."""
    from telegram import Update
    from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

    async def echo(update: Update, _: Any) -> None:
        if update.message is not None and update.message.text is not None:
            await update.message.reply_text(update.message.text)

    async def answer(update: Update, _: Any) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(answer))
    app.run_polling()


# --- the world -----------------------------------------------------------------------------


def build_cell(url: str, secretary_id: int, member_ids: list[int], group_id: int) -> int:
    """Migrates a database and fills it: one cell, its group, the secretary and the members
    (joined through their personal invites), a meeting in ten days; returns the meeting's id."""
    sys.path.insert(0, str(ROOT))
    from bot.db import Database
    from bot.models import MeetingKind, MemberStatus, Role
    from bot.services import invites, meetings, members, orgs, people

    now = datetime.now(UTC) - timedelta(hours=1)
    db = Database(url)
    db.upgrade()
    try:
        with db.session() as session:
            name = "Chi bộ Bench Tương tác"
            org, code = orgs.create_org(
                session=session,
                name=name,
                parent_name=None,
                timezone="Asia/Ho_Chi_Minh",
                locale="vi",
                now=now,
            )
            secretary = people.ensure_person(
                session=session,
                channel="telegram",
                external_id=str(secretary_id),
                display_name="Bí thư Bench",
                username=None,
                now=now,
            )
            org, _ = orgs.link_group(
                session=session,
                code=code,
                channel="telegram",
                chat_id=str(group_id),
                chat_title=name,
                admin=secretary,
                now=now,
            )
            assert org.id is not None
            added = members.add_members(
                session=session,
                org_id=org.id,
                names=[f"Đảng viên Số {i}" for i in range(len(member_ids))],
                role=Role.MEMBER,
                status=MemberStatus.FULL,
                actor=secretary,
                now=now,
            )
            for member, external in zip(added, member_ids, strict=True):
                assert member.id is not None
                token = invites.create_personal_invite(
                    session=session, org_id=org.id, member_id=member.id, actor=secretary, now=now
                )
                person = people.ensure_person(
                    session=session,
                    channel="telegram",
                    external_id=str(external),
                    display_name=member.full_name,
                    username=None,
                    now=now,
                )
                invites.accept_personal_invite(
                    session=session, token=token, person=person, now=now
                )
            meeting = meetings.create_meeting(
                session=session,
                org_id=org.id,
                draft=meetings.MeetingDraft(
                    kind=MeetingKind.REGULAR,
                    starts_at=now + timedelta(days=10),
                    topic="Sinh hoạt chi bộ thường kỳ",
                    place="Phòng họp tầng 2",
                ),
                actor=secretary,
                now=now,
            )
            assert meeting.id is not None
            return meeting.id
    finally:
        db.dispose()


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Watch:
    """What the fake server saw, per kind of call, since the watch was reset."""

    answered: dict[str, float] = field(default_factory=dict)  # callback query id -> at
    first_reply: dict[int, float] = field(default_factory=dict)  # chat id -> at
    documents: int = 0
    first_poll: float | None = None

    def reset(self) -> None:
        self.answered.clear()
        self.first_reply.clear()
        self.documents = 0
        self.first_poll = None

    def on_call(self, call: Any) -> None:
        if call.method == "answerCallbackQuery" and call.result is not None:
            self.answered.setdefault(str(call.params.get("callback_query_id")), call.at)
        elif call.method == "sendMessage" and call.result is not None:
            self.first_reply.setdefault(int(call.params["chat_id"]), call.at)
        elif call.method == "sendDocument" and call.result is not None:
            self.documents += 1
        elif call.method == "getUpdates" and self.first_poll is None:
            self.first_poll = call.at


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def until(check: Callable[[], bool], within: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


class LogCount:
    """Counts the lines of a growing log that contain `needle`."""

    def __init__(self, path: Path, needle: str) -> None:
        self.path = path
        self.needle = needle.encode()
        self._offset = 0
        self._tail = b""
        self.count = 0

    def read(self) -> int:
        with self.path.open("rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        self._offset += len(chunk)
        lines = (self._tail + chunk).split(b"\n")
        self._tail = lines.pop()
        self.count += sum(1 for line in lines if self.needle in line)
        return self.count


@dataclass
class Run:
    """One subject's figures in one repeat."""

    startup: float = 0.0
    rss_idle: float = 0.0
    rss_after: float = 0.0
    taps_per_s: float = 0.0
    taps_rtt_per_s: float = 0.0
    lichhop_per_s: float = 0.0
    first_reply_p95: float = 0.0
    lost: int = 0

    def line(self) -> str:
        return (
            f"start-up {self.startup:.2f} s, RSS {self.rss_idle:.0f} → {self.rss_after:.0f} MB, "
            f"taps {self.taps_per_s:.0f}/s ({self.taps_rtt_per_s:.0f}/s with the round trip), "
            f"/lichhop {self.lichhop_per_s:.0f}/s, p95 first reply {self.first_reply_p95:.1f} s, "
            f"lost {self.lost}"
        )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)] if ordered else float("nan")


def launch(subject: str, api_url: str, tmp: Path, repeat: int) -> subprocess.Popen[bytes]:
    """Starts the echo bot, or the real application with `chibot run`'s defaults on a copy of
    `tmp/world.db`, against the fake at `api_url`; output in `tmp/<subject>-<repeat>.log`."""
    log = (tmp / f"{subject}-{repeat}.log").open("wb")
    if subject == "echo":
        command = [sys.executable, str(Path(__file__).resolve()), "--echo", api_url]
        env = dict(os.environ)
    else:
        database = tmp / f"bot-{repeat}.db"
        shutil.copy(tmp / "world.db", database)
        command = [sys.executable, "-m", "chibot", "run"]
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("CHIBOT_") and key != "ZALO_BOT_TOKEN"
        }
        # The defaults of `chibot run`, with a token and where to find Telegram.
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            CHIBOT_DATABASE_URL=f"sqlite:///{database}",
            CHIBOT_TELEGRAM_API_URL=api_url,
        )
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT
    )


async def stop(process: subprocess.Popen[bytes]) -> None:
    """Stops a subject as an operator would (SIGTERM), killing it if it does not exit."""
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(process.wait, 30)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait)


class Bench:
    def __init__(self, api: Any, tmp: Path, members: list[Any], meeting_id: int) -> None:
        self.api = api
        self.tmp = tmp
        self.members = members
        self.meeting_id = meeting_id
        self.watch = Watch()
        api.on_call(self.watch.on_call)

    def log_of(self, subject: str, repeat: int) -> Path:
        return self.tmp / f"{subject}-{repeat}.log"

    async def run(self, subject: str, repeat: int) -> Run:
        api, watch, result = self.api, self.watch, Run()
        api.set_round_trip(0)
        api.drop_pending_updates()
        watch.reset()
        # Queued before the start, so the first getUpdates is answered (and seen) at once.
        await api.user_sends(self.members[0], "xin chào")
        began = time.monotonic()
        process = launch(subject, self.api.url, self.tmp, repeat)
        try:
            if not await until(lambda: watch.first_poll is not None, 60):
                raise RuntimeError(
                    f"{subject} never polled; see {self.tmp}/{subject}-{repeat}.log"
                )
            assert watch.first_poll is not None
            result.startup = watch.first_poll - began
            await until(lambda: len(watch.first_reply) >= 1, 30)
            await asyncio.sleep(2.0)  # settle: menus set, first tick, caches warm
            result.rss_idle = rss_mb(process.pid)

            result.taps_per_s, lost = await self._taps()
            result.lost += lost
            api.set_round_trip(ROUND_TRIP)
            result.taps_rtt_per_s, lost = await self._taps()
            result.lost += lost
            api.set_round_trip(0)
            handled = LogCount(self.log_of(subject, repeat), "handled: /lichhop")
            per_s, p95_first, lost = await self._lichhop(subject, handled)
            result.lichhop_per_s, result.first_reply_p95 = per_s, p95_first
            result.lost += lost
            result.rss_after = rss_mb(process.pid)
        finally:
            api.set_round_trip(0)
            await stop(process)
        return result

    async def _taps(self) -> tuple[float, int]:
        api, watch = self.api, self.watch
        watch.answered.clear()
        data = f"rsvp|{self.meeting_id}|a"
        started = time.monotonic()
        ids = []
        for user in self.members:
            card = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "text": "Sinh hoạt chi bộ thường kỳ",
            }
            ids.append(await api.user_taps(user, card, data=data))
        await until(lambda: all(i in watch.answered for i in ids), 300)
        done = [watch.answered[i] for i in ids if i in watch.answered]
        lost = len(ids) - len(done)
        rate = len(done) / (max(done) - started) if done else 0.0
        return rate, lost

    async def _lichhop(self, subject: str, handled: LogCount) -> tuple[float, float, int]:
        api, watch = self.api, self.watch
        chats = {user.id for user in self.members}
        watch.first_reply.clear()
        watch.documents = 0
        before = handled.read()
        started = time.monotonic()
        for user in self.members:
            await api.user_sends(user, "/lichhop")
        count = len(self.members)
        done_at = started
        if subject == "bot" and await until(
            lambda: handled.read() - before >= count, 600, step=0.05
        ):
            done_at = time.monotonic()
        # Every member's reply (paced at the bot's limit: twice the count over 30/s, and more).
        pacing = 2 * count / RATE_GLOBAL
        await until(lambda: chats <= watch.first_reply.keys(), pacing + 120)
        if subject == "echo":
            done_at = max(watch.first_reply.values(), default=started)
        else:
            # The calendar files follow the cards; the storm is over when they are sent too.
            await until(lambda: watch.documents >= count, pacing + 120)
        firsts = [watch.first_reply[c] - started for c in chats if c in watch.first_reply]
        lost = count - len(firsts)
        rate = count / (done_at - started) if done_at > started else 0.0
        return rate, p95(firsts), lost


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


async def bench(count: int, repeats: int, keep: Path | None = None) -> None:
    sys.path.insert(0, str(ROOT))
    from fake_telegram import FakeTelegram

    async with FakeTelegram(token=TOKEN, bot_username=USERNAME, rate_limits=None) as api:
        with tempfile.TemporaryDirectory(prefix="chibot-bench-") as name:
            tmp = keep or Path(name)
            tmp.mkdir(parents=True, exist_ok=True)
            secretary = api.add_user("Bí thư", started=True)
            members = [api.add_user(f"Đảng viên {i}", started=True) for i in range(count)]
            group = api.add_group("Chi bộ Bench Tương tác", members=members, admins=[secretary])
            built = time.monotonic()
            meeting_id = await asyncio.to_thread(
                build_cell,
                f"sqlite:///{tmp / 'world.db'}",
                secretary.id,
                [m.id for m in members],
                group.id,
            )
            print(f"built a cell of {count} joined members in {time.monotonic() - built:.1f} s")
            runner = Bench(api, tmp, members, meeting_id)
            runs: dict[str, list[Run]] = {subject: [] for subject in SUBJECTS}
            for repeat in range(repeats):
                order = SUBJECTS if repeat % 2 == 0 else tuple(reversed(SUBJECTS))
                for subject in order:
                    run = await runner.run(subject, repeat)
                    runs[subject].append(run)
                    print(f"  repeat {repeat + 1} {subject:4}: {run.line()}", flush=True)
            report(runs, count)


def report(runs: dict[str, list[Run]], count: int) -> None:
    bot, echo = runs["bot"], runs["echo"]

    def ratios(get: Callable[[Run], float]) -> list[float]:
        return [get(b) / get(e) for b, e in zip(bot, echo, strict=True) if get(e)]

    def values(of: list[Run], get: Callable[[Run], float]) -> str:
        return spread([get(r) for r in of])

    floor = p95([i / RATE_GLOBAL for i in range(1, count + 1)])
    first_reply_label = f"p95 first reply, {count} queued (s)"
    print()
    print(f"{count} members, {len(bot)} repeats; min / median / max")
    rows: list[tuple[str, Callable[[Run], float], str]] = [
        ("RSVP taps handled/s", lambda r: r.taps_per_s, ">= 0.5"),
        (
            f"RSVP taps/s, {ROUND_TRIP * 1000:.0f} ms round trip",
            lambda r: r.taps_rtt_per_s,
            ">= 0.8",
        ),
        ("/lichhop handled/s", lambda r: r.lichhop_per_s, ">= 0.3"),
        ("RSS idle (MB)", lambda r: r.rss_idle, "<= 1.5"),
        ("RSS after the storms (MB)", lambda r: r.rss_after, "<= 1.5"),
        ("start-up to first getUpdates (s)", lambda r: r.startup, "<= 2"),
    ]
    print(f"{'':38} {'bot':>22} {'echo':>22} {'ratio bot/echo':>22}  target")
    for label, get, target in rows:
        print(
            f"{label:38} {values(bot, get):>22} {values(echo, get):>22} "
            f"{spread(ratios(get)):>22}  {target}"
        )
    print(
        f"{first_reply_label:38} {values(bot, lambda r: r.first_reply_p95):>22} "
        f"{values(echo, lambda r: r.first_reply_p95):>22} {'':>22}  <= 10 s "
        f"(pacing floor at {RATE_GLOBAL:.0f}/s, cards before files: {floor:.1f} s)"
    )
    print(
        f"{'lost (taps + commands)':38} {values(bot, lambda r: r.lost):>22} "
        f"{values(echo, lambda r: r.lost):>22} {'':>22}  0"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200 members, one repeat")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the databases and the processes' logs here"
    )
    parser.add_argument("--echo", metavar="API_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo:
        echo_main(args.echo)
        return
    if args.quick:
        args.members, args.repeats = 200, 1
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(bench(args.members, args.repeats, args.keep))


if __name__ == "__main__":
    main()

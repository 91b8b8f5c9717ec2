"""One sandbox process: the fake Telegram and Zalo servers, the real bot polling both, the page."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.db import Database
from chibot.runtime import Runtime
from fake_telegram import Call, FakeChat, FakeTelegram
from fake_telegram.models import JSON
from sandbox import seed, seed_announcements, seed_campaign, seed_history, seed_zalo
from sandbox.clock import PAST_DUE, NextItem, PersistentClock, next_scheduled
from sandbox.zalo import ZALO_TOKEN, SandboxZalo

log = logging.getLogger(__name__)

#: Not a real token: the fake server accepts only this one, and nothing else listens.
TOKEN = "5550001:SANDBOX-not-a-real-token"  # noqa: S105
BOT_USERNAME = "chibot_sandbox_bot"
DB_NAME = "sandbox.db"
CLOCK_NAME = "clock.json"
LOCK_NAME = "sandbox.lock"
DEFAULT_DATA_DIR = Path("sandbox-data")
DRAIN_SECONDS = 10.0

Listener = Callable[[JSON], None]


class SandboxError(Exception):
    """A problem the person starting the sandbox can fix; str() is the message (vi, then en)."""

    exit_code = 2


class PortInUse(SandboxError):
    """The page's port is taken."""

    def __init__(self, port: int) -> None:
        """Builds the message for `port`."""
        other = 8090 if port != 8090 else 8091
        super().__init__(
            f"Cổng {port} đang được dùng. Chọn cổng khác: make run ARGS='--port {other}' "
            f"hoặc chibot sandbox --port {other}\n"
            f"Port {port} is already in use. Pick another: make run ARGS='--port {other}' "
            f"or chibot sandbox --port {other}"
        )
        self.port = port


class AlreadyRunning(SandboxError):
    """Another sandbox holds the data directory."""

    def __init__(self, data_dir: Path, pid: str) -> None:
        """Builds the message for `data_dir` held by process `pid`."""
        who = f" (PID {pid})" if pid else ""
        super().__init__(
            f"Một sandbox khác đang chạy với dữ liệu ở {data_dir}{who}. Dừng nó (Ctrl+C) rồi "
            "chạy lại, hoặc chọn thư mục dữ liệu khác: chibot sandbox --data THƯ_MỤC\n"
            f"Another sandbox is already running on the data in {data_dir}{who}. Stop it "
            "(Ctrl+C) and try again, or use another data directory: chibot sandbox --data DIR"
        )


class DataLock:
    """An exclusive lock on a data directory (released by the OS if the process dies)."""

    def __init__(self, data_dir: Path) -> None:
        """Prepares the lock file path (nothing is locked yet)."""
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Takes the lock and writes our PID into the lock file, or raises AlreadyRunning."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(self.data_dir, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Releases the lock."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class SandboxTelegram(FakeTelegram):
    """The fake server, telling the page about every change and stamping the bot's time."""

    def __init__(self) -> None:
        """Creates the server without flood limits (the bot paces itself with its own)."""
        super().__init__(TOKEN, BOT_USERNAME, rate_limits=None, bot_name="chibot")
        self.listeners: list[Listener] = []
        self.clock: PersistentClock | None = None
        self.on_call(self._after_call)
        self.on_user_message(self._after_user_message)

    def _notify(self, event: JSON) -> None:
        for listener in list(self.listeners):
            listener(event)

    def _stamp(self, chat_id: Any, message_id: Any) -> None:
        """Remembers the bot's clock time of a new message, for the page to show."""
        state = self.world.chats.get(chat_id) if isinstance(chat_id, int) else None
        stored = state.messages.get(message_id) if state and isinstance(message_id, int) else None
        if stored is not None and "_sandbox_date" not in stored and self.clock is not None:
            stored["_sandbox_date"] = self.clock.now().timestamp()

    def _after_call(self, call: Call) -> None:
        """Turns the bot's answered calls into page events (new messages, edits, toasts)."""
        if call.error is not None:
            return
        params, result = call.params, call.result
        if call.method == "answerCallbackQuery":
            callback = self.world.callbacks.get(str(params.get("callback_query_id")))
            text = params.get("text")
            if callback is not None and text:
                toast = {"type": "toast", "user_id": callback.user_id, "text": str(text)}
                self._notify({**toast, "alert": bool(params.get("show_alert"))})
            return
        chat_id = params.get("chat_id")
        if isinstance(result, dict) and isinstance(result.get("chat"), dict):
            chat_id = result["chat"].get("id", chat_id)
            self._stamp(chat_id, result.get("message_id"))
        if isinstance(chat_id, int):
            self._notify({"type": "chat", "chat_id": chat_id})

    def _after_user_message(self, message: JSON) -> None:
        """Shows a simulated user's message on the page at once."""
        chat_id = message["chat"]["id"]
        self._stamp(chat_id, message["message_id"])
        self._notify({"type": "chat", "chat_id": chat_id})


def sandbox_settings(api_url: str, zalo_api_url: str, db_path: Path) -> Settings:
    """Settings for the bot in the sandbox: both channels, each on its fake server (the
    developer's .env is not read)."""
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CHIBOT_DATABASE_URL": f"sqlite:///{db_path}",
        "CHIBOT_TELEGRAM_API_URL": api_url,
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "CHIBOT_ZALO_API_URL": zalo_api_url,
        # One person clicks through many chats quickly; the channels' pacing would only slow
        # the demo down (the limiters themselves run, with these figures).
        "CHIBOT_RATE_PRIVATE": 10,
        "CHIBOT_RATE_GROUP": 60,
        "CHIBOT_ZALO_RATE": 50,
    }
    return Settings(_env_file=None, **values)


def reset_data(data_dir: Path) -> list[Path]:
    """Deletes the sandbox's database and clock; returns what was deleted."""
    removed = []
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", CLOCK_NAME):
        path = data_dir / name
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


class Sandbox:
    """Starts and stops the whole sandbox; the page's server calls its clock methods."""

    def __init__(
        self, data_dir: Path = DEFAULT_DATA_DIR, port: int = 8080, host: str = "127.0.0.1"
    ) -> None:
        """Configures the sandbox (nothing starts yet)."""
        self.data_dir = data_dir.resolve()
        self.port = port
        self.host = host
        self.url = ""
        self.api = SandboxTelegram()
        self.zalo = SandboxZalo(self.api.listeners)
        self.clock = PersistentClock(self.data_dir / CLOCK_NAME)
        self.db: Database | None = None
        self.runtime: Runtime | None = None
        self.group: FakeChat | None = None
        self.ready = asyncio.Event()
        self.listeners = self.api.listeners
        self._lock = DataLock(self.data_dir)
        self._runner: web.AppRunner | None = None
        self._polling = False

    async def start(self, *, reset: bool = False) -> str:
        """Locks the data, opens the page's port, seeds the demo and starts the bot.

        Returns:
            The page's address.

        Raises:
            AlreadyRunning: Another sandbox uses the data directory.
            PortInUse: The port is taken.
        """
        self._lock.acquire()
        try:
            if reset:
                for path in reset_data(self.data_dir):
                    log.info("reset: deleted %s", path)
            self.clock = PersistentClock(self.data_dir / CLOCK_NAME)
            await self._open_page()
            await self._start_bot()
        except BaseException:
            await self.stop()
            raise
        self.ready.set()
        return self.url

    async def _open_page(self) -> None:
        from sandbox.server import build_web_app

        runner = web.AppRunner(build_web_app(self), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(self.port) from None
            raise
        self.port = int(runner.addresses[0][1])
        self.url = f"http://{self.host}:{self.port}"

    async def _start_bot(self) -> None:
        api, zalo = self.api, self.zalo
        api.clock = zalo.clock = self.clock
        await api.start()
        await zalo.start()
        db_path = self.data_dir / DB_NAME
        self.db = db = Database(f"sqlite:///{db_path}")
        db.upgrade()
        self.group = seed.prepare_world(api, db)
        seed_zalo.prepare_zalo_world(zalo, db)
        setup_code = seed.ensure_orgs(db, self.clock.now())
        settings = sandbox_settings(api.url, zalo.url, db_path)
        self.runtime = runtime = Runtime(settings, clock=self.clock, db=db)
        await runtime.start()
        self._polling = True
        await seed.seed_through_bot(api, db, self.group, setup_code, self.clock.now())
        await seed_zalo.join_on_zalo(zalo, db, self.clock.now())
        seed_announcements.ensure_announcements(db, self.clock.now())
        seed.ensure_meeting(db, self.clock.now())
        seed_campaign.ensure_campaign(db, self.clock.now())
        seed_history.ensure_history(db, self.clock.now())
        await self.drain()

    async def drain(self) -> None:
        """Waits (briefly) until the outbox has handed every due message to the fake server."""
        if self.runtime is not None:
            with contextlib.suppress(TimeoutError):
                await self.runtime.drain(within=DRAIN_SECONDS)

    async def stop(self) -> None:
        """Stops everything that was started, in reverse order, and releases the lock."""
        for listener in list(self.listeners):
            listener({"type": "closing"})
        if self.runtime is not None and self._polling:
            self._polling = False
            await self.runtime.stop()
        await self.api.stop()
        await self.zalo.stop()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if self.db is not None:
            self.db.dispose()
        self._lock.release()

    # -- the clock control ---------------------------------------------------------------------

    def next_item(self) -> NextItem | None:
        """The next scheduled item after the bot's now, if any."""
        if self.db is None:
            return None
        with self.db.session() as session:
            return next_scheduled(session=session, now=self.clock.now())

    async def advance(self, delta: timedelta) -> None:
        """Moves the bot's clock forward, runs the tick at once and lets the outbox drain."""
        self.clock.advance(delta)
        await self.tick()
        for listener in list(self.listeners):
            listener({"type": "clock"})

    async def advance_to_next(self) -> bool:
        """Moves the clock just past the next scheduled item; False when nothing is scheduled."""
        item = self.next_item()
        if item is None:
            return False
        await self.advance(max(item.at - self.clock.now() + PAST_DUE, timedelta()))
        return True

    async def tick(self) -> None:
        """Runs the bot's own tick now (the real job, once for both channels)."""
        if self.runtime is None:
            return
        await self.runtime.tick()
        await self.drain()

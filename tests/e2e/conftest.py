"""End-to-end harness: the real application polling a fake Telegram Bot API over HTTP.

The runtime runs on each backend (`[sqlite]`, `[postgres]`): its database comes from the
`database_url` fixture (tests/conftest.py), a fresh copy of a migrated template.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.clock import OffsetClock
from bot.config import Settings
from bot.db import Database
from bot.services import orgs
from chibot.runtime import Runtime
from fake_telegram import FakeChat, FakeTelegram, FakeUser, RateLimits

TOKEN = "123456:TESTTOKEN"
BOT_USERNAME = "chibot_test_bot"


def make_settings(api: FakeTelegram, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CHIBOT_DATABASE_URL": database_url,
        "CHIBOT_TELEGRAM_API_URL": api.url,
        "CHIBOT_TICK_SECONDS": 3600,
        "CHIBOT_RETRY_BASE_SECONDS": 0.2,
        "CHIBOT_HTTP_TIMEOUT": 3,
        # Functional tests step through forms quickly; the limits have tests of their own.
        "CHIBOT_RATE_PRIVATE": 20,
        "CHIBOT_RATE_GROUP": 600,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Bot:
    """A running application plus shortcuts to drive it."""

    api: FakeTelegram
    db: Database
    clock: OffsetClock
    runtime: Runtime
    database_url: str
    stopped: bool = False

    async def stop(self) -> None:
        """Stops the runtime and closes its pooled connections (the database stays usable)."""
        if not self.stopped:
            self.stopped = True
            await self.runtime.stop()
            self.db.dispose()

    async def settle(self) -> None:
        """Waits until every queued message has been handed to the fake server."""
        await self.runtime.drain()

    async def tick(self) -> None:
        """Runs the periodic tick now, as the scheduler runs it, and waits for what it queued."""
        await self.runtime.tick()
        await self.settle()

    async def say(self, user: FakeUser, text: str, chat: FakeChat | None = None) -> dict[str, Any]:
        """Sends text and returns the next message the bot sends in that chat."""
        target = chat.id if chat is not None else user.id
        since = time.monotonic()
        await self.api.user_sends(user, text, chat=chat)
        call = await self.api.next_call(
            "sendMessage", where=lambda c: c.params["chat_id"] == target and c.at >= since
        )
        assert call.result is not None, call.error
        return call.result  # type: ignore[no-any-return]

    async def tap(self, user: FakeUser, message: dict[str, Any], button: str) -> dict[str, Any]:
        """Taps a button and returns the bot's answer to the callback query."""
        query_id = await self.api.user_taps(user, message, button)
        call = await self.api.next_call(
            "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query_id
        )
        return call.params

    async def tap_data(self, user: FakeUser, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Taps with raw callback data (a forged or outdated button); returns the answer."""
        query_id = await self.api.user_taps(user, message, data=data)
        call = await self.api.next_call(
            "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query_id
        )
        return call.params

    async def tap_edit(
        self, user: FakeUser, message: dict[str, Any], button: str
    ) -> dict[str, Any]:
        """Taps a button and returns the edited message."""
        await self.api.user_taps(user, message, button)
        call = await self.api.next_call(
            "editMessageText",
            where=lambda c: c.params["message_id"] == message["message_id"],
        )
        assert call.result is not None, call.error
        return call.result  # type: ignore[no-any-return]

    def new_cell(self, name: str = "Chi bộ Văn phòng", parent: str | None = None) -> str:
        with self.db.session() as session:
            _, code = orgs.create_org(
                session=session,
                name=name,
                parent_name=parent,
                timezone="Asia/Ho_Chi_Minh",
                locale="vi",
                now=self.clock.now(),
            )
        return code


async def launch(
    api: FakeTelegram, database_url: str, clock: OffsetClock, **overrides: Any
) -> Bot:
    """Starts the runtime on a database (migrating it if needed), as `chibot run` does."""
    settings = make_settings(api, database_url, **overrides)
    db = Database(settings.database_url)
    db.upgrade()
    runtime = Runtime(settings, clock=clock, db=db)
    await runtime.start(poll_timeout=1)
    assert runtime.core.bot_username == BOT_USERNAME
    return Bot(api=api, db=db, clock=clock, runtime=runtime, database_url=database_url)


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    limits = RateLimits(global_per_second=30, private_per_second=30, group_per_minute=1200)
    async with FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME, rate_limits=limits) as server:
        yield server


@pytest.fixture
async def bot(api: FakeTelegram, database_url: str) -> AsyncIterator[Bot]:
    running = await launch(api, database_url, OffsetClock())
    yield running
    await running.stop()
    running.db.dispose()


# --- Zalo: the same runtime with both channels, against the fake Zalo Bot API too ---------------

ZALO_TOKEN = "1234567890:fake-zalo-token"


def zalo_overrides(zalo_api: Any, **more: Any) -> dict[str, Any]:
    """Returns the settings that add the Zalo channel (pointed at the fake) to a launch."""
    values: dict[str, Any] = {
        "ZALO_BOT_TOKEN": ZALO_TOKEN,
        "CHIBOT_ZALO_API_URL": zalo_api.url,
        # Functional tests step through forms quickly; the limits have tests of their own.
        "CHIBOT_ZALO_RATE": 50,
    }
    values.update(more)
    return values


@pytest.fixture
async def zalo_api() -> AsyncIterator[Any]:
    """A fake Zalo Bot API server (fake_zalo.FakeZalo) on a free port."""
    from fake_zalo import FakeZalo

    async with FakeZalo(token=ZALO_TOKEN, bot_name="chibot") as server:
        yield server


@pytest.fixture
async def both(api: FakeTelegram, zalo_api: Any, database_url: str) -> AsyncIterator[Bot]:
    """The runtime with both tokens: Telegram (secretary, group) and Zalo (members) at once."""
    running = await launch(api, database_url, OffsetClock(), **zalo_overrides(zalo_api))
    assert running.runtime.zalo is not None
    yield running
    await running.stop()
    running.db.dispose()


@pytest.fixture
def zalo_bot(both: Bot) -> Bot:
    """The same running bot as `both` (a name for tests that are mainly about Zalo)."""
    return both


@pytest.fixture(params=["telegram", "zalo"])
def chat(request: pytest.FixtureRequest, both: Bot, zalo_api: Any) -> Any:
    """The running bot (both channels) driven by people on Telegram, then on Zalo."""
    from tests.e2e.chat import Chat

    return Chat(both, zalo_api, str(request.param))

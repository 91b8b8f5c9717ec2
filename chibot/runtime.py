"""The runtime: database, outbox dispatchers (one per channel), the tick, and the adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import UTC, date, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.actions import build_actions
from bot.actions.core import Core
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.flows.registry import build_engine
from bot.ratelimit import RateLimiter
from bot.services import quota, schedule
from handlers.telegram import TelegramAdapter
from handlers.zalo import ZaloAdapter
from jobs.dispatcher import Dispatcher, Sender

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def _host_port(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host or "127.0.0.1", int(port)


class Runtime:
    """Everything `chibot run` runs, in one process; tests and the sandbox start the same."""

    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, db: Database | None = None
    ) -> None:
        if not settings.has_channel:
            raise ValueError("neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set")
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.core = Core(
            settings=settings,
            db=self.db,
            clock=clock or SystemClock(),
            flows=build_engine(),
            wake=self.wake,
        )
        self.actions = build_actions()
        self.telegram = (
            TelegramAdapter(core=self.core, actions=self.actions, settings=settings)
            if settings.telegram_bot_token
            else None
        )
        self.zalo = (
            ZaloAdapter(core=self.core, actions=self.actions, settings=settings)
            if settings.zalo_bot_token
            else None
        )
        self.dispatchers: dict[str, Dispatcher] = {}
        self.scheduler: AsyncIOScheduler | None = None
        self._quota_warned_on: date | None = None

    def wake(self) -> None:
        """Tells every dispatcher that rows may be due."""
        for dispatcher in self.dispatchers.values():
            dispatcher.wake()

    def _dispatcher(self, channel: str, send: Sender, limiter: RateLimiter) -> Dispatcher:
        return Dispatcher(
            db=self.db,
            channel=channel,
            send=send,
            clock=self.core.clock,
            limiter=limiter,
            retry_base=timedelta(seconds=self.settings.retry_base_seconds),
            max_attempts=self.settings.max_attempts,
        )

    async def start(self, *, poll_timeout: int = 10) -> None:
        """Connects the adapters, starts the dispatchers and the tick, then starts receiving."""
        settings = self.settings
        if self.telegram is not None:
            self.core.bot_username = await self.telegram.initialize()
            self.dispatchers["telegram"] = self._dispatcher(
                "telegram",
                self.telegram.sender,
                RateLimiter(
                    global_per_second=settings.rate_global_per_second,
                    private_per_second=settings.rate_private_per_second,
                    group_per_minute=settings.rate_group_per_minute,
                ),
            )
        if self.zalo is not None:
            await self.zalo.initialize()
            self.dispatchers["zalo"] = self._dispatcher(
                "zalo",
                self.zalo.sender,
                RateLimiter(
                    global_per_second=settings.zalo_rate_per_second,
                    private_per_second=settings.rate_private_per_second,
                    group_per_minute=settings.rate_group_per_minute,
                ),
            )
        for dispatcher in self.dispatchers.values():
            await dispatcher.start()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=settings.tick_seconds, timezone=UTC),
            id="tick",
            coalesce=True,
            max_instances=1,
            # A tick that fires late still runs (once): the work it does is derived from the
            # database, so late is always better than skipped.
            misfire_grace_time=max(1, int(settings.tick_seconds * 10)),
        )
        self.scheduler.start()
        if self.telegram is not None:
            if settings.webhook_url:
                host, port = _host_port(settings.listen)
                await self.telegram.start_webhook(
                    listen=host,
                    port=port,
                    url=settings.webhook_url,
                    secret=settings.webhook_secret,
                )
            else:
                await self.telegram.start_polling(
                    poll_interval=0.0,
                    timeout=poll_timeout,
                    drop_pending_updates=False,
                    allowed_updates=ALLOWED_UPDATES,
                )
        if self.zalo is not None:
            await self.zalo.start_receiving(poll_timeout=poll_timeout)

    async def tick(self) -> None:
        """Runs the due chores at the injected clock's time and wakes the dispatchers."""
        with self.db.session() as session:
            report = schedule.run_due(session=session, now=self.core.clock.now())
        if report.released_claims or report.expired_flows:
            log.info("tick: %s", report)
        if self.zalo is not None:
            self._watch_zalo_quota()
        self.wake()

    def _watch_zalo_quota(self) -> None:
        """Warns the operator in the log, once a day, when 80% of Zalo's monthly budget is used."""
        now = self.core.clock.now()
        with self.db.session() as session:
            use = quota.quota_use(
                session=session, channel="zalo", quota=self.settings.zalo_monthly_quota, now=now
            )
        if use.nearly_used and now.date() != self._quota_warned_on:
            self._quota_warned_on = now.date()
            log.warning(
                "Zalo: %d of %d messages sent this month (%.0f%%), %d refused for the quota",
                use.sent,
                use.quota,
                use.share * 100,
                use.refused,
            )

    async def drain(self, within: float = 30.0) -> None:
        """Waits until no channel has a due message left (tests, the sandbox)."""
        for dispatcher in self.dispatchers.values():
            await dispatcher.drain(within)

    async def stop(self) -> None:
        """Stops receiving, the tick and the dispatchers (rows in flight are retried later)."""
        if self.zalo is not None:
            await self.zalo.stop()
        if self.telegram is not None:
            await self.telegram.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        for dispatcher in self.dispatchers.values():
            await dispatcher.stop()
        self.dispatchers.clear()

    async def serve(self) -> None:
        """Runs until SIGINT or SIGTERM."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stopping.set)
        await self.start()
        log.info("chibot is running")
        try:
            await stopping.wait()
        finally:
            await self.stop()

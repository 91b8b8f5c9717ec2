"""The runtime: database, outbox dispatchers (one per channel), the tick, and the adapters.

Several processes may run on one database. Each handles the updates it receives (once each,
by the processed-update row). Exactly one of them, the leader, drains the outbox and runs the
tick: it holds the `leader` lease, renewing it every `leader_renew_seconds`; when it dies, the
lease expires after `leader_expire_seconds` and another process takes over, queueing again the
rows the dead one had claimed. Every database call runs in a bounded pool of worker threads,
never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.actions import build_actions
from bot.actions.core import Core
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.flows.registry import build_engine
from bot.ratelimit import RateLimiter
from bot.services import delivery, leases, quota, schedule
from bot.services.schedule import TickReport
from chibot.connect import until_answered
from chibot.metrics import Metrics, serve_metrics
from chibot.process import ProcessSettings
from chibot.redact import redact_secrets
from handlers.observe import UpdateReport
from handlers.telegram import TelegramAdapter
from handlers.webhooks import webhook_problems
from jobs.dispatcher import Dispatcher, Sender

if TYPE_CHECKING:  # loaded when used: a Telegram-only bot without /metrics needs no aiohttp
    from aiohttp import web

    from handlers.zalo import ZaloAdapter

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


STOP_STEP_SECONDS = 15.0
# How long a thread may keep the GIL while another waits for it. A database thread gives the
# GIL up around every SQLite call and, while the event loop is busy, waits up to this long to
# get it back; a turn makes dozens of calls while it holds SQLite's write lock, so Python's
# default (5 ms) stretches every write transaction, and all the others queue behind it.
GIL_SWITCH_SECONDS = 0.001


async def _bounded(what: str, step: Awaitable[None]) -> None:
    """Awaits one step of stopping, giving up (with a log line naming it) if it hangs, so a
    stuck part never keeps the process from stopping."""
    try:
        async with asyncio.timeout(STOP_STEP_SECONDS):
            await step
    except TimeoutError:
        log.error("stopping %s took over %.0f s; going on without it", what, STOP_STEP_SECONDS)


def _host_port(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host or "127.0.0.1", int(port)


class Runtime:
    """Everything `chibot run` runs, in one process; tests and the sandbox start the same."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        db: Database | None = None,
        process: ProcessSettings | None = None,
        process_id: str | None = None,
        lease_clock: Clock | None = None,
    ) -> None:
        if not settings.has_channel:
            raise ValueError("neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set")
        problems = webhook_problems(settings)
        if problems:
            raise ValueError("; ".join(problems))
        # Before anything can log: no token or webhook secret ever reaches a log line.
        redact_secrets(
            settings.telegram_bot_token,
            settings.zalo_bot_token,
            settings.webhook_secret,
            settings.zalo_webhook_secret,
        )
        self.settings = settings
        self.process = process or ProcessSettings()
        # Who this process is in leases and claims: new at every start.
        self.process_id = process_id or uuid.uuid4().hex
        # Leases and claims measure whether a process is alive: real time, not the bot's
        # clock (which tests and the sandbox move forward).
        self.lease_clock = lease_clock or SystemClock()
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
            TelegramAdapter(
                core=self.core,
                actions=self.actions,
                settings=settings,
                offload=self.run_db,
                concurrency=self.process.concurrent_updates,
                observe=self._update_handled,
            )
            if settings.telegram_bot_token
            else None
        )
        self.zalo: ZaloAdapter | None = None
        if settings.zalo_bot_token:
            from handlers.zalo import ZaloAdapter

            self.zalo = ZaloAdapter(
                core=self.core,
                actions=self.actions,
                settings=settings,
                offload=self.run_db,
                concurrency=self.process.concurrent_updates,
                observe=self._update_handled,
            )
        self.dispatchers: dict[str, Dispatcher] = {}
        self.scheduler: AsyncIOScheduler | None = None
        self.is_leader = False
        self.metrics = Metrics(
            self.db,
            now=self.core.clock.now,
            leader=self._leader_name,
            channels=[
                name
                for name, token in (
                    ("telegram", settings.telegram_bot_token),
                    ("zalo", settings.zalo_bot_token),
                )
                if token
            ],
        )
        self._metrics_runner: web.AppRunner | None = None
        self._lead_until = 0.0  # loop time until which this process surely still leads
        self._heartbeat: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._quota_warned_on: date | None = None
        self._stopped = False

    def _update_handled(self, report: UpdateReport) -> None:
        self.metrics.update_handled(report.channel, report.outcome)

    # --- database work off the event loop ------------------------------------------------

    async def run_db(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Runs blocking (database) work in the runtime's bounded pool of worker threads."""
        if self._executor is None:
            return await asyncio.to_thread(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def wake(self) -> None:
        """Tells this process's dispatchers that rows were queued; safe from any thread (turns
        run in worker threads, and call it only when their turn queued a row). Rows queued on a
        follower are found by the leader's poll."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake_dispatchers()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake_dispatchers)

    def _wake_dispatchers(self) -> None:
        for dispatcher in self.dispatchers.values():
            dispatcher.wake()

    # --- leadership -------------------------------------------------------------------------

    def _may_send(self) -> bool:
        """True while this process surely still holds the leader lease (a dispatcher claims
        nothing once a heartbeat is overdue, before another process could take over)."""
        loop = self._loop
        return self.is_leader and loop is not None and loop.time() < self._lead_until

    def _sending(self) -> list[int]:
        return [i for dispatcher in self.dispatchers.values() for i in dispatcher.sending()]

    def _beat(self, sending: list[int]) -> bool:
        """One heartbeat, one transaction: take or renew the leader lease, renew the claims
        of the rows being sent, and (leading) queue again the rows of expired claims."""
        now = self.lease_clock.now()
        process = self.process
        with self.db.session() as session:
            leading = leases.acquire(
                session=session,
                name=leases.LEADER,
                holder=self.process_id,
                now=now,
                ttl=timedelta(seconds=process.leader_expire_seconds),
            )
            delivery.extend_claims(
                session=session,
                holder=self.process_id,
                ids=sending,
                until=now + timedelta(seconds=process.claim_lease_seconds),
            )
            if leading:
                released = delivery.release_stale_claims(session=session, now=now)
                if released:
                    log.warning("re-queued %d messages a stopped process left", released)
        return leading

    async def heartbeat(self) -> bool:
        """Runs one heartbeat now and starts or stops leading accordingly; True if leading."""
        assert self._loop is not None
        started = self._loop.time()
        try:
            leading = await self.run_db(self._beat, self._sending())
        except Exception:
            log.exception("leader heartbeat failed")
            leading = False
        if leading:
            # Sure for the lease's length from when we asked, less one renewal of margin.
            process = self.process
            self._lead_until = (
                started + process.leader_expire_seconds - process.leader_renew_seconds
            )
            if not self.is_leader:
                self.is_leader = True
                self.metrics.set_leader(True)
                log.info("process %s leads: it sends and runs the tick", self.process_id)
                for dispatcher in self.dispatchers.values():
                    await dispatcher.start()
        elif self.is_leader:
            self.is_leader = False
            self.metrics.set_leader(False)
            log.warning("process %s no longer leads", self.process_id)
            for dispatcher in self.dispatchers.values():
                await dispatcher.pause()
        return leading

    def _leader_name(self) -> str | None:
        """Returns which process leads now (for /healthz; blocking, run off the loop)."""
        with self.db.session() as session:
            return leases.holder_of(
                session=session, name=leases.LEADER, now=self.lease_clock.now()
            )

    async def _keep_beating(self) -> None:
        while True:
            await asyncio.sleep(self.process.leader_renew_seconds)
            await self.heartbeat()

    # --- start and stop ---------------------------------------------------------------------

    def _dispatcher(self, channel: str, send: Sender, limiter: RateLimiter) -> Dispatcher:
        return Dispatcher(
            db=self.db,
            channel=channel,
            send=send,
            clock=self.core.clock,
            limiter=limiter,
            retry_base=timedelta(seconds=self.settings.retry_base_seconds),
            retry_cap=timedelta(seconds=self.settings.retry_max_seconds),
            holder=self.process_id,
            claim_lease=timedelta(seconds=self.process.claim_lease_seconds),
            lease_clock=self.lease_clock,
            offload=self.run_db,
            may_send=self._may_send,
            idle_poll=self.process.outbox_poll_seconds,
            observe=self.metrics.message,
        )

    async def start(self, *, poll_timeout: int = 10) -> None:
        """Connects the adapters, takes the lead if nobody holds it (then starts the
        dispatchers), starts the heartbeat and the tick, then starts receiving."""
        settings = self.settings
        self._loop = asyncio.get_running_loop()
        # For the whole process, which the runtime owns (never raised if already lower).
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_SECONDS))
        self._executor = ThreadPoolExecutor(
            max_workers=self.process.db_threads, thread_name_prefix="chibot-db"
        )
        if self.telegram is not None:
            self.core.bot_username = await self._until_answered(
                "Telegram", self.telegram.initialize, self.telegram.is_transient
            )
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
            await self._until_answered("Zalo", self.zalo.initialize, self.zalo.is_transient)
            self.dispatchers["zalo"] = self._dispatcher(
                "zalo",
                self.zalo.sender,
                RateLimiter(
                    global_per_second=settings.zalo_rate_per_second,
                    private_per_second=settings.rate_private_per_second,
                    group_per_minute=settings.rate_group_per_minute,
                ),
            )
        await self.heartbeat()
        self._heartbeat = asyncio.create_task(self._keep_beating(), name="leader-heartbeat")
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
                assert settings.webhook_secret  # checked when the runtime was made
                host, port = _host_port(settings.listen)
                await self.telegram.start_webhook(
                    listen=host,
                    port=port,
                    url=settings.webhook_url,
                    secret=settings.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
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
        if settings.metrics_listen:
            self._metrics_runner = await serve_metrics(self.metrics, settings.metrics_listen)

    async def _until_answered(
        self,
        name: str,
        connect: Callable[[], Awaitable[T]],
        transient: Callable[[BaseException], bool],
    ) -> T:
        return await until_answered(
            name,
            connect,
            transient,
            first_wait=self.process.connect_retry_seconds,
            most_wait=self.process.connect_retry_max_seconds,
        )

    async def tick(self) -> TickReport | None:
        """Runs the due chores at the injected clock's time and wakes the dispatchers; only
        the leader does (None on the others). Running them twice is harmless, so a leader
        whose heartbeat is merely late still ticks."""
        if not self.is_leader:
            return None
        with self.metrics.tick_timer():
            report = await self.run_db(self.run_chores, self._sending())
        if (
            report.released_claims
            or report.expired_flows
            or report.purged_payloads
            or report.expired_messages
        ):
            log.info("tick: %s", report)
        if self.zalo is not None:
            await self.run_db(self._watch_zalo_quota)
        self.wake()
        return report

    def run_chores(self, sending: list[int] | None = None) -> TickReport:
        """The tick's work in one transaction (blocking; safe if two processes ran it);
        `sending` are this process's rows in flight."""
        with self.db.session() as session:
            return schedule.run_due(
                session=session,
                now=self.core.clock.now(),
                retention=timedelta(days=self.settings.outbox_retention_days),
                lease_now=self.lease_clock.now(),
                holder=self.process_id,
                sending=sending or [],
                claim_lease=timedelta(seconds=self.process.claim_lease_seconds),
                photos_by_url=self.settings.photos_by_url,
            )

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
        """Waits until no channel has a due message left, whoever sends it (tests, the sandbox)."""
        for dispatcher in self.dispatchers.values():
            await dispatcher.drain(within)

    async def stop(self) -> None:
        """Stops the tick and the dispatchers, then receiving, and hands the lead over at once.

        The dispatchers stop first: their sends in flight finish and are recorded while the
        adapters' connections are still open (closing those first cut sends Telegram had
        already delivered, which the next leader then sent again).
        """
        if self._stopped:
            return
        self._stopped = True
        if self._metrics_runner is not None:
            await self._metrics_runner.cleanup()
            self._metrics_runner = None
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        for channel, dispatcher in self.dispatchers.items():
            await _bounded(f"the {channel} dispatcher", dispatcher.stop())
        self.dispatchers.clear()
        if self.zalo is not None:
            await _bounded("the Zalo adapter", self.zalo.stop())
        if self.telegram is not None:
            await _bounded("the Telegram adapter", self.telegram.stop())
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        if self.is_leader:
            self.is_leader = False
            try:
                await self.run_db(self._release_lead)
            except Exception:
                log.exception("could not hand the lead over; it expires on its own")
        await self._close_pool()

    def _release_lead(self) -> None:
        with self.db.session() as session:
            leases.release(session=session, name=leases.LEADER, holder=self.process_id)

    async def _close_pool(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True)

    async def abandon(self) -> None:
        """Stops at once as a crash would: claims and the lead are left to expire (tests of
        the takeover). Only the connections are closed."""
        self._stopped = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        for dispatcher in self.dispatchers.values():
            dispatcher.abandon()
        self.dispatchers.clear()
        self.is_leader = False
        if self._metrics_runner is not None:
            await self._metrics_runner.cleanup()
            self._metrics_runner = None
        if self.zalo is not None:
            await self.zalo.stop()
        if self.telegram is not None:
            await self.telegram.stop()
        await self._close_pool()

    async def serve(self) -> None:
        """Runs until SIGINT or SIGTERM."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stopping.set)
        await self.start()
        log.info("chibot is running (process %s)", self.process_id)
        try:
            await stopping.wait()
        finally:
            await self.stop()

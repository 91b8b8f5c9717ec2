"""The outbox dispatcher: drains due rows within the channel's rate limits, interactive first.

Only the leader process runs its dispatchers (see chibot.runtime), so the limits hold for the
whole deployment. Every database call runs in a worker thread (`offload`), never on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.actions.turns import Offload
from bot.clock import Clock
from bot.db import Database
from bot.models import OutboxMessage, Priority
from bot.ratelimit import RateLimiter
from bot.services import delivery
from bot.services.delivery import Delivery

log = logging.getLogger(__name__)

Sender = Callable[[OutboxMessage], Awaitable[Delivery]]
#: Told the channel and the outcome of every send attempt (see `outcome_of`).
SendObserver = Callable[[str, str], None]

IDLE_POLL_SECONDS = 1.0
# While rows wait out retries, how often (seconds) the loop logs how many and why.
WAITING_LOG_SECONDS = 60.0


def _always() -> bool:
    return True


def _nobody(_channel: str, _outcome: str) -> None:
    """The default send observer: nobody is told."""


def outcome_of(delivery: Delivery) -> str:
    """Names a send attempt's outcome: sent, rate_limited (a 429), retry, blocked, quota or
    failed (the `chibot_messages` counter's outcomes)."""
    if delivery.kind == "sent":
        return "sent"
    if delivery.kind == "retry" and delivery.retry_after is not None:
        return "rate_limited"
    if delivery.kind in {"retry", "migrated"}:
        return "retry"
    if delivery.kind == "unreachable":
        return "blocked"
    if delivery.kind == "quota":
        return "quota"
    return "failed"


@dataclass(frozen=True)
class _Ask:
    """What the loop may claim now (computed on the loop, claimed in a worker thread)."""

    limit: int
    bulk_limit: int
    exclude: frozenset[str]


class Dispatcher:
    """One loop per channel that turns that channel's pending outbox rows into API calls."""

    def __init__(
        self,
        *,
        db: Database,
        channel: str,
        send: Sender,
        clock: Clock,
        limiter: RateLimiter,
        retry_base: timedelta,
        retry_cap: timedelta = delivery.RETRY_CAP,
        max_bulk_in_flight: int = 12,
        holder: str = "",
        claim_lease: timedelta = delivery.CLAIM_LEASE,
        lease_clock: Clock | None = None,
        offload: Offload = asyncio.to_thread,
        may_send: Callable[[], bool] = _always,
        idle_poll: float = IDLE_POLL_SECONDS,
        observe: SendObserver = _nobody,
    ) -> None:
        self._db = db
        self.channel = channel
        self._send = send
        self._clock = clock
        self._limiter = limiter
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        self._max_bulk = max_bulk_in_flight
        # Who claims (this process's id) and how long a claim holds between heartbeats.
        self.holder = holder
        self._claim_lease = claim_lease
        # Claims measure liveness in real time, whatever the bot's clock (tests move it).
        self._lease_clock = lease_clock or clock
        self._offload = offload
        # False while this process is not sure it still leads: then nothing new is claimed.
        self._may_send = may_send
        # Rows other processes queue wake nobody here: the loop looks this often when idle.
        self._idle_poll = idle_poll
        self._observe = observe
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._sends: dict[asyncio.Task[None], int] = {}
        self._chats_in_flight: set[str] = set()
        self._bulk_in_flight = 0
        # True from a claim until its sends are tasks: claimed rows are neither due nor sends.
        self._claiming = False
        # Checked by the loop too: Python 3.11's wait_for can swallow a cancellation.
        self._halted = False
        # Since when (bot's clock) sends fail without the channel saying why (5xx, network);
        # None while it answers. Rows then wait on retries, and the loop says so every minute.
        self.unreachable_since: datetime | None = None
        self._waiting_logged_at: float | None = None

    @property
    def running(self) -> bool:
        """Tells whether the loop is claiming rows."""
        return self._loop_task is not None

    @property
    def busy(self) -> bool:
        """Tells whether rows are claimed or being sent."""
        return bool(self._sends) or self._claiming

    def sending(self) -> list[int]:
        """Returns the ids of the rows being sent (their claims must be renewed)."""
        return list(self._sends.values())

    def wake(self) -> None:
        """Tells the loop new rows may be due (called on the loop after an enqueue)."""
        self._wake.set()

    async def start(self) -> None:
        """Queues again the rows a dead process left half-sent (claims whose lease expired,
        never those a live process holds), then starts the loop."""
        if self._loop_task is not None:
            return
        self._halted = False
        released = await self._offload(self._release_stale)
        if released:
            log.warning("re-queued %d %s messages a stopped process left", released, self.channel)
        self._loop_task = asyncio.create_task(self._run(), name=f"outbox-{self.channel}")

    def _release_stale(self) -> int:
        with self._db.session() as session:
            return delivery.release_stale_claims(
                session=session, now=self._lease_clock.now(), channel=self.channel
            )

    async def pause(self) -> None:
        """Stops claiming new rows; sends in flight finish on their own."""
        self._halted = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None

    async def stop(self) -> None:
        """Stops taking new rows and waits briefly for sends in flight."""
        await self.pause()
        if self._sends:
            await asyncio.wait(list(self._sends), timeout=10)

    def abandon(self) -> None:
        """Drops everything at once, recording nothing, as a crash would (tests of takeover)."""
        self._halted = True
        for task in [self._loop_task, *self._sends]:
            if task is not None:
                task.cancel()
        self._loop_task = None

    async def drain(self, within: float = 30.0) -> None:
        """Waits until nothing is pending and due (tests and the CLI use this)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            due = await self._offload(self._any_due)
            if not due and not self.busy:
                return
            self.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError("outbox did not drain")

    def _any_due(self) -> bool:
        with self._db.session() as session:
            return bool(
                delivery.due_candidates(
                    session=session,
                    channel=self.channel,
                    now=self._clock.now(),
                    exclude_chats=(),
                    limit=1,
                )
            )

    async def _idle(self, seconds: float) -> None:
        # Not wait_for: on Python 3.11 it returns instead of raising when cancelled just as
        # the event is set, and a stop would then never end.
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({woken}, timeout=seconds)
        finally:
            woken.cancel()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._halted:
            # Cleared before looking, so a wake() during the query is not lost.
            self._wake.clear()
            if not self._may_send():
                await self._idle(self._idle_poll)
                continue
            wait = self._limiter.overall_wait(loop.time())
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self.unreachable_since is not None:
                await self._log_waiting(loop.time())
            ask = self._ask(loop.time())
            self._claiming = True
            try:
                picked = await self._offload(self._claim, ask)
            except Exception:
                log.exception("outbox query failed; retrying shortly")
                picked = None
            finally:
                # A claim cut short by a stop leaves its rows to expire and be sent again.
                self._claiming = False
            if picked is None:
                await asyncio.sleep(1)
                continue
            if not picked:
                # Sleep until woken, or until a chat held back by its limit may receive again.
                soonest = self._limiter.soonest_ready(loop.time())
                idle = self._idle_poll if soonest is None else min(soonest, self._idle_poll)
                await self._idle(idle)
                continue
            picked = await self._drop_expired(picked)
            for row in picked:
                self._limiter.take(row.chat_id, row.is_group, loop.time())
                self._chats_in_flight.add(row.chat_id)
                if row.priority > Priority.INTERACTIVE:
                    self._bulk_in_flight += 1
                assert row.id is not None
                task = asyncio.create_task(self._deliver(row))
                self._sends[task] = row.id
                task.add_done_callback(self._forget)

    async def _drop_expired(self, picked: list[OutboxMessage]) -> list[OutboxMessage]:
        """Marks the claimed rows no longer useful now (a reminder whose meeting started
        during an outage) as expired instead of sending them; returns the others."""
        now = self._clock.now()
        expired = {
            row.id for row in picked if row.id is not None and delivery.is_expired(row, now)
        }
        if not expired:
            return picked
        try:
            await self._offload(self._expire, sorted(expired))
        except asyncio.CancelledError:
            raise
        except Exception:  # their claims lapse and the next claim finds them again
            log.exception("could not mark %d expired %s messages", len(expired), self.channel)
        else:
            log.info("outbox: %d %s messages expired unsent", len(expired), self.channel)
        return [row for row in picked if row.id not in expired]

    def _expire(self, ids: list[int]) -> None:
        with self._db.session() as session:
            delivery.expire(session=session, ids=ids)

    async def _log_waiting(self, mono: float) -> None:
        """Once a minute while the channel is unreachable: how many rows wait, and why."""
        if self._waiting_logged_at is not None and mono - self._waiting_logged_at < (
            WAITING_LOG_SECONDS
        ):
            return
        self._waiting_logged_at = mono
        try:
            waiting = await self._offload(self._count_waiting)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not count the %s messages waiting to retry", self.channel)
            return
        since = self.unreachable_since
        if since is not None:
            log.warning(
                "outbox: %d rows waiting to retry (%s unreachable since %s)",
                waiting,
                self.channel,
                since.strftime("%H:%M:%S UTC"),
            )

    def _count_waiting(self) -> int:
        with self._db.session() as session:
            return delivery.waiting_retries(session=session, channel=self.channel)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._sends.pop(task, None)

    def _ask(self, mono: float) -> _Ask:
        return _Ask(
            limit=max(1, int(self._limiter.overall.tokens)),
            bulk_limit=max(0, self._max_bulk - self._bulk_in_flight),
            exclude=frozenset(self._limiter.busy_chats(mono)) | frozenset(self._chats_in_flight),
        )

    def _claim(self, ask: _Ask) -> list[OutboxMessage]:
        """Claims the rows to send now: one statement (see delivery.claim_due)."""
        with self._db.session() as session:
            return delivery.claim_due(
                session=session,
                channel=self.channel,
                now=self._clock.now(),
                holder=self.holder,
                lease_until=self._lease_clock.now() + self._claim_lease,
                limit=ask.limit,
                bulk_limit=ask.bulk_limit,
                exclude_chats=ask.exclude,
            )

    def _attach(self, row: OutboxMessage) -> OutboxMessage:
        with self._db.session() as session:
            return delivery.with_attachment(session=session, row=row)

    def _record(self, row_id: int, outcome: Delivery) -> None:
        with self._db.session() as session:
            delivery.record_delivery(
                session=session,
                row_id=row_id,
                delivery=outcome,
                now=self._clock.now(),
                retry_base=self._retry_base,
                retry_cap=self._retry_cap,
                holder=self.holder or None,
            )

    def _watch_reachability(self, outcome: str) -> None:
        """Notes when the channel stops answering (a 5xx or a network error) and when it
        answers again (any reply that is not one), for the waiting log line."""
        if outcome == "retry":
            if self.unreachable_since is None:
                self.unreachable_since = self._clock.now()
                self._waiting_logged_at = None
        elif outcome != "rate_limited" and self.unreachable_since is not None:
            log.info(
                "outbox: %s reachable again (unreachable since %s)",
                self.channel,
                self.unreachable_since.strftime("%H:%M:%S UTC"),
            )
            self.unreachable_since = None

    async def _deliver(self, row: OutboxMessage) -> None:
        try:
            if "stored_file_id" in row.payload:
                row = await self._offload(self._attach, row)
            outcome = await self._send(row)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("sending outbox row %s failed unexpectedly", row.id)
            outcome = Delivery(kind="retry", error=repr(exc))
        finally:
            self._chats_in_flight.discard(row.chat_id)
            if row.priority > Priority.INTERACTIVE:
                self._bulk_in_flight -= 1
        if outcome.retry_after:
            loop = asyncio.get_running_loop()
            self._limiter.pause_chat(row.chat_id, outcome.retry_after, loop.time())
        assert row.id is not None
        try:
            await self._offload(self._record, row.id, outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not record delivery of outbox row %s", row.id)
        self._report(row, outcome)
        # Its chat is free again: a row held back for it may go now.
        self.wake()

    def _report(self, row: OutboxMessage, outcome: Delivery) -> None:
        """One log line per send attempt, and the observer (the runtime's metrics)."""
        name = outcome_of(outcome)
        self._watch_reachability(name)
        if name == "sent":
            log.info("outbox row %s sent to %s", row.id, self.channel)
        elif name == "failed":
            log.warning("outbox row %s to %s: failed (%s)", row.id, self.channel, outcome.error)
        else:  # retried later, or a person who blocked the bot: the ledger says so
            wait = f", retry after {outcome.retry_after:g} s" if outcome.retry_after else ""
            log.info(
                "outbox row %s to %s: %s (%s)%s", row.id, self.channel, name, outcome.error, wait
            )
        try:
            self._observe(self.channel, name)
        except Exception:  # counting must never stop sending
            log.exception("the send observer failed")

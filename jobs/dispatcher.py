"""The outbox dispatcher: drains due rows within the channel's rate limits, interactive first."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.clock import Clock
from bot.db import Database
from bot.models import OutboxMessage, Priority
from bot.ratelimit import RateLimiter
from bot.services import outbox
from bot.services.outbox import Delivery

log = logging.getLogger(__name__)

Sender = Callable[[OutboxMessage], Awaitable[Delivery]]

CANDIDATES_PER_QUERY = 50
IDLE_POLL_SECONDS = 1.0


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
        max_attempts: int,
        max_bulk_in_flight: int = 12,
    ) -> None:
        self._db = db
        self.channel = channel
        self._send = send
        self._clock = clock
        self._limiter = limiter
        self._retry_base = retry_base
        self._max_attempts = max_attempts
        self._max_bulk = max_bulk_in_flight
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._chats_in_flight: set[str] = set()
        self._bulk_in_flight = 0

    def wake(self) -> None:
        """Tells the loop new rows may be due (called after every enqueue in this process)."""
        self._wake.set()

    async def start(self) -> None:
        """Puts rows a crashed run left half-sent back in the queue, then starts the loop."""
        with self._db.session() as session:
            released = outbox.release_stale_claims(
                session=session,
                claimed_before=self._clock.now() + timedelta(days=3650),
                channel=self.channel,
            )
        if released:
            log.warning("re-queued %d messages left in flight by an earlier run", released)
        self._loop_task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self) -> None:
        """Stops taking new rows and waits briefly for sends in flight."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._sends:
            await asyncio.wait(self._sends, timeout=10)

    async def drain(self, within: float = 30.0) -> None:
        """Waits until nothing is pending and due (tests and the CLI use this)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            with self._db.session() as session:
                due = outbox.due_candidates(
                    session=session,
                    channel=self.channel,
                    now=self._clock.now(),
                    exclude_chats=(),
                    limit=1,
                )
            if not due and not self._sends:
                return
            self.wake()
            await asyncio.sleep(0.02)
        raise TimeoutError("outbox did not drain")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # Cleared before looking, so a wake() during the query is not lost.
            self._wake.clear()
            try:
                picked = self._pick(loop.time())
            except Exception:
                log.exception("outbox query failed; retrying shortly")
                await asyncio.sleep(1)
                continue
            if picked is None:
                await asyncio.sleep(self._limiter.overall_wait(loop.time()))
                continue
            if not picked:
                # Sleep until woken, or until a chat held back by its limit may receive again.
                soonest = self._limiter.soonest_ready(loop.time())
                idle = IDLE_POLL_SECONDS if soonest is None else min(soonest, IDLE_POLL_SECONDS)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle)
                continue
            for row in picked:
                self._limiter.take(row.chat_id, row.is_group, loop.time())
                self._chats_in_flight.add(row.chat_id)
                if row.priority > Priority.INTERACTIVE:
                    self._bulk_in_flight += 1
                task = asyncio.create_task(self._deliver(row))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)

    def _pick(self, mono: float) -> list[OutboxMessage] | None:
        """Claims the rows to send now; None means wait for the overall limit."""
        wait = self._limiter.overall_wait(mono)
        if wait > 0:
            return None
        tokens = max(1, int(self._limiter.overall.tokens))
        exclude = set(self._limiter.busy_chats(mono)) | self._chats_in_flight
        now = self._clock.now()
        with self._db.session() as session:
            candidates = outbox.due_candidates(
                session=session,
                channel=self.channel,
                now=now,
                exclude_chats=exclude,
                limit=CANDIDATES_PER_QUERY,
            )
            chosen: list[OutboxMessage] = []
            chats: set[str] = set()
            bulk = self._bulk_in_flight
            for row in candidates:
                if row.chat_id in chats:
                    continue
                if row.priority > Priority.INTERACTIVE:
                    if bulk >= self._max_bulk:
                        continue
                    bulk += 1
                chats.add(row.chat_id)
                chosen.append(row)
                if len(chosen) >= tokens:
                    break
            ids = [row.id for row in chosen if row.id is not None]
            claimed = set(outbox.claim(session=session, ids=ids, now=now))
        return [row for row in chosen if row.id in claimed]

    async def _deliver(self, row: OutboxMessage) -> None:
        try:
            if "stored_file_id" in row.payload:
                with self._db.session() as session:
                    row = outbox.with_attachment(session=session, row=row)
            delivery = await self._send(row)
        except Exception as exc:
            log.exception("sending outbox row %s failed unexpectedly", row.id)
            delivery = Delivery(kind="retry", error=repr(exc))
        finally:
            self._chats_in_flight.discard(row.chat_id)
            if row.priority > Priority.INTERACTIVE:
                self._bulk_in_flight -= 1
        if delivery.retry_after:
            loop = asyncio.get_running_loop()
            self._limiter.pause_chat(row.chat_id, delivery.retry_after, loop.time())
        assert row.id is not None
        try:
            with self._db.session() as session:
                outbox.record_delivery(
                    session=session,
                    row_id=row.id,
                    delivery=delivery,
                    now=self._clock.now(),
                    retry_base=self._retry_base,
                    max_attempts=self._max_attempts,
                )
        except Exception:
            log.exception("could not record delivery of outbox row %s", row.id)
        if delivery.kind != "sent":
            log.info("outbox row %s: %s (%s)", row.id, delivery.kind, delivery.error)
        self.wake()

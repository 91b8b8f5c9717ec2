"""Health and metrics: `/healthz` and Prometheus `/metrics`, on the webhook app or a port."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select, text

from bot.db import Database
from bot.models import OutboxMessage, OutboxStatus, Priority

if TYPE_CHECKING:  # the HTTP server is loaded only when /metrics is served
    from aiohttp import web

log = logging.getLogger(__name__)

MESSAGE_OUTCOMES = ("sent", "failed", "blocked", "quota", "retry", "rate_limited")
# How an incoming update ended (handlers.observe): handled, failed with an error, or not for us.
UPDATE_OUTCOMES = ("handled", "error", "ignored")
PRIORITY_NAMES = {
    Priority.INTERACTIVE: "interactive",
    Priority.NORMAL: "normal",
    Priority.BULK: "bulk",
}
# Rows still to deliver; sent and refused rows are the ledger, not the queue.
QUEUED = (OutboxStatus.PENDING, OutboxStatus.SENDING)
TICK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# Who leads (drains the outbox and runs the tick): its name, True/False, or None when unknown;
# the runtime passes it, sync (run in a worker thread: it may read the lease row) or async.
LeaderProbe = Callable[[], "str | bool | Awaitable[str | bool | None] | None"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxSnapshot:
    """Queued rows by (priority, status) and how long the oldest due pending row has waited."""

    depth: dict[tuple[str, str], int]
    oldest_pending_age: float | None


@dataclass(frozen=True)
class Health:
    """What `/healthz` answers."""

    database_reachable: bool
    leader: str | None
    leader_known: bool
    oldest_pending_age_seconds: float | None

    def as_json(self) -> dict[str, Any]:
        """Returns the JSON body."""
        return {
            "status": "ok" if self.database_reachable else "unavailable",
            "database_reachable": self.database_reachable,
            "leader_known": self.leader_known,
            "leader": self.leader,
            "oldest_pending_age_seconds": self.oldest_pending_age_seconds,
        }


def outbox_snapshot(db: Database, now: datetime) -> OutboxSnapshot:
    """Reads the queue's depth and the oldest due pending row's age in one GROUP BY query.

    The age is counted from the row's due time (`next_attempt_at`), so a notice scheduled for
    next week or a row waiting out its retry backoff does not look like a stuck queue.
    """
    row = OutboxMessage.__table__.c  # type: ignore[attr-defined]
    due_since = func.min(
        case(
            (
                (row.status == OutboxStatus.PENDING) & (row.next_attempt_at <= now),
                row.next_attempt_at,
            ),
        )
    )
    query = (
        select(row.priority, row.status, func.count(), due_since)
        .where(row.status.in_(QUEUED))
        .group_by(row.priority, row.status)
    )
    depth = {(_priority(p), str(s)): 0 for p in PRIORITY_NAMES for s in QUEUED}
    oldest: datetime | None = None
    with db.engine.connect() as connection:
        for priority, status, count, since in connection.execute(query):
            depth[(_priority(priority), str(status))] = int(count)
            if since is not None and (oldest is None or since < oldest):
                oldest = since
    age = None if oldest is None else max(0.0, (now - oldest).total_seconds())
    return OutboxSnapshot(depth=depth, oldest_pending_age=age)


def _priority(value: int) -> str:
    return PRIORITY_NAMES.get(value, str(value))


class _OutboxCollector(Collector):
    """Fills the outbox gauges at scrape time."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self._db = db
        self._now = now

    def describe(self) -> Iterable[Metric]:
        """Declares nothing, so registering needs no database (collect() runs per scrape)."""
        return []

    def collect(self) -> Iterable[Metric]:
        """Queries the outbox; a failed query leaves the outbox series out of this scrape."""
        try:
            snapshot = outbox_snapshot(self._db, self._now())
        except Exception as exc:  # a scrape must answer even when the database does not
            log.warning("metrics: cannot read the outbox: %s", _one_line(exc))
            return
        depth = GaugeMetricFamily(
            "chibot_outbox_depth",
            "Outbox rows still to deliver, by priority and status",
            labels=["priority", "status"],
        )
        for (priority, status), count in sorted(snapshot.depth.items()):
            depth.add_metric([priority, status], count)
        yield depth
        yield GaugeMetricFamily(
            "chibot_outbox_oldest_pending_age_seconds",
            "Seconds the oldest due pending outbox row has waited past its due time (0: none)",
            value=snapshot.oldest_pending_age or 0.0,
        )


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


class Metrics:
    """The process's counters and gauges in a private registry, and the HTTP handlers."""

    def __init__(
        self,
        db: Database,
        *,
        now: Callable[[], datetime] = _utcnow,
        leader: LeaderProbe | None = None,
        channels: Iterable[str] = (),
        health_timeout: float = 5.0,
    ) -> None:
        self.db = db
        self._now = now
        self._leader = leader
        self._health_timeout = health_timeout
        self.registry = CollectorRegistry(auto_describe=False)
        self._updates = Counter(
            "chibot_updates_handled",
            "Incoming updates handled, by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._messages = Counter(
            "chibot_messages",
            "Outbox send attempts by channel and outcome "
            "(sent, failed, blocked, quota, retry, rate_limited)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._tick = Histogram(
            "chibot_tick_duration_seconds",
            "How long one tick took",
            buckets=TICK_BUCKETS,
            registry=self.registry,
        )
        self._is_leader = Gauge(
            "chibot_leader",
            "1 while this process drains the outbox and runs the tick, else 0",
            registry=self.registry,
        )
        self.registry.register(_OutboxCollector(db, now))
        ProcessCollector(registry=self.registry)
        for channel in channels:  # series exist at 0 from the start, so rate() sees the first
            for outcome in MESSAGE_OUTCOMES:
                self._messages.labels(channel, outcome)
            for outcome in UPDATE_OUTCOMES:
                self._updates.labels(channel, outcome)

    # --- recording ------------------------------------------------------------------------

    def update_handled(self, channel: str, outcome: str = "handled") -> None:
        """Counts one incoming update (outcome: one of UPDATE_OUTCOMES, or e.g. duplicate)."""
        self._updates.labels(channel, outcome).inc()

    def message(self, channel: str, outcome: str) -> None:
        """Counts one send attempt's outcome; `outcome` is one of MESSAGE_OUTCOMES."""
        if outcome not in MESSAGE_OUTCOMES:
            raise ValueError(f"unknown message outcome {outcome!r}; one of {MESSAGE_OUTCOMES}")
        self._messages.labels(channel, outcome).inc()

    def observe_tick(self, seconds: float) -> None:
        """Records how long one tick took."""
        self._tick.observe(seconds)

    @contextmanager
    def tick_timer(self) -> Iterator[None]:
        """Times the block as one tick (also when it raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe_tick(time.perf_counter() - started)

    def set_leader(self, leading: bool) -> None:
        """Records whether this process is the leader now."""
        self._is_leader.set(1 if leading else 0)

    # --- reading --------------------------------------------------------------------------

    def render(self) -> bytes:
        """Returns every series in Prometheus text format (queries the outbox: not on the loop)."""
        return generate_latest(self.registry)

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """Returns the series in the format the scraper's Accept header asks for (Prometheus
        text by default, OpenMetrics when asked) and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type

    def _database_health(self) -> tuple[bool, float | None]:
        try:
            with self.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # unreachable is an answer, not an error
            log.warning("healthz: database unreachable: %s", _one_line(exc))
            return False, None
        try:
            snapshot = outbox_snapshot(self.db, self._now())
        except Exception as exc:  # reachable, but the outbox cannot be read (schema?)
            log.warning("healthz: cannot read the outbox: %s", _one_line(exc))
            return True, None
        return True, snapshot.oldest_pending_age or 0.0

    async def health(self) -> Health:
        """Checks the database (off the event loop, with a timeout) and asks who leads."""
        try:
            reachable, age = await asyncio.wait_for(
                asyncio.to_thread(self._database_health), self._health_timeout
            )
        except TimeoutError:
            log.warning("healthz: the database did not answer in %.0f s", self._health_timeout)
            reachable, age = False, None
        leader = await self._ask_leader()
        return Health(
            database_reachable=reachable,
            leader=leader if isinstance(leader, str) else None,
            leader_known=bool(leader),
            oldest_pending_age_seconds=age,
        )

    async def _ask_leader(self) -> str | bool | None:
        if self._leader is None:
            return None
        try:
            # A probe may read the database (the lease row): it runs off the event loop.
            answer = await asyncio.to_thread(self._leader)
            if inspect.isawaitable(answer):
                answer = await answer
        except Exception as exc:  # a broken probe means "not known", not a failed health check
            log.warning("healthz: leader probe failed: %s", _one_line(exc))
            return None
        return answer

    # --- HTTP -----------------------------------------------------------------------------

    async def metrics_handler(self, request: web.Request) -> web.Response:
        """GET /metrics: Prometheus text format."""
        body, content_type = await asyncio.to_thread(
            self.exposition, request.headers.get("Accept", "")
        )
        from aiohttp import web

        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def healthz_handler(self, request: web.Request) -> web.Response:  # noqa: ARG002
        """GET /healthz: JSON; 200 when the database is reachable, 503 otherwise."""
        from aiohttp import web

        health = await self.health()
        status = 200 if health.database_reachable else 503
        return web.json_response(health.as_json(), status=status)

    def mount(self, app: web.Application) -> None:
        """Adds GET /metrics and GET /healthz to an aiohttp app (e.g. the webhook listener)."""
        app.router.add_get("/metrics", self.metrics_handler)
        app.router.add_get("/healthz", self.healthz_handler)


def parse_listen(listen: str) -> tuple[str, int]:
    """Splits `host:port` (host defaults to 127.0.0.1; IPv6 in brackets)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected host:port, got {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


async def serve_metrics(metrics: Metrics, listen: str) -> web.AppRunner:
    """Starts a standalone server for /metrics and /healthz on `listen` (CHIBOT_METRICS_LISTEN).

    The caller stops it with `await runner.cleanup()`.
    """
    from aiohttp import web

    host, port = parse_listen(listen)
    app = web.Application()
    metrics.mount(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("metrics and health on http://%s:%d/metrics and /healthz", host, port)
    return runner

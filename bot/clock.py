"""The injectable clock: services take `now`; only jobs and handlers ask a Clock for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Returns the current instant in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Returns the current instant in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests and the sandbox)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """Returns the clock's current instant."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Moves the clock forward by `delta` and returns the new instant."""
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        """Moves the clock to `instant`."""
        self._now = instant.astimezone(UTC)


class OffsetClock:
    """Real time plus an offset that can only grow (e2e tests and the sandbox's clock control).

    Time keeps flowing, so the outbox keeps draining, while reminders and rounds that are days
    away can be brought forward by `advance`.
    """

    def __init__(self, offset: timedelta | None = None) -> None:
        self.offset = offset or timedelta()

    def now(self) -> datetime:
        """Returns the real instant shifted by the offset."""
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        """Moves the clock forward by `delta` and returns the new instant."""
        if delta < timedelta():
            raise ValueError("the clock only moves forward")
        self.offset += delta
        return self.now()

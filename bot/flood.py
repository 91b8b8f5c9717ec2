"""Flood control: a person sending commands faster than a person reads is slowed down.

Counted in memory, per process, in a sliding window: no statement per update, whatever the
traffic or the cell. Several processes each count the updates they handle, so a person whose
updates are spread over N processes may send up to N times the limit before being told; a
flood is still stopped, which is the point, and a restart forgets the counts, which is harmless.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta
from enum import Enum

WINDOW = timedelta(minutes=1)
# After the warning, a person's commands are dropped unanswered this long.
QUIET = timedelta(minutes=1)
# Keys not seen for a window are forgotten when the table grows past this.
SWEEP_AT = 10_000


class Verdict(Enum):
    """What to do with one command."""

    ACCEPT = "accept"
    WARN = "warn"  # the first one over the limit: answered with "slow down", not acted on
    DROP = "drop"  # while quiet after the warning: neither acted on nor answered


class FloodGuard:
    """Counts each person's commands in the last minute; thread-safe (turns run in threads)."""

    def __init__(self, limit: int, *, window: timedelta = WINDOW, quiet: timedelta = QUIET):
        self.limit = limit
        self._window = window
        self._quiet = quiet
        self._seen: dict[tuple[str, str], deque[datetime]] = {}
        self._quiet_until: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def check(self, *, channel: str, user_id: str, now: datetime) -> Verdict:
        """Records one command of this person at `now` and says what to do with it."""
        if self.limit <= 0:
            return Verdict.ACCEPT
        key = (channel, user_id)
        with self._lock:
            until = self._quiet_until.get(key)
            if until is not None:
                if now < until:
                    return Verdict.DROP
                del self._quiet_until[key]
                self._seen.pop(key, None)
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self._window:
                seen.popleft()
            if len(seen) >= self.limit:
                self._quiet_until[key] = now + self._quiet
                seen.clear()
                return Verdict.WARN
            seen.append(now)
            if len(self._seen) > SWEEP_AT:
                self._sweep(now)
            return Verdict.ACCEPT

    def _sweep(self, now: datetime) -> None:
        stale = [
            key for key, seen in self._seen.items() if not seen or seen[-1] <= now - self._window
        ]
        for key in stale:
            del self._seen[key]
        for key in [key for key, until in self._quiet_until.items() if until <= now]:
            del self._quiet_until[key]

"""One log line and one observation per incoming update, whatever the channel.

The line names the update by its id and says what it was (a command's name, a choice's action,
"text", "file"): never its words, arguments or callback data, which may carry invite tokens or
setup codes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.actions.core import Incoming, IncomingKind
from bot.ui import SEPARATOR

log = logging.getLogger("handlers")

HANDLED = "handled"
ERROR = "error"
IGNORED = "ignored"


@dataclass(frozen=True)
class UpdateReport:
    """What became of one incoming update."""

    channel: str
    update_id: str
    what: str
    outcome: str  # handled | error | ignored
    seconds: float


#: Told about every update once it is done (the runtime counts them in /metrics).
UpdateObserver = Callable[[UpdateReport], None]


def ignore_report(_report: UpdateReport) -> None:
    """The default observer: nobody is told."""


def what_of(incoming: Incoming) -> str:
    """A short, safe name for what the person did (for logs and metrics)."""
    if incoming.kind == IncomingKind.COMMAND:
        return f"/{incoming.command}"
    if incoming.kind == IncomingKind.CHOICE:
        return incoming.choice.split(SEPARATOR, 1)[0] or "choice"
    return str(incoming.kind)


class UpdateLog:
    """Logs one line per update and passes its report to the observer."""

    def __init__(self, channel: str, observe: UpdateObserver = ignore_report) -> None:
        self.channel = channel
        self._observe = observe

    @staticmethod
    def started() -> float:
        """Returns the moment an update's handling starts (to pass to `done`)."""
        return time.perf_counter()

    def done(self, update_id: object, what: str, outcome: str, started: float) -> None:
        """Records that the update `update_id` (what it was) ended with `outcome`."""
        seconds = time.perf_counter() - started
        report = UpdateReport(self.channel, str(update_id), what, outcome, seconds)
        level = logging.DEBUG if outcome == IGNORED else logging.INFO
        if outcome == ERROR:
            level = logging.WARNING
        log.log(
            level,
            "%s update %s %s: %s in %.0f ms",
            self.channel,
            report.update_id,
            "failed" if outcome == ERROR else outcome,
            what,
            seconds * 1000,
        )
        try:
            self._observe(report)
        except Exception:  # counting must never break handling
            log.exception("the update observer failed")

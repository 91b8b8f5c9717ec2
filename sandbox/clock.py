"""The sandbox's clock: real time plus an offset kept in the data directory, and what is due."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bot.clock import OffsetClock
from bot.services import campaign_tick, reminders

log = logging.getLogger(__name__)

#: How far past an item's due time "to the next scheduled item" moves, so the tick sees it due.
PAST_DUE = timedelta(seconds=1)


@dataclass(frozen=True)
class NextItem:
    """The next time-driven item the bot will act on: when, and what (for the page)."""

    at: datetime
    label: str


CAMPAIGN_LABELS = {
    "reminder": "lời nhắc đăng ký cam kết",
    "round": "kỳ báo cáo tiến độ mới",
    "nudge": "lời nhắc báo cáo tiến độ",
}


def next_scheduled(*, session: Session, now: datetime) -> NextItem | None:
    """Returns the earliest time-driven item the tick has still to act on, if any: a meeting
    reminder (or a meeting's start), a registration reminder, a check-in round or a nudge."""
    found: list[NextItem] = []
    due = reminders.next_due_at(session=session)
    if due is not None:
        found.append(NextItem(due, "lời nhắc họp kế tiếp"))
    chore = campaign_tick.next_due(session=session, now=now)
    if chore is not None:
        found.append(NextItem(chore[0], CAMPAIGN_LABELS[chore[1]]))
    return min(found, key=lambda item: item.at) if found else None


class PersistentClock(OffsetClock):
    """An OffsetClock whose offset is stored in a small JSON file, so it survives restarts."""

    def __init__(self, path: Path) -> None:
        """Loads the offset from `path` (zero when the file is missing or unreadable)."""
        super().__init__(self._load(path))
        self.path = path

    @staticmethod
    def _load(path: Path) -> timedelta:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            seconds = float(data["offset_seconds"])
        except FileNotFoundError:
            return timedelta()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable clock file %s: %s", path, exc)
            return timedelta()
        return timedelta(seconds=max(0.0, seconds))

    def advance(self, delta: timedelta) -> datetime:
        """Moves the clock forward by `delta`, saves the offset and returns the new instant."""
        now = super().advance(delta)
        self.save()
        return now

    def save(self) -> None:
        """Writes the offset atomically (a crash leaves the old or the new file, never half)."""
        partial = self.path.with_suffix(".tmp")
        body = {"offset_seconds": self.offset.total_seconds()}
        partial.write_text(json.dumps(body) + "\n", encoding="utf-8")
        partial.replace(self.path)

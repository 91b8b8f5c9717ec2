"""A channel's monthly message budget: what this month used, and when to warn the operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class QuotaUse:
    """How much of a channel's monthly message budget this month used."""

    sent: int
    refused: int
    quota: int

    @property
    def share(self) -> float:
        """Returns the part of the budget used (1.0 = all of it)."""
        return self.sent / self.quota if self.quota > 0 else 0.0

    @property
    def nearly_used(self) -> bool:
        """Tells whether 80% or more is used, or the provider refused some (a warning)."""
        return self.share >= QUOTA_WARNING_SHARE or self.refused > 0


QUOTA_WARNING_SHARE = 0.8


def quota_use(*, session: Session, channel: str, quota: int, now: datetime) -> QuotaUse:
    """Counts the messages a channel delivered and refused for quota since the month began."""
    month_start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sent = session.exec(
        select(func.count()).where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.status) == OutboxStatus.SENT,
            col(OutboxMessage.sent_at) >= month_start,
        )
    ).one()
    refused = session.exec(
        select(func.count()).where(
            col(OutboxMessage.channel) == channel,
            col(OutboxMessage.status) == OutboxStatus.QUOTA,
            col(OutboxMessage.created_at) >= month_start,
        )
    ).one()
    return QuotaUse(sent=int(sent), refused=int(refused), quota=quota)

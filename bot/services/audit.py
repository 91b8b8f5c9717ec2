"""The audit log: every committee or operator action, with before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.models import AuditEntry


def record_action(
    *,
    session: Session,
    org_id: int | None,
    actor_person_id: int | None,
    actor_label: str,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> AuditEntry:
    """Writes one audit entry (in the caller's transaction)."""
    entry = AuditEntry(
        org_id=org_id,
        actor_person_id=actor_person_id,
        actor_label=actor_label[:120],
        action=action,
        target=target[:120],
        before=before,
        after=after,
        at=now,
    )
    session.add(entry)
    return entry


def list_actions(*, session: Session, org_id: int, limit: int = 50) -> list[AuditEntry]:
    """Returns the newest audit entries of an organisation."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.org_id == org_id)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def latest_action(*, session: Session, org_id: int, action: str, target: str) -> AuditEntry | None:
    """Returns the newest entry of one action on one target (e.g. the last reminder sent about
    a meeting), if any."""
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.org_id == org_id, AuditEntry.action == action, AuditEntry.target == target
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(1)
    )
    return session.exec(query).first()

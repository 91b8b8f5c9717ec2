"""Tasks assigned at a meeting after it is concluded: each owner is told privately, with a
button to mark the task done; the owner or the committee marks it (audited), and the digest
and the period report count it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.i18n import Translator
from bot.models import COMMITTEE_ROLES, Meeting, MeetingTask, Organisation, Person, Priority
from bot.services import audit, members, notices, outbox
from bot.services.errors import NotAllowed, NotFound
from bot.ui import Screen


def owner_rows(
    *,
    session: Session,
    org: Organisation,
    meeting: Meeting,
    build: Callable[[Translator, MeetingTask], Screen],
    now: datetime,
) -> list[dict[str, Any]]:
    """Returns one private message per task to its owner (who can be written to): one
    query for the tasks and one for the cell's recipients."""
    assert org.id is not None
    found = list(
        session.exec(
            select(MeetingTask)
            .where(MeetingTask.meeting_id == meeting.id)
            .order_by(col(MeetingTask.id))
        )
    )
    if not found:
        return []
    everyone = notices.recipients(session=session, org_ids=[org.id])[org.id]
    by_member = {r.member_id: r for r in everyone}
    rows: list[dict[str, Any]] = []
    for task in found:
        owner = by_member.get(task.owner_member_id)
        if owner is None:
            continue
        rows += notices.fan_out_rows(
            org=org,
            people=[owner],
            build=lambda t, task=task: build(t, task),  # type: ignore[misc]
            key=f"task:{task.id}",
            now=now,
            include_group=False,
            priority=Priority.NORMAL,
        )
    return rows


def notify_owners(
    *,
    session: Session,
    org: Organisation,
    meeting: Meeting,
    build: Callable[[Translator, MeetingTask], Screen],
    now: datetime,
) -> int:
    """Queues each owner's message; returns how many rows were new."""
    rows = owner_rows(session=session, org=org, meeting=meeting, build=build, now=now)
    return outbox.enqueue_many(session=session, rows=rows)


def mark_done(
    *, session: Session, task_id: int, person: Person, now: datetime
) -> tuple[MeetingTask, bool]:
    """Marks the task done by its owner or a committee member of its cell; returns it and
    whether it was done already (a second tap changes nothing)."""
    task = session.get(MeetingTask, task_id)
    if task is None:
        raise NotFound("task_not_found")
    meeting = session.get(Meeting, task.meeting_id)
    if meeting is None:
        raise NotFound("task_not_found")
    acting = members.membership_in(session=session, person=person, org_id=meeting.org_id)
    if acting is None or (
        acting.id != task.owner_member_id and acting.role not in COMMITTEE_ROLES
    ):
        raise NotAllowed("not_your_task")
    if task.done_at is not None:
        return task, True
    task.done_at = now
    task.done_by = person.id
    session.add(task)
    audit.record_action(
        session=session,
        org_id=meeting.org_id,
        actor_person_id=person.id,
        actor_label=acting.full_name,
        action="task.done",
        target=f"task:{task.id}",
        before=None,
        after={"done_at": now.isoformat()},
        now=now,
    )
    return task, False

"""After a meeting: the conclusion (kết luận) and the tasks assigned, kept with the meeting."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.datetext import DateTextError, ParsedDate, parse_day
from bot.models import Meeting, MeetingStatus, MeetingTask, Member, Person
from bot.services import audit, meetings, members
from bot.services.errors import Conflict, InvalidInput
from bot.text import clean_line, fold, without_honorific

MAX_CONCLUSION = 4000
MAX_TASKS = 30
# "Trần Thị Lan: chuẩn bị báo cáo quý IV — 15/12" (the dash may be -, –, — or "hạn").
_TASK = re.compile(r"^(?P<owner>[^:]+):\s*(?P<rest>.+)$")
_MARKER = re.compile(r"\s[-–—]\s|\s[-–—]|[-–—]\s|\bhạn\b|\bdue\b", re.IGNORECASE)


@dataclass(frozen=True)
class TaskDraft:
    """A parsed task line."""

    owner_member_id: int
    owner_name: str
    description: str
    due_on: date
    # A due day and month typed without a year that had passed this year: that day this year
    # (`due_on` is next year's, for the form to ask about). Else None.
    passed: date | None = None


def validate_conclusion(text: str) -> str:
    """Returns the conclusion with its line breaks kept, or raises InvalidInput."""
    lines = [clean_line(line) for line in text.splitlines()]
    conclusion = "\n".join(line for line in lines if line)
    if not conclusion:
        raise InvalidInput("conclusion_empty")
    if len(conclusion) > MAX_CONCLUSION:
        raise InvalidInput("conclusion_too_long", limit=MAX_CONCLUSION)
    return conclusion


def _owner(roster: list[Member], typed: str) -> Member | None:
    # "đ/c Lan" and "đồng chí Lan" name Lan.
    wanted = without_honorific(fold(typed))
    exact = [m for m in roster if fold(m.full_name) == wanted]
    if len(exact) == 1:
        return exact[0]
    # A given name alone ("Lan") is enough when only one comrade has it.
    given = [m for m in roster if fold(m.full_name.split(" ")[-1]) == wanted]
    return given[0] if len(given) == 1 else None


def _split_due(rest: str, line: int, now: datetime, tz: ZoneInfo) -> tuple[str, ParsedDate]:
    """Splits "task — due" at the rightmost marker whose tail reads as a date, so words like
    "hạn chế" or a date written 15-01-2027 stay where they belong."""
    markers = list(_MARKER.finditer(rest))
    if not markers:
        raise InvalidInput("task_unreadable", line=line)
    for marker in reversed(markers):
        tail = rest[marker.end() :].strip()
        try:
            due = parse_day(tail, now=now, tz=tz)
        except DateTextError:
            continue
        return rest[: marker.start()].strip(), due
    raise InvalidInput("task_bad_date", line=line)


def parse_tasks(
    *, text: str, roster: list[Member], now: datetime, tz: ZoneInfo
) -> list[TaskDraft]:
    """Reads one task per line; raises InvalidInput naming the first line it cannot read."""
    lines = [(n, clean_line(line)) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(lines) > MAX_TASKS:
        raise InvalidInput("tasks_too_many", limit=MAX_TASKS)
    drafts = []
    for number, line in lines:
        match = _TASK.match(line)
        if match is None:
            raise InvalidInput("task_unreadable", line=number)
        owner = _owner(roster, match["owner"])
        if owner is None or owner.id is None:
            raise InvalidInput("task_owner_unknown", line=number, name=match["owner"].strip())
        description, due = _split_due(match["rest"], number, now, tz)
        if not description or len(description) > 500:
            raise InvalidInput("task_unreadable", line=number)
        drafts.append(TaskDraft(owner.id, owner.full_name, description, due.day, due.passed))
    return drafts


def require_open(meeting: Meeting, now: datetime) -> None:
    """Raises unless a conclusion can be recorded now: the meeting took place (not cancelled,
    started) and has none yet."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("meeting_cancelled")
    if meeting.starts_at > now:
        raise Conflict("meeting_not_held")
    if meeting.concluded_at is not None:
        raise Conflict("already_concluded")


def record(
    *,
    session: Session,
    meeting_id: int,
    conclusion: str,
    tasks: list[TaskDraft],
    actor: Person,
    now: datetime,
) -> Meeting:
    """Keeps the conclusion and tasks with the meeting (once it has started); committee only."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    acting = members.require_committee(session=session, person=actor, org_id=meeting.org_id)
    require_open(meeting, now)
    meeting.conclusion = validate_conclusion(conclusion)
    meeting.concluded_at = now
    session.add(meeting)
    for task in tasks:
        session.add(
            MeetingTask(
                meeting_id=meeting_id,
                owner_member_id=task.owner_member_id,
                description=task.description,
                due_on=task.due_on,
                created_at=now,
            )
        )
    audit.record_action(
        session=session,
        org_id=meeting.org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action="meeting.conclude",
        target=f"#{meeting.id}",
        before=None,
        after={"tasks": len(tasks)},
        now=now,
    )
    return meeting


def require_concluded(meeting: Meeting) -> None:
    """Raises unless the meeting's conclusion was posted (so that it can be corrected)."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("meeting_cancelled")
    if meeting.concluded_at is None or meeting.conclusion is None:
        raise Conflict("not_concluded")


def correct(
    *, session: Session, meeting_id: int, conclusion: str, actor: Person, now: datetime
) -> tuple[Meeting, str]:
    """Replaces a posted conclusion with its corrected text (the tasks stay); committee only.
    The audit log keeps the text it replaced. Returns the meeting and the old text."""
    meeting = meetings.get_meeting(session=session, meeting_id=meeting_id)
    acting = members.require_committee(session=session, person=actor, org_id=meeting.org_id)
    require_concluded(meeting)
    old = meeting.conclusion or ""
    meeting.conclusion = validate_conclusion(conclusion)
    session.add(meeting)
    audit.record_action(
        session=session,
        org_id=meeting.org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action="meeting.conclusion_corrected",
        target=f"#{meeting.id}",
        before={"conclusion": old},
        after={"conclusion": meeting.conclusion},
        now=now,
    )
    return meeting, old


def tasks_of(*, session: Session, meeting_id: int) -> list[MeetingTask]:
    """Returns the tasks assigned at a meeting, in the order they were given."""
    # Without ORDER BY, PostgreSQL returns rows in storage order, which an update changes.
    return list(
        session.exec(
            select(MeetingTask)
            .where(MeetingTask.meeting_id == meeting_id)
            .order_by(col(MeetingTask.id))
        )
    )

"""Who an announcement reached: the delivery ledger (delivered, pending, unreachable), who
acknowledged, who was told in person, and reminding those who have not acknowledged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import true, update
from sqlmodel import Session, col, select

from bot import render_announcements as render
from bot.models import (
    Account,
    Announcement,
    AnnouncementKind,
    AnnouncementRecipient,
    AnnouncementStatus,
    Member,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Person,
    Reachability,
)
from bot.services import announcement_audience, announcements, audit, members, notices, outbox
from bot.services.errors import Conflict, NotFound

NUDGE_EVERY = timedelta(hours=24)
# No reminder at night in the cell's zone: one asked for then waits for the morning.
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(7, 0)
FAILED = frozenset({OutboxStatus.BLOCKED, OutboxStatus.QUOTA, OutboxStatus.FAILED})


class Delivery(StrEnum):
    """Where an announcement stands for one member."""

    DELIVERED = "delivered"
    PENDING = "pending"
    UNREACHABLE = "unreachable"


class Reason(StrEnum):
    """Why a member could not be reached."""

    BLOCKED = "blocked"
    NEVER_STARTED = "never_started"
    NOT_JOINED = "not_joined"
    QUOTA = "quota"
    FAILED = "failed"


@dataclass(frozen=True)
class Entry:
    """One member of an announcement's audience in the ledger."""

    member_id: int
    name: str
    delivery: Delivery
    reason: Reason | None = None
    acked_at: datetime | None = None
    told_at: datetime | None = None

    @property
    def waiting(self) -> bool:
        """Reached (or about to be) and has not acknowledged."""
        return self.acked_at is None and self.delivery != Delivery.UNREACHABLE


@dataclass(frozen=True)
class Ledger:
    """An announcement's delivery ledger; delivered + unreachable + pending = audience."""

    entries: list[Entry]

    def _count(self, delivery: Delivery) -> int:
        return sum(1 for e in self.entries if e.delivery == delivery)

    @property
    def audience(self) -> int:
        """How many members it is for."""
        return len(self.entries)

    @property
    def delivered(self) -> int:
        """How many the channel took it for."""
        return self._count(Delivery.DELIVERED)

    @property
    def pending(self) -> int:
        """How many are still queued."""
        return self._count(Delivery.PENDING)

    @property
    def unreachable(self) -> int:
        """How many could not be written to."""
        return self._count(Delivery.UNREACHABLE)

    @property
    def acked(self) -> int:
        """How many acknowledged."""
        return sum(1 for e in self.entries if e.acked_at is not None)

    @property
    def waiting(self) -> list[Entry]:
        """Those reached (or about to be) who have not acknowledged, in roster order."""
        return [e for e in self.entries if e.waiting]

    @property
    def unreached(self) -> list[Entry]:
        """Those who could not be written to, in roster order."""
        return [e for e in self.entries if e.delivery == Delivery.UNREACHABLE]


def _reason(status: OutboxStatus, reachability: Reachability | None) -> Reason:
    if status == OutboxStatus.QUOTA:
        return Reason.QUOTA
    if status == OutboxStatus.BLOCKED:
        if reachability == Reachability.NEVER_STARTED:
            return Reason.NEVER_STARTED
        return Reason.BLOCKED
    return Reason.FAILED


def ledger(*, session: Session, announcement: Announcement) -> Ledger:
    """Returns the ledger of an announcement: for one not sent yet, its audience as it stands
    (all pending, or unreachable when nobody can be written to); for a sent one, each
    recipient with what the outbox recorded for their message (three queries)."""
    assert announcement.id is not None
    if announcement.status != AnnouncementStatus.SENT:
        addressees = announcement_audience.audience(
            session=session,
            org_id=announcement.org_id,
            kind=announcement.audience,
            chosen=tuple(announcement.chosen_member_ids),
        )
        return Ledger(
            [
                Entry(a.member_id, a.full_name, Delivery.PENDING)
                if a.recipient is not None
                else Entry(a.member_id, a.full_name, Delivery.UNREACHABLE, Reason.NOT_JOINED)
                for a in addressees
            ]
        )
    rows = session.exec(
        select(AnnouncementRecipient, Member.full_name)
        .join(Member, col(Member.id) == col(AnnouncementRecipient.member_id))
        .where(AnnouncementRecipient.announcement_id == announcement.id)
        .order_by(col(Member.sort_key), col(Member.id))
    ).all()
    prefix = announcements.message_key(announcement.id) + ":"
    statuses: dict[int, set[OutboxStatus]] = {}
    for key, status in session.exec(
        select(OutboxMessage.dedupe_key, OutboxMessage.status).where(
            col(OutboxMessage.dedupe_key).startswith(prefix)
        )
    ).all():
        member_part = key[len(prefix) :].split("#", 1)[0]
        if member_part.isdigit():
            statuses.setdefault(int(member_part), set()).add(OutboxStatus(status))
    failed_chats = {
        (r.channel, r.chat_id)
        for r, _ in rows
        if r.channel is not None and statuses.get(r.member_id, set()) & FAILED
    }
    reach: dict[tuple[str, str], Reachability] = {}
    if failed_chats:
        for channel, external_id, reachability in session.exec(
            select(Account.channel, Account.external_id, Account.reachability).where(
                col(Account.external_id).in_([chat for _, chat in failed_chats])
            )
        ).all():
            reach[(channel, external_id)] = Reachability(reachability)
    entries: list[Entry] = []
    for recipient, name in rows:
        found = statuses.get(recipient.member_id, set())
        told = recipient.told_in_person_at
        if recipient.chat_id is None or recipient.channel is None:
            entry = Entry(recipient.member_id, name, Delivery.UNREACHABLE, Reason.NOT_JOINED)
        elif recipient.acked_at is not None or (found and found <= {OutboxStatus.SENT}):
            entry = Entry(recipient.member_id, name, Delivery.DELIVERED)
        elif failed := found & FAILED:
            status = sorted(failed)[0]
            reason = _reason(status, reach.get((recipient.channel, recipient.chat_id)))
            entry = Entry(recipient.member_id, name, Delivery.UNREACHABLE, reason)
        else:
            entry = Entry(recipient.member_id, name, Delivery.PENDING)
        entries.append(
            Entry(
                entry.member_id,
                entry.name,
                entry.delivery,
                entry.reason,
                recipient.acked_at,
                told,
            )
        )
    return Ledger(entries)


# --- told in person ------------------------------------------------------------------------------


def record_told_in_person(
    *, session: Session, announcement_id: int, member_id: int, actor: Person, now: datetime
) -> Member:
    """Records that the secretary told an unreachable member in person ("đã báo trực tiếp")."""
    found = announcements.get_announcement(session=session, announcement_id=announcement_id)
    members.require_secretary(session=session, person=actor, org_id=found.org_id)
    recipient = session.exec(
        select(AnnouncementRecipient).where(
            AnnouncementRecipient.announcement_id == announcement_id,
            AnnouncementRecipient.member_id == member_id,
        )
    ).first()
    member = session.get(Member, member_id)
    if recipient is None or member is None:
        raise NotFound("member_not_found")
    if recipient.told_in_person_at is not None:
        raise Conflict("told_already")
    entries = ledger(session=session, announcement=found).entries
    entry = next((e for e in entries if e.member_id == member_id), None)
    if entry is None or entry.delivery != Delivery.UNREACHABLE:
        raise Conflict("told_only_unreachable")
    recipient.told_in_person_at = now
    recipient.told_by_person_id = actor.id
    session.add(recipient)
    audit.record_action(
        session=session,
        org_id=found.org_id,
        actor_person_id=actor.id,
        actor_label=actor.display_name,
        action="announcement.told_in_person",
        target=f"announcement:{found.id}:member:{member_id}",
        before=None,
        after={"member": member.full_name, "reason": entry.reason},
        now=now,
    )
    return member


# --- reminding those who have not acknowledged ---------------------------------------------------


@dataclass(frozen=True)
class NudgeResult:
    """What asking for a reminder did: sent to `sent` members, queued until `queued_for`, or
    refused (`refused` names why; `retry_at` when the next one may go)."""

    sent: int = 0
    queued_for: datetime | None = None
    refused: str | None = None
    retry_at: datetime | None = None


def quiet_until(org: Organisation, now: datetime) -> datetime | None:
    """Returns the next 07:00 in the cell's zone if `now` is at night there (21:00–07:00)."""
    zone = ZoneInfo(org.timezone)
    local = now.astimezone(zone)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=zone).astimezone(now.tzinfo)


def request_nudge(
    *, session: Session, announcement_id: int, actor: Person, now: datetime
) -> NudgeResult:
    """Reminds, privately, the members who have not acknowledged: at most once in 24 hours,
    never at night (then queued for 07:00 in the cell's zone)."""
    found = announcements.for_committee(
        session=session, announcement_id=announcement_id, person=actor
    )
    if found.status != AnnouncementStatus.SENT or not found.ack_required:
        return NudgeResult(refused="not_sent")
    if found.nudge_due_at is not None:
        return NudgeResult(refused="queued", queued_for=found.nudge_due_at)
    if found.last_nudged_at is not None and now < found.last_nudged_at + NUDGE_EVERY:
        return NudgeResult(refused="too_soon", retry_at=found.last_nudged_at + NUDGE_EVERY)
    if found.deadline is not None and now > found.deadline:
        return NudgeResult(refused="past_deadline")
    if not waiting_ids(session=session, announcement=found):
        return NudgeResult(refused="nobody")
    org = announcements.org_of(session, found)
    later = quiet_until(org, now)
    audit.record_action(
        session=session,
        org_id=found.org_id,
        actor_person_id=actor.id,
        actor_label=actor.display_name,
        action="announcement.nudge",
        target=f"announcement:{found.id}",
        before=None,
        after={"queued_for": later.isoformat() if later else None},
        now=now,
    )
    if later is not None:
        found.nudge_due_at = later
        session.add(found)
        return NudgeResult(queued_for=later)
    return NudgeResult(sent=send_nudge(session=session, announcement=found, org=org, now=now))


def waiting_ids(*, session: Session, announcement: Announcement) -> set[int]:
    """Returns the members a reminder is for: reached (or about to be) and, for a notice, not
    acknowledged; for a study campaign, not done all it asks (read, reflection)."""
    entries = ledger(session=session, announcement=announcement)
    if announcement.kind != AnnouncementKind.STUDY:
        return {e.member_id for e in entries.waiting}
    from bot.services.study import complete_member_ids

    done = complete_member_ids(session=session, announcement=announcement)
    return {
        e.member_id
        for e in entries.entries
        if e.delivery != Delivery.UNREACHABLE and e.member_id not in done
    }


def send_nudge(
    *, session: Session, announcement: Announcement, org: Organisation, now: datetime
) -> int:
    """Queues the reminder to each member reached who has not acknowledged; returns how many
    members it goes to. The dedupe keys carry the instant, so one reminder goes once."""
    assert announcement.id is not None
    waiting = waiting_ids(session=session, announcement=announcement)
    study = announcement.kind == AnnouncementKind.STUDY
    targets = [
        notices.Recipient(
            member_id=r.member_id,
            org_id=org.id or 0,
            person_id=r.person_id or 0,
            locale=locale,
            channel=r.channel or "",
            chat_id=r.chat_id or "",
        )
        for r, locale in session.exec(
            select(AnnouncementRecipient, Person.locale)
            .join(Person, col(Person.id) == col(AnnouncementRecipient.person_id))
            .where(
                AnnouncementRecipient.announcement_id == announcement.id,
                col(AnnouncementRecipient.chat_id).is_not(None),
                # A study campaign also reminds those who read but owe the reflection.
                true() if study else col(AnnouncementRecipient.acked_at).is_(None),
            )
            .order_by(col(AnnouncementRecipient.member_id))
        ).all()
        if r.member_id in waiting
    ]
    stamp = f"{now.timestamp():.0f}"
    rows = notices.fan_out_rows(
        org=org,
        people=targets,
        build=lambda t: render.nudge_message(t, announcement, org),
        key=f"ann:{announcement.id}:n{stamp}",
        now=now,
        include_group=False,
    )
    outbox.enqueue_many(session=session, rows=rows)
    if targets:
        session.execute(
            update(AnnouncementRecipient)
            .where(
                col(AnnouncementRecipient.announcement_id) == announcement.id,
                col(AnnouncementRecipient.member_id).in_([t.member_id for t in targets]),
            )
            .values(last_nudged_at=now)
            .execution_options(synchronize_session=False)
        )
    announcement.last_nudged_at = now
    announcement.nudge_due_at = None
    session.add(announcement)
    return len(targets)


# --- the tick ------------------------------------------------------------------------------------


def run_due(*, session: Session, now: datetime) -> int:
    """Sends the scheduled announcements whose time has come and the reminders queued for the
    morning; returns how many announcements it acted on. Running it twice changes nothing."""
    done = 0
    for announcement, org in announcements.due(session=session, now=now):
        announcements.send(session=session, announcement=announcement, org=org, now=now)
        done += 1
    queued = session.exec(
        select(Announcement, Organisation)
        .join(Organisation, col(Organisation.id) == col(Announcement.org_id))
        .where(col(Announcement.nudge_due_at) <= now)
        .order_by(col(Announcement.nudge_due_at), col(Announcement.id))
    ).all()
    for announcement, org in queued:
        send_nudge(session=session, announcement=announcement, org=org, now=now)
        done += 1
    return done

"""Study campaigns (học tập chuyên đề, quán triệt nghị quyết): study material sent as an
announcement of the kind "tài liệu học tập", with a deadline and perhaps a reflection (bài thu
hoạch) each member writes; who read and who submitted, the participation rate against the 95%
bar, and the reflections the committee exports.

Reading is the announcement's acknowledgement ("📖 Đã đọc / đã học"); sending, reminders and the
delivery ledger are the announcement's own (bot.services.announcements, announcement_ledger).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.models import (
    Announcement,
    AnnouncementKind,
    AnnouncementRecipient,
    AnnouncementStatus,
    Member,
    Organisation,
    Person,
    ReflectionKind,
    StudySubmission,
)
from bot.services import announcement_ledger, announcements, audit, members
from bot.services.documents import IncomingFile, check_file
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from bot.text import nfc

if TYPE_CHECKING:
    from bot.services.announcements import Draft

# Upper committees want more than 95% of members to take part (domain: quán triệt nghị quyết).
BAR = 0.95
# A reflection is typed in one message (the longest a form takes); the least length asked
# must fit in one message on every app (Zalo's is the shortest).
MAX_REFLECTION = 4_000
MAX_MIN_LENGTH = 2_000
MAX_QUESTION = 1_000


# --- the committee opens a campaign --------------------------------------------------------------


def check_campaign(draft: Draft, now: datetime) -> None:
    """Refuses a campaign without a deadline, with one already past or before it goes out, or
    with a reflection requirement that cannot be met."""
    if draft.deadline is None:
        raise InvalidInput("study_no_deadline")
    if draft.deadline <= (draft.due_at or now):
        raise InvalidInput("study_deadline_early")
    if draft.reflection == ReflectionKind.TEXT and not 0 < draft.min_length <= MAX_MIN_LENGTH:
        raise InvalidInput("study_min_length", limit=MAX_MIN_LENGTH)
    if draft.reflection == ReflectionKind.ANSWER and not (draft.question or "").strip():
        raise InvalidInput("study_no_question")


def clean_question(text: str) -> str:
    """Returns the committee's question normalised; refuses an empty or too long one."""
    cleaned = nfc(text).strip()
    if not cleaned:
        raise InvalidInput("study_no_question")
    if len(cleaned) > MAX_QUESTION:
        raise InvalidInput("announcement_too_long", limit=MAX_QUESTION)
    return cleaned


def require_study(announcement: Announcement) -> None:
    """Refuses anything but a study campaign."""
    if announcement.kind != AnnouncementKind.STUDY:
        raise NotAllowed("not_a_study")


def local_deadline(org: Organisation, announcement: Announcement) -> date:
    """Returns the deadline's day in the cell's zone."""
    assert announcement.deadline is not None
    return announcement.deadline.astimezone(ZoneInfo(org.timezone)).date()


# --- members read and submit ---------------------------------------------------------------------


def _recipient(session: Session, announcement: Announcement, person: Person) -> Member:
    member = members.membership_in(session=session, person=person, org_id=announcement.org_id)
    if member is None:
        raise NotAllowed("not_your_announcement")
    found = session.exec(
        select(AnnouncementRecipient.id).where(
            AnnouncementRecipient.announcement_id == announcement.id,
            AnnouncementRecipient.member_id == member.id,
        )
    ).first()
    if found is None:
        raise NotAllowed("not_your_announcement")
    return member


def for_submission(
    *, session: Session, announcement_id: int, person: Person, now: datetime
) -> tuple[Announcement, Member, StudySubmission | None]:
    """Returns a campaign a member may still submit to, the member and their reflection so far;
    refuses a cancelled campaign, one asking for no reflection, and a deadline passed."""
    found = announcements.get_announcement(session=session, announcement_id=announcement_id)
    require_study(found)
    if found.status == AnnouncementStatus.CANCELLED:
        raise Conflict("announcement_cancelled")
    if found.reflection == ReflectionKind.NONE:
        raise Conflict("study_no_reflection")
    member = _recipient(session, found, person)
    if found.deadline is not None and now > found.deadline:
        org = announcements.org_of(session, found)
        raise Conflict("study_late", deadline=local_deadline(org, found))
    submission = session.exec(
        select(StudySubmission).where(
            StudySubmission.announcement_id == found.id,
            StudySubmission.member_id == member.id,
        )
    ).first()
    return found, member, submission


def clean_reflection(announcement: Announcement, text: str) -> str:
    """Returns a typed reflection normalised; refuses an empty, too short (saying how many
    characters are missing) or too long one."""
    cleaned = nfc(text).strip()
    if not cleaned:
        raise InvalidInput("study_empty")
    if len(cleaned) > MAX_REFLECTION:
        raise InvalidInput("announcement_too_long", limit=MAX_REFLECTION)
    if announcement.reflection == ReflectionKind.TEXT and len(cleaned) < announcement.min_length:
        raise InvalidInput(
            "study_too_short",
            missing=announcement.min_length - len(cleaned),
            minimum=announcement.min_length,
            length=len(cleaned),
        )
    return cleaned


def clean_reflection_file(incoming: IncomingFile) -> IncomingFile:
    """Accepts a reflection sent as a file of the kinds meeting documents accept."""
    return check_file(incoming)


def submit(
    *,
    session: Session,
    announcement_id: int,
    person: Person,
    now: datetime,
    text: str = "",
    file: IncomingFile | None = None,
) -> tuple[StudySubmission, bool]:
    """Records or replaces a member's reflection (text, or a file) until the deadline; the
    flag says it replaced an earlier one. Submitting also counts as having read."""
    found, member, submission = for_submission(
        session=session, announcement_id=announcement_id, person=person, now=now
    )
    if file is not None:
        checked = clean_reflection_file(file)
        cleaned, file_id, file_name = "", checked.file_id, checked.file_name
    else:
        cleaned, file_id, file_name = clean_reflection(found, text), None, None
    replaced = submission is not None
    if submission is None:
        submission = StudySubmission(
            announcement_id=found.id or 0,
            member_id=member.id or 0,
            person_id=person.id,
            submitted_at=now,
            updated_at=now,
        )
    submission.text, submission.file_id, submission.file_name = cleaned, file_id, file_name
    submission.updated_at = now
    session.add(submission)
    announcements.acknowledge(
        session=session, announcement_id=found.id or 0, person=person, now=now
    )
    audit.record_action(
        session=session,
        org_id=found.org_id,
        actor_person_id=person.id,
        actor_label=person.display_name,
        action="study.edit" if replaced else "study.submit",
        target=f"announcement:{found.id}:member:{member.id}",
        before=None,
        after={"length": len(cleaned), "file": file_name},
        now=now,
    )
    return submission, replaced


# --- the committee's figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    """One member of a campaign's audience: when they read and submitted."""

    member_id: int
    name: str
    reachable: bool
    read_at: datetime | None
    submission: StudySubmission | None
    told_at: datetime | None = None

    def complete(self, announcement: Announcement) -> bool:
        """Read, and submitted when a reflection is asked for."""
        if self.read_at is None:
            return False
        return announcement.reflection == ReflectionKind.NONE or self.submission is not None


@dataclass(frozen=True)
class Participation:
    """A campaign's participation: each member, and the rate against the 95% bar."""

    announcement: Announcement
    people: list[Participant]

    @property
    def audience(self) -> int:
        """How many members the campaign is for."""
        return len(self.people)

    @property
    def read(self) -> int:
        """How many confirmed reading."""
        return sum(1 for p in self.people if p.read_at is not None)

    @property
    def submitted(self) -> int:
        """How many submitted a reflection."""
        return sum(1 for p in self.people if p.submission is not None)

    @property
    def complete(self) -> int:
        """How many did all that was asked."""
        return sum(1 for p in self.people if p.complete(self.announcement))

    @property
    def rate(self) -> float:
        """The share of the audience who did all that was asked (0 for nobody)."""
        return self.complete / self.audience if self.audience else 0.0

    @property
    def meets_bar(self) -> bool:
        """More than 95% took part."""
        return self.rate > BAR

    @property
    def missing(self) -> list[Participant]:
        """Those who have not done all that was asked, in roster order."""
        return [p for p in self.people if not p.complete(self.announcement)]

    @property
    def unread(self) -> list[Participant]:
        """Those who have not confirmed reading."""
        return [p for p in self.people if p.read_at is None]

    @property
    def not_submitted(self) -> list[Participant]:
        """Those who read but have not submitted the reflection asked for."""
        if self.announcement.reflection == ReflectionKind.NONE:
            return []
        return [p for p in self.people if p.read_at is not None and p.submission is None]


def participation(*, session: Session, announcement: Announcement) -> Participation:
    """Returns who read and who submitted (the ledger's queries and one more)."""
    ledger = announcement_ledger.ledger(session=session, announcement=announcement)
    submissions = {
        s.member_id: s
        for s in session.exec(
            select(StudySubmission).where(StudySubmission.announcement_id == announcement.id)
        ).all()
    }
    return Participation(
        announcement,
        [
            Participant(
                e.member_id,
                e.name,
                e.delivery != announcement_ledger.Delivery.UNREACHABLE,
                e.acked_at,
                submissions.get(e.member_id),
                e.told_at,
            )
            for e in ledger.entries
        ],
    )


def complete_member_ids(*, session: Session, announcement: Announcement) -> set[int]:
    """Returns the members who did all a campaign asks (read, and submitted if asked): the
    reminder skips them."""
    read = select(AnnouncementRecipient.member_id).where(
        AnnouncementRecipient.announcement_id == announcement.id,
        col(AnnouncementRecipient.acked_at).is_not(None),
    )
    if announcement.reflection == ReflectionKind.NONE:
        return set(session.exec(read).all())
    submitted = set(
        session.exec(
            select(StudySubmission.member_id).where(
                StudySubmission.announcement_id == announcement.id
            )
        ).all()
    )
    return {m for m in session.exec(read).all() if m in submitted}

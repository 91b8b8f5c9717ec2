"""Campaigns of a cell: open one (cam kết, làm theo Bác, thi đua, giao ước), its sections,
who is expected to register and where registration stands."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.models import EXPECTED_STATUSES, Member, Organisation, Person
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Commitment,
    CommitmentStatus,
    EmulationForm,
    SectionKind,
)
from bot.services import audit, members
from bot.services.errors import Conflict, InvalidInput, NotFound
from bot.text import clean_input, clean_line

MAX_TITLE = 300
MAX_CONTENT = 2000


# The headings of a bản cam kết (domain.md §2.2); titles are shown in each reader's language.
PLEDGE_SECTIONS: tuple[tuple[str, SectionKind], ...] = (
    ("politics", SectionKind.TEXT),
    ("ethics", SectionKind.TEXT),
    ("style", SectionKind.TEXT),
    ("discipline", SectionKind.TEXT),
    ("duties", SectionKind.ITEMS),
    ("follow", SectionKind.ITEMS),
    ("goal", SectionKind.GOAL),
)
DEFAULT_SECTIONS: dict[CampaignKind, tuple[tuple[str, SectionKind], ...]] = {
    CampaignKind.PLEDGE: PLEDGE_SECTIONS,
    CampaignKind.FOLLOW: (("follow", SectionKind.ITEMS),),
    CampaignKind.EMULATION: (("emulation", SectionKind.ITEMS), ("goal", SectionKind.GOAL)),
    CampaignKind.PACT: (("targets", SectionKind.ITEMS),),
}
# No reminder between 21:00 and 07:00 in the cell's zone; at most one every two days.
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(7, 0)
REMIND_EVERY = timedelta(days=2)


def clean_text(text: str) -> str:
    """Returns typed text NFC-normalised, each line's spaces collapsed, blank runs kept to one."""
    lines = [clean_line(line) for line in clean_input(text).splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def default_sections(kind: CampaignKind) -> list[dict[str, Any]]:
    """Returns a campaign kind's default sections (every one required)."""
    return [
        {"key": key, "kind": str(section_kind), "title": None, "required": True}
        for key, section_kind in DEFAULT_SECTIONS[kind]
    ]


@dataclass(frozen=True)
class Section:
    """One section of a campaign's commitment form."""

    key: str
    kind: SectionKind
    title: str | None  # None: the default title of `key`, in the reader's language
    required: bool


def sections_of(campaign: Campaign) -> list[Section]:
    """Returns a campaign's sections in order."""
    return [
        Section(
            key=str(s["key"]),
            kind=SectionKind(s["kind"]),
            title=s.get("title"),
            required=bool(s.get("required", True)),
        )
        for s in campaign.sections
    ]


def section_of(campaign: Campaign, key: str) -> Section:
    """Returns one section by key (a stale button naming a removed section is NotFound)."""
    for section in sections_of(campaign):
        if section.key == key:
            return section
    raise NotFound("section_not_found")


# --- Campaigns -----------------------------------------------------------------------------------


@dataclass
class CampaignDraft:
    """What the committee chose when opening a campaign."""

    kind: CampaignKind
    year: int
    deadline: date
    cadence: Cadence = Cadence.NONE
    title: str = ""
    content: str = ""
    criteria: str = ""
    form: EmulationForm | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    sections: list[dict[str, Any]] | None = None


def local_today(org: Organisation, now: datetime) -> date:
    """Returns the day it is in the cell's zone."""
    return now.astimezone(ZoneInfo(org.timezone)).date()


def open_campaign(
    *, session: Session, org_id: int, draft: CampaignDraft, actor: Person, now: datetime
) -> Campaign:
    """Opens a campaign (committee only): the period defaults to the year, the sections to the
    kind's headings. One open campaign per kind and year in a cell."""
    acting = members.require_committee(session=session, person=actor, org_id=org_id)
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("cell_not_found")
    title = clean_line(draft.title)
    if len(title) > MAX_TITLE:
        raise InvalidInput("text_too_long", limit=MAX_TITLE)
    if draft.kind == CampaignKind.EMULATION and not title:
        raise InvalidInput("campaign_theme_required")
    content = clean_text(draft.content)
    criteria = clean_text(draft.criteria)
    if len(content) > MAX_CONTENT or len(criteria) > MAX_CONTENT:
        raise InvalidInput("text_too_long", limit=MAX_CONTENT)
    starts_on = draft.starts_on or date(draft.year, 1, 1)
    ends_on = draft.ends_on or date(draft.year, 12, 31)
    if ends_on < starts_on:
        raise InvalidInput("period_reversed")
    today = local_today(org, now)
    if draft.deadline < today:
        raise InvalidInput("deadline_past", day=draft.deadline)
    if draft.deadline > ends_on:
        raise InvalidInput("deadline_after_period", day=draft.deadline, end=ends_on)
    existing = session.exec(
        select(Campaign.id).where(
            Campaign.org_id == org_id,
            Campaign.kind == draft.kind,
            Campaign.year == draft.year,
            Campaign.status == CampaignStatus.OPEN,
        )
    ).first()
    if existing is not None and draft.kind != CampaignKind.EMULATION:
        raise Conflict("campaign_exists", year=draft.year)
    campaign = Campaign(
        org_id=org_id,
        kind=draft.kind,
        title=title,
        content=content,
        criteria=criteria,
        form=draft.form if draft.kind == CampaignKind.EMULATION else None,
        year=draft.year,
        starts_on=starts_on,
        ends_on=ends_on,
        deadline=draft.deadline,
        cadence=draft.cadence,
        sections=draft.sections or default_sections(draft.kind),
        created_by=actor.id,
        created_at=now,
    )
    session.add(campaign)
    session.flush()
    audit.record_action(
        session=session,
        org_id=org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action="campaign.open",
        target=f"campaign:{campaign.id}",
        before=None,
        after={"kind": str(draft.kind), "year": draft.year, "deadline": str(draft.deadline)},
        now=now,
    )
    return campaign


def get_campaign(*, session: Session, campaign_id: int) -> Campaign:
    """Returns a campaign or raises NotFound."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign_not_found")
    return campaign


def open_campaigns(*, session: Session, org_id: int) -> list[Campaign]:
    """Returns a cell's open campaigns, newest first."""
    return list(
        session.exec(
            select(Campaign)
            .where(Campaign.org_id == org_id, Campaign.status == CampaignStatus.OPEN)
            .order_by(col(Campaign.id).desc())
        )
    )


# How long after its tổng kết a campaign stays on the committee's list (commendations, export).
CLOSED_SHOWN_FOR = timedelta(days=180)


def recently_closed(*, session: Session, org_id: int, now: datetime) -> list[Campaign]:
    """Returns a cell's campaigns closed in the last six months, newest first."""
    return list(
        session.exec(
            select(Campaign)
            .where(
                Campaign.org_id == org_id,
                Campaign.status == CampaignStatus.CLOSED,
                col(Campaign.closed_at) >= now - CLOSED_SHOWN_FOR,
            )
            .order_by(col(Campaign.id).desc())
        )
    )


def expected(member: Member) -> bool:
    """Tells whether a member is expected to register (full and probationary members)."""
    return member.removed_at is None and member.status in EXPECTED_STATUSES


# --- Progress ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where a campaign's registration stands, by member id (committee only)."""

    expected: list[Member]
    by_member: dict[int, CommitmentStatus]  # the most advanced state of each member

    def count(self, state: CommitmentStatus | None) -> int:
        """How many expected members are in `state` (None: have written nothing)."""
        tally = Counter(self.by_member.get(m.id or 0) for m in self.expected)
        return tally[state]

    @property
    def registered(self) -> int:
        """Members who submitted (whether approved, returned or still under review)."""
        done = (CommitmentStatus.SUBMITTED, CommitmentStatus.APPROVED, CommitmentStatus.RETURNED)
        return sum(1 for m in self.expected if self.by_member.get(m.id or 0) in done)


# A member with an approved version counts as approved even while a new one is being written.
_RANK = {
    CommitmentStatus.DRAFT: 0,
    CommitmentStatus.RETURNED: 1,
    CommitmentStatus.SUBMITTED: 2,
    CommitmentStatus.SUPERSEDED: 2,
    CommitmentStatus.APPROVED: 3,
}


def progress(*, session: Session, campaign: Campaign) -> Progress:
    """Returns each expected member's state in two queries."""
    expected_members = [
        m
        for m in members.active_members(session=session, org_id=campaign.org_id)
        if m.status in EXPECTED_STATUSES
    ]
    rows = session.exec(
        select(Commitment.member_id, Commitment.status).where(
            Commitment.campaign_id == campaign.id
        )
    ).all()
    best: dict[int, CommitmentStatus] = {}
    for member_id, status in rows:
        state = CommitmentStatus(status)
        if state == CommitmentStatus.SUPERSEDED:
            state = CommitmentStatus.APPROVED
        if member_id not in best or _RANK[state] > _RANK[best[member_id]]:
            best[member_id] = state
    return Progress(expected=expected_members, by_member=best)


def daytime(org: Organisation, now: datetime) -> bool:
    """Tells whether it is day in the cell's zone (07:00–21:00): nobody is written to at night."""
    local = now.astimezone(ZoneInfo(org.timezone))
    return QUIET_UNTIL <= local.time() < QUIET_FROM


def reminder_due(*, campaign: Campaign, org: Organisation, now: datetime) -> bool:
    """Tells whether the registration reminder may go out now: before the deadline, not at
    night in the cell's zone, and at most one every two days (the opening notice counts as
    the first)."""
    if campaign.kind == CampaignKind.PACT:
        return False  # a pact is the cell's: nobody registers for it
    local = now.astimezone(ZoneInfo(org.timezone))
    if local.date() > campaign.deadline or campaign.status != CampaignStatus.OPEN:
        return False
    if not daytime(org, now):
        return False
    last = campaign.reminded_at or campaign.created_at
    return now - last >= REMIND_EVERY

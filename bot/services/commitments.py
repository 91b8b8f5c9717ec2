"""A member's commitment: written and saved answer by answer, submitted, reviewed.

Every answer is a row change of the member's draft, so a member who stops halfway finds the
draft where they left it, after any restart. Editing an approved commitment starts a new
version; the approved one stays in force until the new one is approved, and every version is
kept.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.models import Member, Organisation, Person
from bot.models.commitments import (
    Campaign,
    CampaignStatus,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    EmulationTitle,
    RatingLevel,
    SectionKind,
)
from bot.services import members
from bot.services.campaigns import (
    Section,
    clean_text,
    expected,
    get_campaign,
    local_today,
    section_of,
    sections_of,
)
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.text import clean_line

MAX_ANSWER = 2000
MAX_ITEM = 500
MAX_UNIT = 50
MAX_ITEMS = 10
MAX_COMMENT = 1000
MAX_TARGET = 1_000_000_000

# Statuses of a version still being written or reviewed (at most one per member).
OPEN_STATUSES = (CommitmentStatus.DRAFT, CommitmentStatus.SUBMITTED, CommitmentStatus.RETURNED)


# --- A member's commitment ----------------------------------------------------------------------


def _member_in(session: Session, campaign: Campaign, person: Person) -> Member:
    member = members.membership_in(session=session, person=person, org_id=campaign.org_id)
    if member is None:
        raise NotAllowed("not_in_campaign_cell")
    if not expected(member):
        raise NotAllowed("not_expected_to_register")
    return member


def versions(*, session: Session, campaign_id: int, member_id: int) -> list[Commitment]:
    """Returns a member's versions in a campaign, oldest first."""
    return list(
        session.exec(
            select(Commitment)
            .where(Commitment.campaign_id == campaign_id, Commitment.member_id == member_id)
            .order_by(col(Commitment.version))
        )
    )


def in_force(*, session: Session, campaign_id: int, member_id: int) -> Commitment | None:
    """Returns the approved version in force, if any."""
    return session.exec(
        select(Commitment).where(
            Commitment.campaign_id == campaign_id,
            Commitment.member_id == member_id,
            Commitment.status == CommitmentStatus.APPROVED,
        )
    ).first()


def current(*, session: Session, campaign_id: int, member_id: int) -> Commitment | None:
    """Returns the version being written or reviewed, else the one in force, else None."""
    rows = versions(session=session, campaign_id=campaign_id, member_id=member_id)
    for wanted in (OPEN_STATUSES, (CommitmentStatus.APPROVED,)):
        for row in reversed(rows):
            if row.status in wanted:
                return row
    return None


def items(*, session: Session, commitment_id: int) -> list[CommitmentItem]:
    """Returns a commitment's items in section order then position."""
    return list(
        session.exec(
            select(CommitmentItem)
            .where(CommitmentItem.commitment_id == commitment_id)
            .order_by(col(CommitmentItem.position), col(CommitmentItem.id))
        )
    )


def draft_for(*, session: Session, campaign_id: int, person: Person, now: datetime) -> Commitment:
    """Returns the member's version to write: the open one, or a new draft (a copy of the
    version in force, if any, so editing an approved commitment starts from it)."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict("campaign_closed")
    member = _member_in(session, campaign, person)
    assert member.id is not None
    rows = versions(session=session, campaign_id=campaign_id, member_id=member.id)
    for row in reversed(rows):
        if row.status in OPEN_STATUSES:
            if row.status == CommitmentStatus.SUBMITTED:
                raise Conflict("commitment_under_review")
            return row
    approved = next((r for r in reversed(rows) if r.status == CommitmentStatus.APPROVED), None)
    draft = Commitment(
        campaign_id=campaign_id,
        member_id=member.id,
        version=(rows[-1].version + 1) if rows else 1,
        answers=dict(approved.answers) if approved else {},
        rating_goal=approved.rating_goal if approved else None,
        title_goal=approved.title_goal if approved else None,
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    if approved is not None:
        assert approved.id is not None
        assert draft.id is not None
        for item in items(session=session, commitment_id=approved.id):
            session.add(
                CommitmentItem(
                    commitment_id=draft.id,
                    section_key=item.section_key,
                    position=item.position,
                    text=item.text,
                    target=item.target,
                    unit=item.unit,
                    deadline=item.deadline,
                    origin_id=item.id,
                )
            )
        session.flush()
    return draft


def writable(
    *, session: Session, commitment_id: int, person: Person
) -> tuple[Commitment, Campaign]:
    """Returns the person's own draft or returned version and its campaign, or raises (not
    theirs, campaign closed, under review or approved)."""
    return _writable(session, commitment_id, person)


def _writable(session: Session, commitment_id: int, person: Person) -> tuple[Commitment, Campaign]:
    commitment = session.get(Commitment, commitment_id)
    if commitment is None:
        raise NotFound("commitment_not_found")
    campaign = get_campaign(session=session, campaign_id=commitment.campaign_id)
    member = members.membership_in(session=session, person=person, org_id=campaign.org_id)
    if member is None or member.id != commitment.member_id:
        raise NotAllowed("not_your_commitment")
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict("campaign_closed")
    if commitment.status not in (CommitmentStatus.DRAFT, CommitmentStatus.RETURNED):
        raise Conflict("commitment_not_editable")
    return commitment, campaign


def set_answer(
    *,
    session: Session,
    commitment_id: int,
    section_key: str,
    text: str,
    person: Person,
    now: datetime,
) -> Commitment:
    """Saves the text of a text section."""
    commitment, campaign = _writable(session, commitment_id, person)
    section = section_of(campaign, section_key)
    if section.kind != SectionKind.TEXT:
        raise InvalidInput("section_not_text")
    value = clean_text(text)
    if not value:
        raise InvalidInput("answer_empty")
    if len(value) > MAX_ANSWER:
        raise InvalidInput("text_too_long", limit=MAX_ANSWER)
    commitment.answers = {**commitment.answers, section_key: value}
    commitment.updated_at = now
    session.add(commitment)
    session.flush()
    return commitment


def parse_target(text: str) -> tuple[float, str]:
    """Reads "12 buổi", "100 %", "3,5 triệu đồng" as (number, unit); InvalidInput otherwise."""
    value = clean_line(text)
    number, _, unit = value.partition(" ")
    if number.endswith("%"):
        number, unit = number[:-1], ("%" + (" " + unit if unit else "")).strip()
    normalized = number.replace(".", "").replace(",", ".") if "," in number else number
    try:
        target = float(normalized)
    except ValueError:
        raise InvalidInput("target_not_number") from None
    if target != target or target < 0:  # NaN or negative
        raise InvalidInput("target_negative")
    if target > MAX_TARGET:
        raise InvalidInput("target_too_large", limit=MAX_TARGET)
    unit = unit.strip()
    if len(unit) > MAX_UNIT:
        raise InvalidInput("text_too_long", limit=MAX_UNIT)
    return target, unit


def add_item(
    *,
    session: Session,
    commitment_id: int,
    section_key: str,
    text: str,
    person: Person,
    now: datetime,
    target: float | None = None,
    unit: str = "",
    deadline: date | None = None,
) -> CommitmentItem:
    """Adds an item to an items section (at most MAX_ITEMS per section)."""
    commitment, campaign = _writable(session, commitment_id, person)
    section = section_of(campaign, section_key)
    if section.kind != SectionKind.ITEMS:
        raise InvalidInput("section_not_items")
    value = clean_line(text)
    if not value:
        raise InvalidInput("answer_empty")
    if len(value) > MAX_ITEM:
        raise InvalidInput("text_too_long", limit=MAX_ITEM)
    _check_deadline(campaign, deadline)
    assert commitment.id is not None
    count = session.exec(
        select(func.count()).where(
            CommitmentItem.commitment_id == commitment.id,
            CommitmentItem.section_key == section_key,
        )
    ).one()
    if count >= MAX_ITEMS:
        raise InvalidInput("too_many_items", limit=MAX_ITEMS)
    last = session.exec(
        select(func.max(CommitmentItem.position)).where(
            CommitmentItem.commitment_id == commitment.id
        )
    ).one()
    item = CommitmentItem(
        commitment_id=commitment.id,
        section_key=section_key,
        position=(last or 0) + 1,
        text=value,
        target=target,
        unit=clean_line(unit) if target is not None else "",
        deadline=deadline,
    )
    session.add(item)
    commitment.updated_at = now
    session.add(commitment)
    session.flush()
    return item


def _check_deadline(campaign: Campaign, deadline: date | None) -> None:
    if deadline is not None and not campaign.starts_on <= deadline <= campaign.ends_on:
        raise InvalidInput(
            "deadline_outside_period", start=campaign.starts_on, end=campaign.ends_on
        )


def _own_item(session: Session, item_id: int, person: Person) -> tuple[CommitmentItem, Campaign]:
    item = session.get(CommitmentItem, item_id)
    if item is None:
        raise NotFound("item_not_found")
    _, campaign = _writable(session, item.commitment_id, person)
    return item, campaign


def update_item(
    *,
    session: Session,
    item_id: int,
    person: Person,
    now: datetime,
    text: str | None = None,
    target: tuple[float, str] | None = None,
    clear_target: bool = False,
    deadline: date | None = None,
    clear_deadline: bool = False,
) -> CommitmentItem:
    """Changes an item's text, target or deadline."""
    item, campaign = _own_item(session, item_id, person)
    if text is not None:
        value = clean_line(text)
        if not value:
            raise InvalidInput("answer_empty")
        if len(value) > MAX_ITEM:
            raise InvalidInput("text_too_long", limit=MAX_ITEM)
        item.text = value
    if target is not None:
        item.target, item.unit = target
    if clear_target:
        item.target, item.unit = None, ""
    if deadline is not None:
        _check_deadline(campaign, deadline)
        item.deadline = deadline
    if clear_deadline:
        item.deadline = None
    session.add(item)
    _touch(session, item.commitment_id, now)
    session.flush()
    return item


def remove_item(*, session: Session, item_id: int, person: Person, now: datetime) -> None:
    """Removes an item from a draft or returned commitment."""
    item, _ = _own_item(session, item_id, person)
    commitment_id = item.commitment_id
    session.delete(item)
    _touch(session, commitment_id, now)
    session.flush()


def _touch(session: Session, commitment_id: int, now: datetime) -> None:
    commitment = session.get(Commitment, commitment_id)
    if commitment is not None:
        commitment.updated_at = now
        session.add(commitment)


def set_goal(
    *,
    session: Session,
    commitment_id: int,
    person: Person,
    now: datetime,
    level: RatingLevel | None = None,
    title: EmulationTitle | None = None,
    clear_title: bool = False,
) -> Commitment:
    """Saves the rating level aimed for and, optionally, an emulation title."""
    commitment, _ = _writable(session, commitment_id, person)
    if level is not None:
        commitment.rating_goal = level
    if title is not None:
        commitment.title_goal = title
    if clear_title:
        commitment.title_goal = None
    commitment.updated_at = now
    session.add(commitment)
    session.flush()
    return commitment


def missing_sections(
    *, session: Session, commitment: Commitment, campaign: Campaign
) -> list[Section]:
    """Returns the required sections not yet filled in, in order."""
    assert commitment.id is not None
    with_items = {item.section_key for item in items(session=session, commitment_id=commitment.id)}
    out = []
    for section in sections_of(campaign):
        if not section.required:
            continue
        filled = (
            bool(commitment.answers.get(section.key))
            if section.kind == SectionKind.TEXT
            else section.key in with_items
            if section.kind == SectionKind.ITEMS
            else commitment.rating_goal is not None
        )
        if not filled:
            out.append(section)
    return out


def submit(
    *, session: Session, commitment_id: int, person: Person, now: datetime
) -> tuple[Commitment, Campaign]:
    """Submits a commitment for review; after the deadline it is accepted and marked late."""
    commitment, campaign = _writable(session, commitment_id, person)
    missing = missing_sections(session=session, commitment=commitment, campaign=campaign)
    if missing:
        raise InvalidInput("sections_missing", sections=[s.key for s in missing])
    org = session.get(Organisation, campaign.org_id)
    assert org is not None
    commitment.status = CommitmentStatus.SUBMITTED
    commitment.submitted_at = now
    commitment.late = local_today(org, now) > campaign.deadline
    commitment.updated_at = now
    session.add(commitment)
    session.flush()
    return commitment, campaign

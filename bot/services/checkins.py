"""Check-in rounds of a campaign: when each opens and closes, a member's answers per item
(saved as given, changeable until the round closes), leave for a round, and the figures the
committee reads.

A round N opens at 08:00 in the cell's zone on the first day of the N-th month (or quarter)
inside the campaign's period, and closes when the next one opens (or at the period's end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.models import Member, Organisation, Person
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignStatus,
    CheckIn,
    CheckInLeave,
    CheckInRound,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    ItemStatus,
    LeaveReason,
    RoundStatus,
)
from bot.services import commitments, members
from bot.services.campaigns import clean_text, expected
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.text import clean_line

ROUND_TIME = time(8, 0)
MAX_NOTE = 500
MAX_VALUE = 1_000_000_000
# The bar the upper committees set for taking part.
BAR_PERCENT = 95


# --- when rounds open and close ------------------------------------------------------------------


def period_starts(campaign: Campaign) -> list[date]:
    """Returns the first day of each month (or quarter) inside the campaign's period."""
    if campaign.cadence == Cadence.NONE:
        return []
    step = 1 if campaign.cadence == Cadence.MONTHLY else 3
    year, month = campaign.starts_on.year, campaign.starts_on.month
    if step == 3:
        month = (month - 1) // 3 * 3 + 1
    out: list[date] = []
    while True:
        day = date(year, month, 1)
        if day > campaign.ends_on:
            return out
        if day >= campaign.starts_on:
            out.append(day)
        month += step
        if month > 12:
            year, month = year + 1, month - 12


def _at(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class Window:
    """One round's place in the calendar."""

    seq: int
    period_start: date
    opens_at: datetime
    closes_at: datetime


def windows(campaign: Campaign, org: Organisation) -> list[Window]:
    """Returns every round of a campaign, in order (seq from 1)."""
    zone = ZoneInfo(org.timezone)
    starts = period_starts(campaign)
    end = _at(campaign.ends_on + timedelta(days=1), time(0, 0), zone)
    out = []
    for index, day in enumerate(starts):
        opens = _at(day, ROUND_TIME, zone)
        closes = _at(starts[index + 1], ROUND_TIME, zone) if index + 1 < len(starts) else end
        out.append(Window(index + 1, day, opens, closes))
    return out


def due_window(campaign: Campaign, org: Organisation, now: datetime) -> Window | None:
    """Returns the round that should be open at `now` (the latest one begun, not yet over)."""
    if campaign.status != CampaignStatus.OPEN:
        return None
    found = None
    for window in windows(campaign, org):
        if window.opens_at <= now < window.closes_at:
            found = window
    return found


def next_opening(campaign: Campaign, org: Organisation, now: datetime) -> datetime | None:
    """Returns when the next round of a campaign opens after `now`, if any."""
    for window in windows(campaign, org):
        if window.opens_at > now:
            return window.opens_at
    return None


def is_open(round_: CheckInRound, now: datetime) -> bool:
    """Tells whether members can still answer a round."""
    return round_.status == RoundStatus.OPEN and now < round_.closes_at


def current_round(*, session: Session, campaign_id: int, now: datetime) -> CheckInRound | None:
    """Returns a campaign's round open at `now`, if any."""
    return session.exec(
        select(CheckInRound)
        .where(
            CheckInRound.campaign_id == campaign_id,
            CheckInRound.status == RoundStatus.OPEN,
            col(CheckInRound.closes_at) > now,
        )
        .order_by(col(CheckInRound.seq).desc())
    ).first()


# --- a member's round ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRound:
    """A member's view of one round: the campaign, their approved items and answers so far."""

    round: CheckInRound
    campaign: Campaign
    org: Organisation
    member: Member
    items: list[CommitmentItem]
    answers: dict[int, CheckIn]  # by item id
    leave: CheckInLeave | None


def approved_items(*, session: Session, campaign_id: int, member_id: int) -> list[CommitmentItem]:
    """Returns the items of a member's commitment in force (none: nothing to check in on)."""
    approved = commitments.in_force(session=session, campaign_id=campaign_id, member_id=member_id)
    if approved is None or approved.id is None:
        return []
    return commitments.items(session=session, commitment_id=approved.id)


def member_round(*, session: Session, round_id: int, person: Person, now: datetime) -> MemberRound:
    """Returns the person's round if they may answer it now, else raises: the round has closed
    (an old button), they are not in its cell, or they have no approved item."""
    round_ = session.get(CheckInRound, round_id)
    if round_ is None:
        raise NotFound("round_not_found")
    if not is_open(round_, now):
        raise Conflict("round_closed")
    campaign = session.get(Campaign, round_.campaign_id)
    assert campaign is not None
    org = session.get(Organisation, campaign.org_id)
    assert org is not None
    member = members.membership_in(session=session, person=person, org_id=campaign.org_id)
    if member is None or member.id is None:
        raise NotAllowed("not_in_campaign_cell")
    found = approved_items(session=session, campaign_id=campaign.id or 0, member_id=member.id)
    if not found:
        raise NotFound("nothing_to_check_in")
    answers = {
        a.item_id: a
        for a in session.exec(
            select(CheckIn).where(CheckIn.round_id == round_id, CheckIn.member_id == member.id)
        )
    }
    leave = session.exec(
        select(CheckInLeave).where(
            CheckInLeave.round_id == round_id, CheckInLeave.member_id == member.id
        )
    ).first()
    return MemberRound(round_, campaign, org, member, found, answers, leave)


def rounds_of(*, session: Session, person: Person, now: datetime) -> list[MemberRound]:
    """Returns every open round the person has approved items in (the rounds /tiendo offers)."""
    out = []
    for member, org in members.memberships(session=session, person=person):
        if not expected(member):
            continue
        found = session.exec(
            select(CheckInRound)
            .join(Campaign, col(Campaign.id) == col(CheckInRound.campaign_id))
            .where(
                Campaign.org_id == org.id,
                Campaign.status == CampaignStatus.OPEN,
                CheckInRound.status == RoundStatus.OPEN,
                col(CheckInRound.closes_at) > now,
            )
            .order_by(col(CheckInRound.id))
        ).all()
        for round_ in found:
            try:
                out.append(
                    member_round(session=session, round_id=round_.id or 0, person=person, now=now)
                )
            except NotFound:
                continue
    return out


def parse_value(text: str) -> float:
    """Reads "8", "8 buổi", "3,5" as a number reached; InvalidInput otherwise."""
    number = clean_line(text).partition(" ")[0].rstrip("%")
    normalized = number.replace(".", "").replace(",", ".") if "," in number else number
    try:
        value = float(normalized)
    except ValueError:
        raise InvalidInput("value_not_number") from None
    if value != value or value < 0:
        raise InvalidInput("value_negative")
    if value > MAX_VALUE:
        raise InvalidInput("target_too_large", limit=MAX_VALUE)
    return value


def clean_note(text: str) -> str:
    """Returns a note as kept, or raises when it is too long."""
    value = clean_text(text)
    if len(value) > MAX_NOTE:
        raise InvalidInput("text_too_long", limit=MAX_NOTE)
    return value


def answer(
    *,
    session: Session,
    round_id: int,
    item_id: int,
    person: Person,
    now: datetime,
    status: ItemStatus | None = None,
    value: float | None = None,
    note: str | None = None,
) -> CheckIn:
    """Saves one part of a member's answer for an item (status, number or note) as given; an
    answer replaces a leave for the round.

    Four statements when the answer is allowed (who may answer, the answer so far, the write,
    the leave dropped); the full checks run only to explain a refusal."""
    member_id = _answering_member(session, round_id, item_id, person, now)
    if member_id is None:
        # Refused: the full checks say why (a closed round, another cell, nothing approved).
        member_round(session=session, round_id=round_id, person=person, now=now)
        raise NotFound("item_not_found")
    row = session.exec(
        select(CheckIn).where(CheckIn.round_id == round_id, CheckIn.item_id == item_id)
    ).first()
    if row is None:
        row = CheckIn(round_id=round_id, item_id=item_id, member_id=member_id)
    if status is not None:
        row.status = status
    if value is not None:
        row.value = value
    if note is not None:
        row.note = clean_note(note)
    row.updated_at = now
    session.add(row)
    session.execute(
        delete(CheckInLeave).where(
            col(CheckInLeave.round_id) == round_id, col(CheckInLeave.member_id) == member_id
        )
    )
    session.flush()
    return row


def _answering_member(
    session: Session, round_id: int, item_id: int, person: Person, now: datetime
) -> int | None:
    """The person's roster id if they may answer this item in this round now: the round is
    open, they are an active member of its cell and the item is in their commitment in force
    (one query); None otherwise."""
    return session.exec(
        select(Member.id)
        .select_from(CheckInRound)
        .join(Campaign, col(Campaign.id) == col(CheckInRound.campaign_id))
        .join(
            Member,
            (col(Member.org_id) == col(Campaign.org_id))
            & (col(Member.person_id) == person.id)
            & col(Member.removed_at).is_(None),
        )
        .join(
            Commitment,
            (col(Commitment.campaign_id) == col(Campaign.id))
            & (col(Commitment.member_id) == col(Member.id))
            & (col(Commitment.status) == CommitmentStatus.APPROVED),
        )
        .join(
            CommitmentItem,
            (col(CommitmentItem.commitment_id) == col(Commitment.id))
            & (col(CommitmentItem.id) == item_id),
        )
        .where(
            CheckInRound.id == round_id,
            CheckInRound.status == RoundStatus.OPEN,
            col(CheckInRound.closes_at) > now,
        )
    ).first()


def set_leave(
    *, session: Session, round_id: int, person: Person, reason: LeaveReason, now: datetime
) -> CheckInLeave:
    """Marks the person away for a round (not counted as missing); answers already given stay."""
    mine = member_round(session=session, round_id=round_id, person=person, now=now)
    leave = mine.leave or CheckInLeave(round_id=round_id, member_id=mine.member.id or 0)
    leave.reason = reason
    leave.at = now
    session.add(leave)
    session.flush()
    return leave


def latest_answers(*, session: Session, items: list[CommitmentItem]) -> dict[int, CheckIn]:
    """Returns, per item, its newest answer in any round (an item carried over from an earlier
    version counts its answers there too)."""
    origin = {i.id: i.origin_id for i in items if i.id is not None}
    ids = [i for pair in origin.items() for i in pair if i is not None]
    if not ids:
        return {}
    rows = session.exec(
        select(CheckIn)
        .where(col(CheckIn.item_id).in_(ids))
        .order_by(col(CheckIn.round_id), col(CheckIn.updated_at))
    ).all()
    by_item = {row.item_id: row for row in rows}
    out = {}
    for item_id, origin_id in origin.items():
        found = [by_item[i] for i in (origin_id, item_id) if i is not None and i in by_item]
        if found:
            out[item_id] = max(found, key=lambda r: (r.round_id, r.updated_at))
    return out


# --- the committee's figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class RoundFigures:
    """Who answered a round, who is away and who is silent (committee only)."""

    round: CheckInRound
    answered: list[Member]
    on_leave: list[Member]
    silent: list[Member]

    @property
    def counted(self) -> int:
        """Members counted in the rate: everyone asked, except those away."""
        return len(self.answered) + len(self.silent)

    @property
    def percent(self) -> int:
        """The response rate in whole percent (100 when nobody is counted)."""
        return round(100 * len(self.answered) / self.counted) if self.counted else 100

    @property
    def meets_bar(self) -> bool:
        """Tells whether the response rate reaches the bar (compared exactly, not rounded)."""
        return len(self.answered) * 100 >= BAR_PERCENT * self.counted


def asked_member_ids(*, session: Session, campaign_ids: list[int]) -> dict[int, set[int]]:
    """Returns, per campaign, the members whose commitment in force has items (one query)."""
    out: dict[int, set[int]] = {c: set() for c in campaign_ids}
    if not campaign_ids:
        return out
    rows = session.exec(
        select(Commitment.campaign_id, Commitment.member_id)
        .join(CommitmentItem, col(CommitmentItem.commitment_id) == col(Commitment.id))
        .where(
            col(Commitment.campaign_id).in_(campaign_ids),
            Commitment.status == CommitmentStatus.APPROVED,
        )
        .distinct()
    ).all()
    for campaign_id, member_id in rows:
        out[campaign_id].add(member_id)
    return out


def responded_member_ids(*, session: Session, round_ids: list[int]) -> dict[int, set[int]]:
    """Returns, per round, the members who answered at least one item or are away (two
    queries, whatever the rounds and members)."""
    out: dict[int, set[int]] = {r: set() for r in round_ids}
    if not round_ids:
        return out
    for model in (CheckIn, CheckInLeave):
        rows = session.exec(
            select(model.round_id, model.member_id)
            .where(col(model.round_id).in_(round_ids))
            .distinct()
        ).all()
        for round_id, member_id in rows:
            out[round_id].add(member_id)
    return out


def round_figures(*, session: Session, round_: CheckInRound) -> RoundFigures:
    """Returns who answered, who is away and who is silent in a round, in roster order."""
    asked = asked_member_ids(session=session, campaign_ids=[round_.campaign_id])[
        round_.campaign_id
    ]
    answered = set(
        session.exec(
            select(CheckIn.member_id).where(CheckIn.round_id == round_.id).distinct()
        ).all()
    )
    away = set(
        session.exec(
            select(CheckInLeave.member_id).where(CheckInLeave.round_id == round_.id)
        ).all()
    )
    campaign = session.get(Campaign, round_.campaign_id)
    assert campaign is not None
    roster = [
        m for m in members.active_members(session=session, org_id=campaign.org_id) if m.id in asked
    ]
    return RoundFigures(
        round=round_,
        answered=[m for m in roster if m.id in answered],
        on_leave=[m for m in roster if m.id in away and m.id not in answered],
        silent=[m for m in roster if m.id not in answered and m.id not in away],
    )


def latest_round(*, session: Session, campaign_id: int) -> CheckInRound | None:
    """Returns a campaign's newest round (open or closed), if any."""
    return session.exec(
        select(CheckInRound)
        .where(CheckInRound.campaign_id == campaign_id)
        .order_by(col(CheckInRound.seq).desc())
    ).first()

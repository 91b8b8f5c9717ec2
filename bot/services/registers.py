"""A campaign's register (sổ đăng ký): every expected member's commitment in force, its items
with their latest check-in, the member's self-review and commendations — what the committee
exports at sơ kết / tổng kết (XLSX and DOCX) and `chibot report commitments` prints.

Read in a fixed number of queries, whatever the size of the cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from bot.models import EXPECTED_STATUSES, Member, Organisation
from bot.models.commitments import (
    Campaign,
    CampaignKind,
    CheckIn,
    Commendation,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    ReviewPeriod,
    SelfReview,
)
from bot.services import checkins, members
from bot.services.errors import NotFound

# Which version of a member's commitment the register shows: the one in force, else the one
# being reviewed, else the draft (a member who wrote nothing has none).
_SHOWN_FIRST = (
    CommitmentStatus.APPROVED,
    CommitmentStatus.SUBMITTED,
    CommitmentStatus.RETURNED,
    CommitmentStatus.DRAFT,
)


@dataclass(frozen=True)
class ItemRecord:
    """One item of a member's commitment and its newest check-in answer."""

    item: CommitmentItem
    latest: CheckIn | None
    # The names of the files sent as evidence for it, over all rounds (where asked for).
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class MemberRecord:
    """One expected member's line in the register."""

    member: Member
    commitment: Commitment | None
    items: list[ItemRecord] = field(default_factory=list)
    review: SelfReview | None = None
    commendations: list[Commendation] = field(default_factory=list)


@dataclass(frozen=True)
class Register:
    """The register of one campaign of one cell."""

    campaign: Campaign
    org: Organisation
    parent: Organisation | None
    records: list[MemberRecord]


def find_campaign(
    *, session: Session, org_id: int, year: int, kind: CampaignKind | None = None
) -> Campaign:
    """Returns the cell's campaign of that year (the newest, or the newest of that kind)."""
    query = select(Campaign).where(Campaign.org_id == org_id, Campaign.year == year)
    if kind is not None:
        query = query.where(Campaign.kind == kind)
    found = session.exec(query.order_by(col(Campaign.id).desc())).first()
    if found is None:
        raise NotFound("campaign_not_found")
    return found


def _shown(versions: list[Commitment]) -> Commitment | None:
    for status in _SHOWN_FIRST:
        matching = [v for v in versions if v.status == status]
        if matching:
            return max(matching, key=lambda v: v.version)
    return None


def register_of(*, session: Session, campaign: Campaign) -> Register:
    """Gathers the register in six queries (members, commitments, items, check-ins,
    self-reviews, commendations) plus the cell and its parent."""
    org = session.get(Organisation, campaign.org_id)
    if org is None:
        raise NotFound("campaign_not_found")
    parent = session.get(Organisation, org.parent_id) if org.parent_id else None
    roster = [
        m
        for m in members.active_members(session=session, org_id=campaign.org_id)
        if m.status in EXPECTED_STATUSES
    ]
    versions: dict[int, list[Commitment]] = {}
    for version in session.exec(
        select(Commitment).where(Commitment.campaign_id == campaign.id)
    ).all():
        versions.setdefault(version.member_id, []).append(version)
    shown = {member_id: _shown(found) for member_id, found in versions.items()}
    shown_ids = [c.id for c in shown.values() if c is not None and c.id is not None]
    by_commitment: dict[int, list[CommitmentItem]] = {}
    all_items: list[CommitmentItem] = []
    if shown_ids:
        for item in session.exec(
            select(CommitmentItem)
            .where(col(CommitmentItem.commitment_id).in_(shown_ids))
            .order_by(col(CommitmentItem.position), col(CommitmentItem.id))
        ).all():
            by_commitment.setdefault(item.commitment_id, []).append(item)
            all_items.append(item)
    latest = checkins.latest_answers(session=session, items=all_items)
    # The year's self-review where there is one, else the mid-year one.
    reviews: dict[int, SelfReview] = {}
    for review in session.exec(select(SelfReview).where(SelfReview.campaign_id == campaign.id)):
        if review.member_id not in reviews or review.period == ReviewPeriod.YEAR:
            reviews[review.member_id] = review
    praised: dict[int, list[Commendation]] = {}
    for commendation in session.exec(
        select(Commendation)
        .where(Commendation.campaign_id == campaign.id)
        .order_by(col(Commendation.at))
    ).all():
        praised.setdefault(commendation.member_id, []).append(commendation)
    records = []
    for member in roster:
        member_id = member.id or 0
        commitment = shown.get(member_id)
        items = by_commitment.get(commitment.id or 0, []) if commitment is not None else []
        records.append(
            MemberRecord(
                member=member,
                commitment=commitment,
                items=[ItemRecord(item=i, latest=latest.get(i.id or 0)) for i in items],
                review=reviews.get(member_id),
                commendations=praised.get(member_id, []),
            )
        )
    return Register(campaign=campaign, org=org, parent=parent, records=records)

"""Sơ kết and tổng kết of a campaign (domain.md §2.4): the committee starts a review period;
each expected member gets a self-review (bản tự kiểm điểm) whose results come from their
commitment and check-ins, writes their own assessment, proposes a rating level and submits it.
The year's review (tổng kết) also closes the campaign: no more check-in rounds or reminders.

Commendations (biểu dương / điển hình tiên tiến, §2.6): the committee commends a member, or one
item of their commitment, with a one-line reason; the digest lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.models import EXPECTED_STATUSES, Member, Person
from bot.models.commitments import (
    Campaign,
    CampaignStatus,
    Commendation,
    CommitmentItem,
    RatingLevel,
    ReviewPeriod,
    SelfReview,
    SelfReviewStatus,
)
from bot.services import audit, checkins, evidence, members
from bot.services.campaigns import clean_text, get_campaign
from bot.services.commitments import in_force, items
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.services.registers import ItemRecord

MAX_REVIEW = 4000
MAX_REASON = 300


@dataclass(frozen=True)
class Started:
    """What starting a review period did."""

    campaign: Campaign
    created: list[tuple[SelfReview, Member]]  # new drafts, with their member (to be told)
    already: int  # members who had one for this period already


def start_period(
    *, session: Session, campaign_id: int, period: ReviewPeriod, actor: Person, now: datetime
) -> Started:
    """Gives every expected member of the cell a draft self-review for the period (once); the
    year's review closes the campaign. Committee only; a closed campaign is refused."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    acting = members.require_committee(session=session, person=actor, org_id=campaign.org_id)
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict("campaign_closed")
    expected = [
        m
        for m in members.active_members(session=session, org_id=campaign.org_id)
        if m.status in EXPECTED_STATUSES
    ]
    existing = set(
        session.exec(
            select(SelfReview.member_id).where(
                SelfReview.campaign_id == campaign_id, SelfReview.period == period
            )
        ).all()
    )
    created = []
    for member in expected:
        if member.id in existing:
            continue
        review = SelfReview(
            campaign_id=campaign_id, member_id=member.id or 0, period=period, updated_at=now
        )
        session.add(review)
        created.append((review, member))
    if period == ReviewPeriod.YEAR:
        campaign.status = CampaignStatus.CLOSED
        campaign.closed_at = now
        session.add(campaign)
    session.flush()
    audit.record_action(
        session=session,
        org_id=campaign.org_id,
        actor_person_id=acting.person_id,
        actor_label=acting.full_name,
        action="campaign.review_period",
        target=f"campaign:{campaign.id}",
        before=None,
        after={"period": period.value, "drafts": len(created)},
        now=now,
    )
    return Started(campaign=campaign, created=created, already=len(existing))


def _own(session: Session, review_id: int, person: Person) -> tuple[SelfReview, Member]:
    review = session.get(SelfReview, review_id)
    if review is None:
        raise NotFound("self_review_not_found")
    member = session.get(Member, review.member_id)
    if member is None or member.person_id != person.id or member.removed_at is not None:
        raise NotAllowed("not_your_self_review")
    return review, member


def own_review(*, session: Session, review_id: int, person: Person) -> SelfReview:
    """Returns the person's own self-review, else raises."""
    review, _ = _own(session, review_id, person)
    return review


def _writable(session: Session, review_id: int, person: Person) -> SelfReview:
    review, _ = _own(session, review_id, person)
    if review.status == SelfReviewStatus.SUBMITTED:
        raise Conflict("self_review_submitted")
    return review


def set_text(
    *, session: Session, review_id: int, person: Person, text: str, now: datetime
) -> SelfReview:
    """Keeps the member's own assessment (saved as typed, until submitted)."""
    review = _writable(session, review_id, person)
    value = clean_text(text)
    if not value:
        raise InvalidInput("self_review_empty")
    if len(value) > MAX_REVIEW:
        raise InvalidInput("text_too_long", limit=MAX_REVIEW)
    review.text = value
    review.updated_at = now
    session.add(review)
    session.flush()
    return review


def set_level(
    *, session: Session, review_id: int, person: Person, level: RatingLevel, now: datetime
) -> SelfReview:
    """Keeps the rating level the member proposes for themselves."""
    review = _writable(session, review_id, person)
    review.proposed_level = RatingLevel(level)
    review.updated_at = now
    session.add(review)
    session.flush()
    return review


def submit(*, session: Session, review_id: int, person: Person, now: datetime) -> SelfReview:
    """Submits the self-review; it needs the assessment and the proposed level."""
    review = _writable(session, review_id, person)
    missing = [
        name
        for name, present in (("text", bool(review.text)), ("level", review.proposed_level))
        if not present
    ]
    if missing:
        raise InvalidInput("self_review_incomplete", missing=missing)
    review.status = SelfReviewStatus.SUBMITTED
    review.submitted_at = now
    review.updated_at = now
    session.add(review)
    session.flush()
    return review


def results(*, session: Session, review: SelfReview) -> list[ItemRecord]:
    """The items of the member's commitment in force, each with its newest check-in answer."""
    commitment = in_force(
        session=session, campaign_id=review.campaign_id, member_id=review.member_id
    )
    if commitment is None:
        return []
    found = items(session=session, commitment_id=commitment.id or 0)
    latest = checkins.latest_answers(session=session, items=found)
    files = evidence.names_by_item(session=session, item_ids=[i.id or 0 for i in found])
    return [
        ItemRecord(item=i, latest=latest.get(i.id or 0), evidence=tuple(files.get(i.id or 0, [])))
        for i in found
    ]


def mine(
    *, session: Session, campaign_id: int, period: ReviewPeriod, person: Person
) -> SelfReview:
    """Returns the person's self-review of a campaign's period, else raises NotFound."""
    found = session.exec(
        select(SelfReview)
        .join(Member, col(Member.id) == col(SelfReview.member_id))
        .where(
            SelfReview.campaign_id == campaign_id,
            SelfReview.period == period,
            Member.person_id == person.id,
            col(Member.removed_at).is_(None),
        )
    ).first()
    if found is None:
        raise NotFound("self_review_not_found")
    return found


def drafts_of(*, session: Session, person: Person) -> list[tuple[SelfReview, Campaign]]:
    """The person's self-reviews still to submit, in every cell (newest campaign first)."""
    rows = session.exec(
        select(SelfReview, Campaign)
        .join(Member, col(Member.id) == col(SelfReview.member_id))
        .join(Campaign, col(Campaign.id) == col(SelfReview.campaign_id))
        .where(
            Member.person_id == person.id,
            col(Member.removed_at).is_(None),
            SelfReview.status == SelfReviewStatus.DRAFT,
        )
        .order_by(col(Campaign.id).desc(), col(SelfReview.id))
    ).all()
    return [(r, c) for r, c in rows]


def review_counts(*, session: Session, campaign_id: int) -> dict[ReviewPeriod, tuple[int, int]]:
    """Per period started: (submitted, all drafts) — one query."""
    rows = session.exec(
        select(SelfReview.period, SelfReview.status).where(SelfReview.campaign_id == campaign_id)
    ).all()
    out: dict[ReviewPeriod, tuple[int, int]] = {}
    for period, status in rows:
        done, total = out.get(ReviewPeriod(period), (0, 0))
        submitted = SelfReviewStatus(status) == SelfReviewStatus.SUBMITTED
        out[ReviewPeriod(period)] = (done + int(submitted), total + 1)
    return out


# --- commendations -------------------------------------------------------------------------------


def commend(
    *,
    session: Session,
    campaign_id: int,
    member_id: int,
    item_id: int | None,
    reason: str,
    actor: Person,
    now: datetime,
) -> Commendation:
    """Commends a member (or one item of their commitment in force) with a one-line reason."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    acting = members.require_committee(session=session, person=actor, org_id=campaign.org_id)
    member = session.get(Member, member_id)
    if member is None or member.org_id != campaign.org_id or member.removed_at is not None:
        raise NotFound("member_not_found")
    if item_id is not None:
        item = session.get(CommitmentItem, item_id)
        commitment = in_force(session=session, campaign_id=campaign_id, member_id=member_id)
        if item is None or commitment is None or item.commitment_id != commitment.id:
            raise NotFound("commitment_item_not_found")
    value = " ".join(clean_text(reason).split())
    if not value:
        raise InvalidInput("reason_empty")
    if len(value) > MAX_REASON:
        raise InvalidInput("text_too_long", limit=MAX_REASON)
    commendation = Commendation(
        campaign_id=campaign_id,
        member_id=member_id,
        item_id=item_id,
        reason=value,
        by=actor.id,
        at=now,
    )
    session.add(commendation)
    session.flush()
    audit.record_action(
        session=session,
        org_id=campaign.org_id,
        actor_person_id=acting.person_id,
        actor_label=acting.full_name,
        action="commitment.commend",
        target=f"member:{member_id}",
        before=None,
        after={"campaign_id": campaign_id, "item_id": item_id, "reason": value},
        now=now,
    )
    return commendation


def commendations(*, session: Session, campaign_id: int) -> list[tuple[Commendation, Member]]:
    """Returns a campaign's commendations with their member, oldest first (one query)."""
    rows = session.exec(
        select(Commendation, Member)
        .join(Member, col(Member.id) == col(Commendation.member_id))
        .where(Commendation.campaign_id == campaign_id)
        .order_by(col(Commendation.at), col(Commendation.id))
    ).all()
    return [(c, m) for c, m in rows]

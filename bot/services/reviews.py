"""Reviewing commitments (committee): what is waiting, approve, or return with a comment."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.models import Member, Person
from bot.models.commitments import Campaign, CampaignStatus, Commitment, CommitmentStatus
from bot.services import audit, members
from bot.services.campaigns import clean_text, get_campaign
from bot.services.commitments import MAX_COMMENT, in_force
from bot.services.errors import Conflict, InvalidInput, NotFound


def next_to_review(*, session: Session, org_id: int, after_id: int = 0) -> Commitment | None:
    """Returns the oldest submitted commitment of a cell's open campaigns (after `after_id`)."""
    return session.exec(
        select(Commitment)
        .join(Campaign, col(Campaign.id) == col(Commitment.campaign_id))
        .where(
            Campaign.org_id == org_id,
            Campaign.status == CampaignStatus.OPEN,
            Commitment.status == CommitmentStatus.SUBMITTED,
            col(Commitment.id) > after_id,
        )
        .order_by(col(Commitment.submitted_at), col(Commitment.id))
    ).first()


def awaiting_review(*, session: Session, org_id: int) -> list[Commitment]:
    """Returns a cell's submitted commitments in open campaigns, oldest submission first."""
    return list(
        session.exec(
            select(Commitment)
            .join(Campaign, col(Campaign.id) == col(Commitment.campaign_id))
            .where(
                Campaign.org_id == org_id,
                Campaign.status == CampaignStatus.OPEN,
                Commitment.status == CommitmentStatus.SUBMITTED,
            )
            .order_by(col(Commitment.submitted_at), col(Commitment.id))
        )
    )


def _reviewable(
    session: Session, commitment_id: int, actor: Person
) -> tuple[Commitment, Campaign, Member]:
    commitment = session.get(Commitment, commitment_id)
    if commitment is None:
        raise NotFound("commitment_not_found")
    campaign = get_campaign(session=session, campaign_id=commitment.campaign_id)
    acting = members.require_committee(session=session, person=actor, org_id=campaign.org_id)
    if commitment.status != CommitmentStatus.SUBMITTED:
        raise Conflict("commitment_already_reviewed")
    return commitment, campaign, acting


def reviewable(
    *, session: Session, commitment_id: int, actor: Person
) -> tuple[Commitment, Campaign]:
    """Returns a submitted version and its campaign if `actor` may review it now, else raises
    (not on the committee; already approved or returned by someone)."""
    commitment, campaign, _ = _reviewable(session, commitment_id, actor)
    return commitment, campaign


def approve(
    *, session: Session, commitment_id: int, actor: Person, now: datetime
) -> tuple[Commitment, Campaign]:
    """Approves a submitted version; the version it replaces is kept as superseded."""
    commitment, campaign, acting = _reviewable(session, commitment_id, actor)
    previous = in_force(
        session=session, campaign_id=commitment.campaign_id, member_id=commitment.member_id
    )
    if previous is not None:
        previous.status = CommitmentStatus.SUPERSEDED
        session.add(previous)
        session.flush()
    commitment.status = CommitmentStatus.APPROVED
    commitment.reviewed_by = actor.id
    commitment.reviewed_at = now
    commitment.review_comment = ""
    session.add(commitment)
    _audit_review(session, commitment, campaign, acting, "commitment.approve", now)
    return commitment, campaign


def _audit_review(
    session: Session,
    commitment: Commitment,
    campaign: Campaign,
    acting: Member,
    action: str,
    now: datetime,
) -> None:
    audit.record_action(
        session=session,
        org_id=campaign.org_id,
        actor_person_id=acting.person_id,
        actor_label=acting.full_name,
        action=action,
        target=f"commitment:{commitment.id}",
        before=None,
        after={"member_id": commitment.member_id, "version": commitment.version},
        now=now,
    )
    session.flush()


def return_for_changes(
    *, session: Session, commitment_id: int, actor: Person, comment: str, now: datetime
) -> tuple[Commitment, Campaign]:
    """Returns a submitted version to its member with a comment."""
    commitment, campaign, acting = _reviewable(session, commitment_id, actor)
    value = clean_text(comment)
    if not value:
        raise InvalidInput("comment_empty")
    if len(value) > MAX_COMMENT:
        raise InvalidInput("text_too_long", limit=MAX_COMMENT)
    commitment.status = CommitmentStatus.RETURNED
    commitment.reviewed_by = actor.id
    commitment.reviewed_at = now
    commitment.review_comment = value
    session.add(commitment)
    _audit_review(session, commitment, campaign, acting, "commitment.return", now)
    return commitment, campaign

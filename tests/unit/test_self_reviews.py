"""Sơ kết / tổng kết: drafts once per member and period, the year closes the campaign, the
member writes, rates and submits; commendations; refusals."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.models import AuditEntry, Member, Person
from bot.models.commitments import (
    Campaign,
    CampaignStatus,
    RatingLevel,
    ReviewPeriod,
    SelfReviewStatus,
)
from bot.services import campaigns, commitments, reviews, self_reviews
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.statements import count_statements
from tests.unit.test_commitments import fill, open_pledge, person, world  # noqa: F401


@pytest.fixture
def pledge(db: Database, world: dict, now: datetime) -> int:  # noqa: F811
    """An open pledge in which Lan's commitment is approved."""
    with db.session() as session:
        campaign = open_pledge(session, world, now)
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign.id or 0, person=lan, now=now
        )
        fill(session, draft, lan, now)
        commitments.submit(session=session, commitment_id=draft.id or 0, person=lan, now=now)
        reviews.approve(
            session=session,
            commitment_id=draft.id or 0,
            actor=person(session, world, "secretary"),
            now=now,
        )
        return campaign.id or 0


def start(db: Database, world: dict, pledge: int, now: datetime, period: ReviewPeriod) -> int:  # noqa: F811
    with db.session() as session:
        started = self_reviews.start_period(
            session=session,
            campaign_id=pledge,
            period=period,
            actor=person(session, world, "secretary"),
            now=now,
        )
        return len(started.created)


def test_the_mid_year_review_gives_each_expected_member_one_draft_and_keeps_the_campaign_open(
    db: Database,
    world: dict,  # noqa: F811
    pledge: int,
    now: datetime,
) -> None:
    created = start(db, world, pledge, now, ReviewPeriod.MID_YEAR)
    # Lan, Hùng, the deputy and the secretary (full members); not the exempt member.
    assert created == 4
    assert start(db, world, pledge, now, ReviewPeriod.MID_YEAR) == 0  # once per period
    with db.session() as session:
        campaign = session.get(Campaign, pledge)
        assert campaign is not None
        assert campaign.status == CampaignStatus.OPEN
        lan = person(session, world, "lan")
        review = self_reviews.mine(
            session=session, campaign_id=pledge, period=ReviewPeriod.MID_YEAR, person=lan
        )
        assert review.status == SelfReviewStatus.DRAFT
        results = self_reviews.results(session=session, review=review)
        assert [r.item.text for r in results] == [
            "Hoàn thành 100% kế hoạch công tác",
            "Đi làm đúng giờ",
        ]
        exempt = person(session, world, "exempt")
        with pytest.raises(NotFound):
            self_reviews.mine(
                session=session, campaign_id=pledge, period=ReviewPeriod.MID_YEAR, person=exempt
            )
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "campaign.review_period")
        ).first()
        assert entry is not None


def test_the_year_end_review_closes_the_campaign(
    db: Database,
    world: dict,  # noqa: F811
    pledge: int,
    now: datetime,
) -> None:
    start(db, world, pledge, now, ReviewPeriod.MID_YEAR)
    assert start(db, world, pledge, now, ReviewPeriod.YEAR) == 4  # a second review each
    with db.session() as session:
        campaign = session.get(Campaign, pledge)
        assert campaign is not None
        assert campaign.status == CampaignStatus.CLOSED
        assert campaigns.open_campaigns(session=session, org_id=world["org_id"]) == []
        closed = campaigns.recently_closed(session=session, org_id=world["org_id"], now=now)
        assert [c.id for c in closed] == [pledge]
        later = now + campaigns.CLOSED_SHOWN_FOR + timedelta(days=1)
        assert campaigns.recently_closed(session=session, org_id=world["org_id"], now=later) == []
        with pytest.raises(Conflict):
            self_reviews.start_period(
                session=session,
                campaign_id=pledge,
                period=ReviewPeriod.YEAR,
                actor=person(session, world, "secretary"),
                now=now,
            )


def test_a_member_writes_rates_and_submits_once(
    db: Database,
    world: dict,  # noqa: F811
    pledge: int,
    now: datetime,
) -> None:
    start(db, world, pledge, now, ReviewPeriod.YEAR)
    with db.session() as session:
        lan = person(session, world, "lan")
        review = self_reviews.mine(
            session=session, campaign_id=pledge, period=ReviewPeriod.YEAR, person=lan
        )
        rid = review.id or 0
        with pytest.raises(InvalidInput) as incomplete:
            self_reviews.submit(session=session, review_id=rid, person=lan, now=now)
        assert incomplete.value.code == "self_review_incomplete"
        with pytest.raises(InvalidInput):
            self_reviews.set_text(session=session, review_id=rid, person=lan, text=" \n ", now=now)
        with pytest.raises(InvalidInput):
            self_reviews.set_text(
                session=session, review_id=rid, person=lan, text="x" * 4001, now=now
            )
        hung = person(session, world, "hung")
        with pytest.raises(NotAllowed):
            self_reviews.set_text(session=session, review_id=rid, person=hung, text="A", now=now)
        self_reviews.set_text(
            session=session, review_id=rid, person=lan, text="  Hoàn thành  tốt. ", now=now
        )
        self_reviews.set_level(
            session=session, review_id=rid, person=lan, level=RatingLevel.GOOD, now=now
        )
        done = self_reviews.submit(session=session, review_id=rid, person=lan, now=now)
        assert (done.text, done.proposed_level, done.submitted_at) == (
            "Hoàn thành tốt.",
            RatingLevel.GOOD,
            now,
        )
        with pytest.raises(Conflict):
            self_reviews.set_level(
                session=session, review_id=rid, person=lan, level=RatingLevel.DONE, now=now
            )
        counts = self_reviews.review_counts(session=session, campaign_id=pledge)
        assert counts == {ReviewPeriod.YEAR: (1, 4)}
        assert [c.id for r, c in self_reviews.drafts_of(session=session, person=lan)] == []
        assert len(self_reviews.drafts_of(session=session, person=hung)) == 1


def test_only_the_committee_starts_a_period_or_commends(
    db: Database,
    world: dict,  # noqa: F811
    pledge: int,
    now: datetime,
) -> None:
    with db.session() as session:
        lan = person(session, world, "lan")
        with pytest.raises(NotAllowed):
            self_reviews.start_period(
                session=session, campaign_id=pledge, period=ReviewPeriod.YEAR, actor=lan, now=now
            )
        with pytest.raises(NotAllowed):
            self_reviews.commend(
                session=session,
                campaign_id=pledge,
                member_id=world["hung_member"],
                item_id=None,
                reason="Tốt",
                actor=lan,
                now=now,
            )


def test_a_commendation_names_a_member_or_one_of_their_approved_items(
    db: Database,
    world: dict,  # noqa: F811
    pledge: int,
    now: datetime,
) -> None:
    with db.session() as session:
        secretary = person(session, world, "secretary")
        in_force = commitments.in_force(
            session=session, campaign_id=pledge, member_id=world["lan_member"]
        )
        assert in_force is not None
        [first, _] = commitments.items(session=session, commitment_id=in_force.id or 0)
        self_reviews.commend(
            session=session,
            campaign_id=pledge,
            member_id=world["lan_member"],
            item_id=first.id,
            reason="  Gương mẫu\ttrong công tác ",
            actor=secretary,
            now=now,
        )
        with pytest.raises(NotFound):  # Hùng has no approved commitment: no item of his
            self_reviews.commend(
                session=session,
                campaign_id=pledge,
                member_id=world["hung_member"],
                item_id=first.id,
                reason="Tốt",
                actor=secretary,
                now=now,
            )
        with pytest.raises(InvalidInput):
            self_reviews.commend(
                session=session,
                campaign_id=pledge,
                member_id=world["hung_member"],
                item_id=None,
                reason="x" * 301,
                actor=secretary,
                now=now,
            )
        with count_statements(db) as counted:
            listed = self_reviews.commendations(session=session, campaign_id=pledge)
        assert counted.count == 1
        assert [(c.reason, c.item_id, m.full_name) for c, m in listed] == [
            ("Gương mẫu trong công tác", first.id, "Trần Thị Lan")
        ]


def test_drafts_are_looked_up_in_constant_queries(
    db: Database,
    world: dict,  # noqa: F811
    pledge: int,
    now: datetime,
) -> None:
    start(db, world, pledge, now, ReviewPeriod.YEAR)
    with db.session() as session:
        lan = session.get(Person, world["lan"])
        assert lan is not None
        member = session.exec(select(Member).where(Member.person_id == lan.id)).one()
        assert member.id == world["lan_member"]
        with count_statements(db) as counted:
            self_reviews.drafts_of(session=session, person=lan)
        assert counted.count == 1

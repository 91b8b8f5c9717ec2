"""Campaigns and commitments: open, write answer by answer, submit, review, versions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.db import Database
from bot.models import AuditEntry, MemberStatus, Organisation, Person, Role
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignKind,
    Commitment,
    CommitmentStatus,
    RatingLevel,
    SectionKind,
)
from bot.services import campaigns, commitments, reviews
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests import factories

# NOW (tests/conftest.py) is 22/11/2026 10:00 in Hà Nội.
YEAR = 2027


@pytest.fixture
def world(db: Database, now: datetime) -> dict:
    with db.session() as session:
        c = factories.cell(session, now)
        lan_member, lan = factories.joined_member(session, c, "Trần Thị Lan", now)
        hung_member, hung = factories.joined_member(session, c, "Lê Văn Hùng", now)
        _exempt_member, exempt = factories.joined_member(
            session, c, "Phạm Văn Miễn", now, status=MemberStatus.EXEMPT
        )
        _deputy_member, deputy = factories.joined_member(
            session, c, "Đỗ Thị Phó", now, role=Role.DEPUTY
        )
        return {
            "org_id": c.org.id,
            "secretary": c.secretary.id,
            "lan": lan.id,
            "lan_member": lan_member.id,
            "hung": hung.id,
            "hung_member": hung_member.id,
            "exempt": exempt.id,
            "deputy": deputy.id,
        }


def person(session: Session, world: dict, name: str) -> Person:
    found = session.get(Person, world[name])
    assert found is not None
    return found


def open_pledge(session: Session, world: dict, now: datetime, **kw) -> Campaign:
    draft = campaigns.CampaignDraft(
        kind=kw.pop("kind", CampaignKind.PLEDGE),
        year=kw.pop("year", YEAR),
        deadline=kw.pop("deadline", date(2026, 12, 15)),
        cadence=kw.pop("cadence", Cadence.QUARTERLY),
        **kw,
    )
    return campaigns.open_campaign(
        session=session,
        org_id=world["org_id"],
        draft=draft,
        actor=person(session, world, "secretary"),
        now=now,
    )


def fill(session: Session, commitment: Commitment, who: Person, now: datetime) -> None:
    """Fills every required section of a bản cam kết."""
    assert commitment.id is not None
    for key in ("politics", "ethics", "style", "discipline"):
        commitments.set_answer(
            session=session,
            commitment_id=commitment.id,
            section_key=key,
            text=f"Nội dung mục {key}",
            person=who,
            now=now,
        )
    commitments.add_item(
        session=session,
        commitment_id=commitment.id,
        section_key="duties",
        text="Hoàn thành 100% kế hoạch công tác",
        target=100,
        unit="%",
        person=who,
        now=now,
    )
    commitments.add_item(
        session=session,
        commitment_id=commitment.id,
        section_key="follow",
        text="Đi làm đúng giờ",
        deadline=date(YEAR, 6, 30),
        person=who,
        now=now,
    )
    commitments.set_goal(
        session=session,
        commitment_id=commitment.id,
        level=RatingLevel.GOOD,
        person=who,
        now=now,
    )


# --- opening a campaign ------------------------------------------------------------------------


def test_a_pledge_campaign_gets_the_headings_of_the_document(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign = open_pledge(session, world, now)
        assert [(s.key, s.kind) for s in campaigns.sections_of(campaign)] == [
            ("politics", SectionKind.TEXT),
            ("ethics", SectionKind.TEXT),
            ("style", SectionKind.TEXT),
            ("discipline", SectionKind.TEXT),
            ("duties", SectionKind.ITEMS),
            ("follow", SectionKind.ITEMS),
            ("goal", SectionKind.GOAL),
        ]
        assert (campaign.starts_on, campaign.ends_on) == (date(YEAR, 1, 1), date(YEAR, 12, 31))
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "campaign.open")).one()
        assert entry.after == {"kind": "pledge", "year": YEAR, "deadline": "2026-12-15"}


def test_only_the_committee_opens_a_campaign(db: Database, world: dict, now: datetime) -> None:
    with db.session() as session:
        draft = campaigns.CampaignDraft(
            kind=CampaignKind.PLEDGE, year=YEAR, deadline=date(2026, 12, 15)
        )
        with pytest.raises(NotAllowed):
            campaigns.open_campaign(
                session=session,
                org_id=world["org_id"],
                draft=draft,
                actor=person(session, world, "lan"),
                now=now,
            )
        # A deputy secretary is on the committee.
        made = campaigns.open_campaign(
            session=session,
            org_id=world["org_id"],
            draft=draft,
            actor=person(session, world, "deputy"),
            now=now,
        )
        assert made.id is not None


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"deadline": date(2026, 11, 21)}, "deadline_past"),
        ({"deadline": date(2028, 1, 1)}, "deadline_after_period"),
        (
            {"starts_on": date(YEAR, 7, 1), "ends_on": date(YEAR, 6, 30)},
            "period_reversed",
        ),
        ({"kind": CampaignKind.EMULATION, "title": "   "}, "campaign_theme_required"),
        ({"title": "x" * 301}, "text_too_long"),
    ],
)
def test_a_campaign_with_bad_dates_or_text_is_refused(
    db: Database, world: dict, now: datetime, kw: dict, code: str
) -> None:
    with db.session() as session:
        with pytest.raises(InvalidInput) as caught:
            open_pledge(session, world, now, **kw)
        assert caught.value.code == code
        assert session.exec(select(Campaign)).all() == []


def test_one_open_pledge_campaign_per_year(db: Database, world: dict, now: datetime) -> None:
    with db.session() as session:
        open_pledge(session, world, now)
        with pytest.raises(Conflict) as caught:
            open_pledge(session, world, now)
        assert caught.value.code == "campaign_exists"
        # Movements may run side by side; another year is another campaign.
        open_pledge(session, world, now, kind=CampaignKind.EMULATION, title="Thi đua A")
        open_pledge(session, world, now, kind=CampaignKind.EMULATION, title="Thi đua B")
        open_pledge(session, world, now, year=2026, deadline=date(2026, 12, 1))


# --- writing a commitment ----------------------------------------------------------------------


def test_a_draft_is_saved_answer_by_answer_and_found_again(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now
        )
        commitments.set_answer(
            session=session,
            commitment_id=draft.id,
            section_key="politics",
            text="  Tham gia   đầy đủ\n\n\n các buổi học nghị quyết  ",
            person=lan,
            now=now,
        )
        draft_id = draft.id
    # Later, another transaction (after a restart): the same draft, with its answer.
    with db.session() as session:
        lan = person(session, world, "lan")
        again = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now + timedelta(days=3)
        )
        assert again.id == draft_id
        assert again.answers == {"politics": "Tham gia đầy đủ\n\ncác buổi học nghị quyết"}
        missing = commitments.missing_sections(
            session=session,
            commitment=again,
            campaign=campaigns.get_campaign(session=session, campaign_id=campaign_id),
        )
        assert [s.key for s in missing] == [
            "ethics",
            "style",
            "discipline",
            "duties",
            "follow",
            "goal",
        ]


def test_exempt_members_and_strangers_do_not_register(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        with pytest.raises(NotAllowed) as caught:
            commitments.draft_for(
                session=session,
                campaign_id=campaign_id,
                person=person(session, world, "exempt"),
                now=now,
            )
        assert caught.value.code == "not_expected_to_register"
        stranger = factories.person(session, "Người Lạ", now)
        with pytest.raises(NotAllowed) as caught:
            commitments.draft_for(
                session=session, campaign_id=campaign_id, person=stranger, now=now
            )
        assert caught.value.code == "not_in_campaign_cell"
        assert session.exec(select(Commitment)).all() == []


def test_someone_else_cannot_write_into_a_draft(db: Database, world: dict, now: datetime) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=person(session, world, "lan"), now=now
        )
        with pytest.raises(NotAllowed):
            commitments.set_answer(
                session=session,
                commitment_id=draft.id,
                section_key="politics",
                text="chen ngang",
                person=person(session, world, "hung"),
                now=now,
            )
        assert draft.answers == {}


@pytest.mark.parametrize(
    ("text", "code"),
    [("   ", "answer_empty"), ("x" * 2001, "text_too_long")],
)
def test_an_empty_or_huge_answer_is_refused_and_the_draft_kept(
    db: Database, world: dict, now: datetime, text: str, code: str
) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now
        )
        commitments.set_answer(
            session=session,
            commitment_id=draft.id,
            section_key="ethics",
            text="Giữ gìn đạo đức",
            person=lan,
            now=now,
        )
        with pytest.raises(InvalidInput) as caught:
            commitments.set_answer(
                session=session,
                commitment_id=draft.id,
                section_key="ethics",
                text=text,
                person=lan,
                now=now,
            )
        assert caught.value.code == code
        assert draft.answers == {"ethics": "Giữ gìn đạo đức"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12 buổi", (12.0, "buổi")),
        ("100%", (100.0, "%")),
        ("3,5 triệu đồng", (3.5, "triệu đồng")),
        ("1.000.000,5 đồng", (1000000.5, "đồng")),
        ("7", (7.0, "")),
    ],
)
def test_targets_are_read_as_people_type_them(typed: str, expected: tuple) -> None:
    assert commitments.parse_target(typed) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("mười hai", "target_not_number"),
        ("-5 buổi", "target_negative"),
        ("nan", "target_negative"),
        ("99999999999", "target_too_large"),
    ],
)
def test_a_target_that_is_not_a_number_is_refused(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        commitments.parse_target(typed)
    assert caught.value.code == code


def test_an_item_deadline_must_fall_inside_the_period(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now
        )
        with pytest.raises(InvalidInput) as caught:
            commitments.add_item(
                session=session,
                commitment_id=draft.id,
                section_key="follow",
                text="Tiết kiệm điện",
                deadline=date(YEAR + 1, 1, 15),
                person=lan,
                now=now,
            )
        assert caught.value.code == "deadline_outside_period"
        assert commitments.items(session=session, commitment_id=draft.id) == []


def test_a_section_holds_at_most_ten_items(db: Database, world: dict, now: datetime) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now
        )
        for n in range(commitments.MAX_ITEMS):
            commitments.add_item(
                session=session,
                commitment_id=draft.id,
                section_key="follow",
                text=f"Việc {n + 1}",
                person=lan,
                now=now,
            )
        with pytest.raises(InvalidInput) as caught:
            commitments.add_item(
                session=session,
                commitment_id=draft.id,
                section_key="follow",
                text="Việc 11",
                person=lan,
                now=now,
            )
        assert caught.value.code == "too_many_items"
        assert [
            i.position for i in commitments.items(session=session, commitment_id=draft.id)
        ] == (list(range(1, 11)))


# --- submitting and reviewing ------------------------------------------------------------------


def test_submit_names_the_required_sections_still_empty(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now
        )
        with pytest.raises(InvalidInput) as caught:
            commitments.submit(session=session, commitment_id=draft.id, person=lan, now=now)
        assert caught.value.params["sections"] == [
            "politics",
            "ethics",
            "style",
            "discipline",
            "duties",
            "follow",
            "goal",
        ]
        assert draft.status == CommitmentStatus.DRAFT


def test_a_late_submission_is_accepted_and_marked_late(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now, deadline=date(2026, 11, 30)).id
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now
        )
        fill(session, draft, lan, now)
        # 01/12 at 06:59 in Hà Nội is the day after the deadline there (still 30/11 in UTC).
        after = datetime(2026, 11, 30, 23, 59, tzinfo=now.tzinfo)
        submitted, _ = commitments.submit(
            session=session, commitment_id=draft.id, person=lan, now=after
        )
        assert (submitted.status, submitted.late) == (CommitmentStatus.SUBMITTED, True)


def test_review_approves_or_returns_and_versions_keep_history(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign = open_pledge(session, world, now)
        campaign_id = campaign.id
        lan = person(session, world, "lan")
        secretary = person(session, world, "secretary")
        v1 = commitments.draft_for(session=session, campaign_id=campaign_id, person=lan, now=now)
        fill(session, v1, lan, now)
        commitments.submit(session=session, commitment_id=v1.id, person=lan, now=now)

        # Under review, the member cannot write into it (nor start another).
        with pytest.raises(Conflict):
            commitments.draft_for(session=session, campaign_id=campaign_id, person=lan, now=now)
        # A member cannot review; a comment is required to return.
        with pytest.raises(NotAllowed):
            reviews.approve(session=session, commitment_id=v1.id, actor=lan, now=now)
        with pytest.raises(InvalidInput):
            reviews.return_for_changes(
                session=session, commitment_id=v1.id, actor=secretary, comment=" ", now=now
            )
        assert reviews.next_to_review(session=session, org_id=world["org_id"]) == v1

        reviews.return_for_changes(
            session=session,
            commitment_id=v1.id,
            actor=secretary,
            comment="Mục 5 cần chỉ tiêu cụ thể",
            now=now,
        )
        assert (v1.status, v1.review_comment) == (
            CommitmentStatus.RETURNED,
            "Mục 5 cần chỉ tiêu cụ thể",
        )
        # Returned: the member edits the same version and submits again.
        again = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now
        )
        assert again.id == v1.id
        commitments.submit(session=session, commitment_id=v1.id, person=lan, now=now)
        reviews.approve(session=session, commitment_id=v1.id, actor=secretary, now=now)
        with pytest.raises(Conflict):
            reviews.approve(session=session, commitment_id=v1.id, actor=secretary, now=now)

        # Editing the approved one starts version 2 from its content; v1 stays in force.
        v2 = commitments.draft_for(session=session, campaign_id=campaign_id, person=lan, now=now)
        assert (v2.version, v2.answers, v2.rating_goal) == (2, v1.answers, RatingLevel.GOOD)
        v2_items = commitments.items(session=session, commitment_id=v2.id)
        v1_items = commitments.items(session=session, commitment_id=v1.id)
        assert [(i.text, i.origin_id) for i in v2_items] == [(i.text, i.id) for i in v1_items]
        assert (
            commitments.in_force(
                session=session, campaign_id=campaign_id, member_id=world["lan_member"]
            )
            == v1
        )
        commitments.set_goal(
            session=session,
            commitment_id=v2.id,
            level=RatingLevel.EXCELLENT,
            person=lan,
            now=now,
        )
        commitments.submit(session=session, commitment_id=v2.id, person=lan, now=now)
        reviews.approve(session=session, commitment_id=v2.id, actor=secretary, now=now)
        history = commitments.versions(
            session=session, campaign_id=campaign_id, member_id=world["lan_member"]
        )
        assert [(c.version, c.status) for c in history] == [
            (1, CommitmentStatus.SUPERSEDED),
            (2, CommitmentStatus.APPROVED),
        ]
        actions = session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert [a for a in actions if a.startswith("commitment.")] == [
            "commitment.return",
            "commitment.approve",
            "commitment.approve",
        ]


def test_progress_counts_expected_members_only(db: Database, world: dict, now: datetime) -> None:
    with db.session() as session:
        campaign = open_pledge(session, world, now)
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign.id, person=lan, now=now
        )
        fill(session, draft, lan, now)
        commitments.submit(session=session, commitment_id=draft.id, person=lan, now=now)
        commitments.draft_for(
            session=session,
            campaign_id=campaign.id,
            person=person(session, world, "hung"),
            now=now,
        )
        found = campaigns.progress(session=session, campaign=campaign)
        # Expected: the secretary, the deputy, Lan and Hùng (not the exempt member).
        assert len(found.expected) == 4
        assert found.count(CommitmentStatus.SUBMITTED) == 1
        assert found.count(CommitmentStatus.DRAFT) == 1
        assert found.count(None) == 2
        assert found.registered == 1


@pytest.mark.parametrize(
    ("local_hour", "reminded_days_ago", "due"),
    [
        (9, None, True),
        (20, None, True),
        (21, None, False),  # night in the cell's zone
        (6, None, False),
        (9, 1, False),  # one reminder every two days at most
        (9, 2, True),
    ],
)
def test_registration_reminders_skip_the_night_and_come_every_two_days(
    db: Database,
    world: dict,
    now: datetime,
    local_hour: int,
    reminded_days_ago: int | None,
    due: bool,
) -> None:
    with db.session() as session:
        campaign = open_pledge(session, world, now)
        org = campaign_org(session, campaign)
        at = (
            datetime(2026, 12, 1, local_hour - 7, 0, tzinfo=now.tzinfo)
            if local_hour >= 7
            else (datetime(2026, 11, 30, local_hour + 17, 0, tzinfo=now.tzinfo))
        )
        if reminded_days_ago is not None:
            campaign.reminded_at = at - timedelta(days=reminded_days_ago)
        assert campaigns.reminder_due(campaign=campaign, org=org, now=at) is due


def test_no_reminder_after_the_deadline(db: Database, world: dict, now: datetime) -> None:
    with db.session() as session:
        campaign = open_pledge(session, world, now)
        org = campaign_org(session, campaign)
        after = datetime(2026, 12, 16, 3, 0, tzinfo=now.tzinfo)
        assert campaigns.reminder_due(campaign=campaign, org=org, now=after) is False


def test_a_stale_section_key_is_not_found(db: Database, world: dict, now: datetime) -> None:
    with db.session() as session:
        campaign = open_pledge(session, world, now)
        with pytest.raises(NotFound):
            campaigns.section_of(campaign, "gone")


def campaign_org(session: Session, campaign: Campaign) -> Organisation:
    org = session.get(Organisation, campaign.org_id)
    assert org is not None
    return org


# --- what the review and the chat screens read -------------------------------------------------


def test_awaiting_review_lists_submitted_ones_oldest_first(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        secretary = person(session, world, "secretary")
        ids = []
        for offset, name in enumerate(("hung", "lan")):
            who = person(session, world, name)
            draft = commitments.draft_for(
                session=session, campaign_id=campaign_id, person=who, now=now
            )
            fill(session, draft, who, now)
            commitments.submit(
                session=session,
                commitment_id=draft.id,
                person=who,
                now=now + timedelta(minutes=offset),
            )
            ids.append(draft.id)
        waiting = reviews.awaiting_review(session=session, org_id=world["org_id"])
        assert [c.id for c in waiting] == ids

        # A member may not review; once reviewed, nobody may review it again.
        with pytest.raises(NotAllowed) as caught:
            reviews.reviewable(
                session=session, commitment_id=ids[0], actor=person(session, world, "lan")
            )
        assert caught.value.code == "committee_only"
        reviews.approve(session=session, commitment_id=ids[0], actor=secretary, now=now)
        with pytest.raises(Conflict) as late:
            reviews.reviewable(
                session=session, commitment_id=ids[0], actor=person(session, world, "deputy")
            )
        assert late.value.code == "commitment_already_reviewed"
        waiting = reviews.awaiting_review(session=session, org_id=world["org_id"])
        assert [c.id for c in waiting] == [ids[1]]


def test_writable_is_only_the_members_own_open_version(
    db: Database, world: dict, now: datetime
) -> None:
    with db.session() as session:
        campaign_id = open_pledge(session, world, now).id
        lan = person(session, world, "lan")
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=lan, now=now
        )
        found, _ = commitments.writable(session=session, commitment_id=draft.id, person=lan)
        assert found.id == draft.id
        with pytest.raises(NotAllowed) as caught:
            commitments.writable(
                session=session, commitment_id=draft.id, person=person(session, world, "hung")
            )
        assert caught.value.code == "not_your_commitment"
        fill(session, draft, lan, now)
        commitments.submit(session=session, commitment_id=draft.id, person=lan, now=now)
        with pytest.raises(Conflict) as under_review:
            commitments.writable(session=session, commitment_id=draft.id, person=lan)
        assert under_review.value.code == "commitment_not_editable"

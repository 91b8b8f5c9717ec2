"""The demo's registration in progress: the year's "học tập và làm theo Bác", seeded through
the real services once the members have joined.

Hùng's commitment is approved and the month's progress report is open for him; Mai's is
submitted and waits for the committee (/duyet); Nam's was returned with a comment; Lan has
written half of hers. Nothing is sent while seeding (no opening notice, no round notice): the
members' chats stay as the meeting left them, and the first registration reminder and the
first nudge come after two days, as they would have."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from bot.db import Database
from bot.models import Person
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignKind,
    CheckInRound,
    RoundStatus,
)
from bot.services import campaigns, checkins, commitments, orgs, people, reviews
from sandbox.seed import CELL_NAME, CHANNEL, PEOPLE, SECRETARY

APPROVED = "Lê Văn Hùng"
SUBMITTED = "Phạm Thị Mai"
RETURNED = "Hoàng Văn Nam"
HALFWAY = "Vũ Thị Lan"
RETURN_COMMENT = "Đồng chí ghi rõ thời hạn hoàn thành của từng việc."
TASKS = {
    APPROVED: ["Đi làm đúng giờ, không sử dụng điện thoại vào việc riêng trong giờ làm việc"],
    SUBMITTED: ["Mỗi tháng đọc một cuốn sách về Bác và chia sẻ trong chi bộ"],
    RETURNED: ["Tham gia đầy đủ hoạt động tình nguyện của cơ quan"],
}


def _person(session: Session, name: str) -> Person:
    demo = next(p for p in PEOPLE if p.full_name == name)
    found = people.get_person(session=session, channel=CHANNEL, external_id=str(demo.user_id))
    if found is None:
        raise RuntimeError(f"{name} has not joined the demo cell yet")
    return found


def ensure_campaign(db: Database, now: datetime) -> None:
    """Opens the registration and fills it as described above, once."""
    with db.session() as session:
        cell = orgs.find_org(session=session, name=CELL_NAME)
        if cell is None or cell.id is None:
            raise RuntimeError("the demo cell does not exist yet")
        if session.exec(select(Campaign.id).where(Campaign.org_id == cell.id)).first():
            return
        secretary = _person(session, SECRETARY.full_name)
        today = campaigns.local_today(cell, now)
        campaign = campaigns.open_campaign(
            session=session,
            org_id=cell.id,
            draft=campaigns.CampaignDraft(
                kind=CampaignKind.FOLLOW,
                year=today.year,
                deadline=min(today + timedelta(days=7), date(today.year, 12, 31)),
                cadence=Cadence.MONTHLY,
            ),
            actor=secretary,
            now=now,
        )
        # As if the first reminder had just gone out: the next one is two days away.
        campaign.reminded_at = now
        session.add(campaign)
        for name, tasks in TASKS.items():
            who = _person(session, name)
            draft = commitments.draft_for(
                session=session, campaign_id=campaign.id or 0, person=who, now=now
            )
            for task in tasks:
                commitments.add_item(
                    session=session,
                    commitment_id=draft.id or 0,
                    section_key="follow",
                    text=task,
                    person=who,
                    now=now,
                )
            commitments.submit(session=session, commitment_id=draft.id or 0, person=who, now=now)
            if name == APPROVED:
                reviews.approve(
                    session=session, commitment_id=draft.id or 0, actor=secretary, now=now
                )
            elif name == RETURNED:
                reviews.return_for_changes(
                    session=session,
                    commitment_id=draft.id or 0,
                    actor=secretary,
                    comment=RETURN_COMMENT,
                    now=now,
                )
        lan = _person(session, HALFWAY)
        halfway = commitments.draft_for(
            session=session, campaign_id=campaign.id or 0, person=lan, now=now
        )
        commitments.add_item(
            session=session,
            commitment_id=halfway.id or 0,
            section_key="follow",
            text="Giữ gìn nếp sống giản dị, tiết kiệm",
            person=lan,
            now=now,
        )
        window = checkins.due_window(campaign, cell, now)
        if window is not None:
            # The month's round, open; its notice is not sent again by the tick (the round
            # exists) and its first nudge comes two days from now.
            session.add(
                CheckInRound(
                    campaign_id=campaign.id or 0,
                    seq=window.seq,
                    period_start=window.period_start,
                    opens_at=window.opens_at,
                    closes_at=window.closes_at,
                    status=RoundStatus.OPEN,
                    nudged_at=now,
                )
            )

"""Every registered flow, driven from start to finish by typed text only (as on Zalo, no buttons).

At each question the driver types what a script says for that step: the number of an option
(the numbered list a text channel shows), or a realistic Vietnamese answer for a free-text
step. Each flow is also driven by typing option labels instead of numbers (as shown, and folded
without diacritics), and once cancelled with "0", which must leave the database untouched.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, table
from sqlalchemy import select as sql_select
from sqlmodel import Session, select

from bot.datetext import ParsedTime, combine
from bot.db import Database
from bot.flows.engine import FlowEngine, FlowKey, Outcome, numbered_options, parse_callback
from bot.flows.matching import match_key
from bot.flows.registry import build_engine
from bot.i18n import translator
from bot.models import (
    Announcement,
    AnnouncementKind,
    AnnouncementRecipient,
    AnnouncementStatus,
    AudienceKind,
    Cadence,
    Campaign,
    CampaignKind,
    CheckIn,
    CheckInRound,
    Commendation,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    EmulationTitle,
    Invite,
    InviteKind,
    ItemStatus,
    JoinRequest,
    JoinRequestStatus,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    MeetingTask,
    Member,
    MemberStatus,
    Organisation,
    PactTarget,
    Person,
    RatingLevel,
    ReflectionKind,
    ReviewPeriod,
    Role,
    Rsvp,
    RsvpAnswer,
    SelfReview,
    StudySubmission,
)
from bot.services import (
    announcements,
    campaigns,
    commitments,
    conclusions,
    invites,
    meetings,
    members,
    officers,
    orgs,
    pacts,
    reviews,
    rsvps,
    self_reviews,
)
from tests import factories

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T = translator("vi")
MAX_QUESTIONS = 30
_keys = itertools.count(1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Hồ Chí Minh City, as the UTC instant."""
    return combine(day, ParsedTime(hour, minute), HCM)


def local_today(now: datetime) -> date:
    return now.astimezone(HCM).date()


@dataclass
class World:
    """Who runs the flow, with which params and clock, and the ids the checks need."""

    person: Person
    now: datetime
    params: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Script:
    """One way through one flow: how to build the world, what to type, what must exist after."""

    name: str
    flow: str
    build: Callable[[Session, datetime], World]
    # What to type at each step; a tuple for a step asked again (a menu coming back after each
    # part), one answer each time it is asked.
    typed: dict[str, str | tuple[str, ...]]
    check: Callable[[Session, World], None]
    # Rows a form keeps when left at its second question (answers saved as they are given).
    kept: dict[str, int] = field(default_factory=dict)


# --- worlds -------------------------------------------------------------------------------------


def secretary_world(session: Session, now: datetime) -> World:
    c = factories.cell(session, now)
    assert c.org.id is not None
    lan, _ = factories.joined_member(session, c, "Trần Thị Lan", now)
    hung, _ = factories.joined_member(session, c, "Lê Văn Hùng", now)
    [waiting] = members.add_members(
        session=session,
        org_id=c.org.id,
        names=["Phạm Văn Cường"],
        role=Role.MEMBER,
        status=MemberStatus.FULL,
        actor=c.secretary,
        now=now,
    )
    ids = {
        "org": c.org.id,
        "secretary": c.secretary_member.id or 0,
        "lan": lan.id or 0,
        "hung": hung.id or 0,
        "cuong": waiting.id or 0,
    }
    return World(c.secretary, now, {"bot_username": "chibot_test_bot"}, ids)


def member_world(session: Session, now: datetime) -> World:
    world = secretary_world(session, now)
    world.params = {"org_id": world.ids["org"], "member_id": world.ids["lan"]}
    return world


def meeting_world(session: Session, now: datetime, starts_at: datetime | None = None) -> World:
    """A cell with a regular meeting (26/11 19:30 unless told), run by its secretary."""
    world = secretary_world(session, now)
    draft = meetings.MeetingDraft(
        kind=MeetingKind.REGULAR,
        starts_at=starts_at or at(date(2026, 11, 26), 19, 30),
        place="Hội trường khu phố 3",
    )
    meeting = meetings.create_meeting(
        session=session, org_id=world.ids["org"], draft=draft, actor=world.person, now=now
    )
    assert meeting.id is not None
    world.ids["meeting"] = meeting.id
    world.params = {"meeting_id": meeting.id, "version": meeting.version}
    return world


def rsvp_world(session: Session, now: datetime) -> World:
    """A member who tapped “Vắng có lý do”, now asked the reason privately."""
    world = meeting_world(session, now)
    person = session.get(Person, member(session, world.ids["lan"]).person_id)
    assert person is not None
    rsvps.answer_rsvp(
        session=session,
        meeting_id=world.ids["meeting"],
        person=person,
        answer=RsvpAnswer.EXCUSED,
        now=now,
    )
    world.person = person
    world.params = {"meeting_id": world.ids["meeting"]}
    return world


def held_meeting_world(session: Session, now: datetime) -> World:
    """A meeting held this afternoon; the conclusion is typed in the evening."""
    world = meeting_world(session, now, at(local_today(now), 14))
    world.now = at(local_today(now), 17, 30)
    world.params = {"meeting_id": world.ids["meeting"]}
    return world


def concluded_meeting_world(session: Session, now: datetime) -> World:
    """A meeting held this afternoon whose conclusion was posted; it is corrected."""
    world = held_meeting_world(session, now)
    conclusions.record(
        session=session,
        meeting_id=world.ids["meeting"],
        conclusion="Chi bộ thống nhất thu đảng phí quý IV.",
        tasks=[],
        actor=world.person,
        now=world.now,
    )
    return world


def document_world(session: Session, now: datetime) -> World:
    world = meeting_world(session, now)
    world.params = {
        "file_id": "BQACAgUAAxkBAAIBbmVfile",
        "file_name": "Bien-ban-sinh-hoat-thang-11.pdf",
        "mime_type": "application/pdf",
        "size": 245_760,
    }
    return world


def personal_invite_world(session: Session, now: datetime) -> World:
    world = secretary_world(session, now)
    secretary = world.person
    token = invites.create_personal_invite(
        session=session,
        org_id=world.ids["org"],
        member_id=world.ids["cuong"],
        actor=secretary,
        now=now,
    )
    newcomer = factories.person(session, "Cường Phạm", now)
    return World(newcomer, now, {"token": token}, {**world.ids, "person": newcomer.id or 0})


def cell_invite_world(session: Session, now: datetime) -> World:
    world = secretary_world(session, now)
    token = invites.create_cell_invite(
        session=session, org_id=world.ids["org"], actor=world.person, now=now
    )
    stranger = factories.person(session, "mai.do", now)
    return World(stranger, now, {"token": token}, {**world.ids, "person": stranger.id or 0})


def commitment_world(session: Session, now: datetime, section: str = "politics") -> World:
    """Lan writes section `section` of her bản cam kết 2027 (a draft already started)."""
    world = secretary_world(session, now)
    campaign = campaigns.open_campaign(
        session=session,
        org_id=world.ids["org"],
        draft=campaigns.CampaignDraft(
            kind=CampaignKind.PLEDGE, year=2027, deadline=date(2026, 12, 15)
        ),
        actor=world.person,
        now=now,
    )
    lan = session.get(Person, member(session, world.ids["lan"]).person_id)
    assert lan is not None
    assert campaign.id is not None
    draft = commitments.draft_for(session=session, campaign_id=campaign.id, person=lan, now=now)
    assert draft.id is not None
    world.person = lan
    world.ids.update(campaign=campaign.id, commitment=draft.id)
    world.params = {"campaign_id": campaign.id, "commitment_id": draft.id, "section": section}
    return world


def items_world(session: Session, now: datetime) -> World:
    return commitment_world(session, now, "duties")


def goal_world(session: Session, now: datetime) -> World:
    return commitment_world(session, now, "goal")


def submitted_world(session: Session, now: datetime) -> World:
    """Lan has submitted her whole commitment; her secretary reviews it."""
    world = commitment_world(session, now)
    lan = world.person
    draft_id = world.ids["commitment"]
    for key in ("politics", "ethics", "style", "discipline"):
        commitments.set_answer(
            session=session,
            commitment_id=draft_id,
            section_key=key,
            text=f"Nội dung mục {key}",
            person=lan,
            now=now,
        )
    for key in ("duties", "follow"):
        commitments.add_item(
            session=session,
            commitment_id=draft_id,
            section_key=key,
            text="Hoàn thành đúng hạn",
            person=lan,
            now=now,
        )
    commitments.set_goal(
        session=session, commitment_id=draft_id, person=lan, now=now, level=RatingLevel.GOOD
    )
    commitments.submit(session=session, commitment_id=draft_id, person=lan, now=now)
    secretary = session.get(Person, member(session, world.ids["secretary"]).person_id)
    assert secretary is not None
    world.person = secretary
    world.params = {"commitment_id": draft_id}
    return world


def checkin_world(session: Session, now: datetime) -> World:
    """Lan's commitment is approved (its first task has a target of 12 buổi); a round is open."""
    world = submitted_world(session, now)
    draft_id = int(world.params["commitment_id"])
    items = commitments.items(session=session, commitment_id=draft_id)
    items[0].target, items[0].unit = 12, "buổi"
    session.add(items[0])
    reviews.approve(session=session, commitment_id=draft_id, actor=world.person, now=now)
    round_ = CheckInRound(
        campaign_id=world.ids["campaign"],
        seq=1,
        period_start=local_today(now),
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=30),
    )
    session.add(round_)
    session.flush()
    lan = session.get(Person, member(session, world.ids["lan"]).person_id)
    assert lan is not None
    assert round_.id is not None
    world.person = lan
    world.ids["round"] = round_.id
    world.params = {
        "round_id": round_.id,
        "items": [i.id for i in items],
        "numbers": [1, 2],
        "total": 2,
    }
    return world


def approved_world(session: Session, now: datetime) -> World:
    """Lan's commitment is approved; her secretary runs the flow."""
    world = submitted_world(session, now)
    draft_id = int(world.params["commitment_id"])
    reviews.approve(session=session, commitment_id=draft_id, actor=world.person, now=now)
    world.params = {"campaign_id": world.ids["campaign"]}
    return world


def self_review_world(session: Session, now: datetime) -> World:
    """The year-end review has started; Lan writes her self-assessment."""
    world = approved_world(session, now)
    self_reviews.start_period(
        session=session,
        campaign_id=world.ids["campaign"],
        period=ReviewPeriod.YEAR,
        actor=world.person,
        now=now,
    )
    lan = session.get(Person, member(session, world.ids["lan"]).person_id)
    assert lan is not None
    review = self_reviews.mine(
        session=session, campaign_id=world.ids["campaign"], period=ReviewPeriod.YEAR, person=lan
    )
    world.person = lan
    world.params = {"review_id": review.id}
    world.ids["review"] = review.id or 0
    return world


# --- checks -------------------------------------------------------------------------------------


def member(session: Session, member_id: int) -> Member:
    found = session.get(Member, member_id)
    assert found is not None
    return found


def meeting(session: Session, world: World) -> Meeting:
    found = session.get(Meeting, world.ids["meeting"])
    assert found is not None
    return found


def roster_by_name(session: Session, world: World) -> dict[str, Member]:
    rows = session.exec(select(Member).where(Member.org_id == world.ids["org"])).all()
    return {m.full_name: m for m in rows}


def check_added(session: Session, world: World) -> None:
    roster = roster_by_name(session, world)
    for name in ("Trần Văn An", "Lê Thị Bình"):
        added = roster[name]
        assert (added.role, added.status, added.person_id) == (
            Role.MEMBER,
            MemberStatus.PROBATIONARY,
            None,
        )
        links = session.exec(select(Invite).where(Invite.member_id == added.id)).all()
        assert [i.kind for i in links] == [InviteKind.PERSONAL]


def check_cell_link(session: Session, world: World) -> None:
    links = session.exec(
        select(Invite).where(Invite.org_id == world.ids["org"], Invite.kind == InviteKind.CELL)
    ).all()
    assert len(links) == 1


def check_link_again(session: Session, world: World) -> None:
    links = session.exec(select(Invite).where(Invite.member_id == world.ids["cuong"])).all()
    assert [i.kind for i in links] == [InviteKind.PERSONAL]


def check_joined(session: Session, world: World) -> None:
    assert member(session, world.ids["cuong"]).person_id == world.ids["person"]


def check_join_request(session: Session, world: World) -> None:
    request = session.exec(
        select(JoinRequest).where(JoinRequest.person_id == world.ids["person"])
    ).one()
    assert (request.full_name, request.status) == ("Đỗ Thị Mai", JoinRequestStatus.PENDING)


def check_role(session: Session, world: World) -> None:
    assert member(session, world.ids["lan"]).role == Role.COMMITTEE


def check_status(session: Session, world: World) -> None:
    assert member(session, world.ids["lan"]).status == MemberStatus.PROBATIONARY


def check_removed(session: Session, world: World) -> None:
    assert member(session, world.ids["lan"]).removed_at is not None


def check_renamed(session: Session, world: World) -> None:
    assert member(session, world.ids["lan"]).full_name == "Trần Thị Lan Anh"


def new_meeting(session: Session, world: World) -> Meeting:
    [created] = session.exec(select(Meeting).where(Meeting.org_id == world.ids["org"])).all()
    return created


def check_regular_meeting(session: Session, world: World) -> None:
    created = new_meeting(session, world)
    # "1" on the topic step is “Bỏ qua”, and "2" on the day step the second suggested day.
    assert created.topic == ""
    assert created.kind == MeetingKind.REGULAR
    assert created.starts_at == at(local_today(world.now) + timedelta(days=2), 19, 30)
    assert created.duration_minutes == 90
    assert created.place == "Hội trường Đảng ủy phường Bến Nghé"
    assert created.chair_member_id == world.ids["hung"]
    assert created.presenter_member_id == world.ids["lan"]
    assert created.agenda == ["Quán triệt Nghị quyết Trung ương 10", "Kiểm điểm công tác tháng 11"]
    assert created.reminder_offsets == [1440, 120]
    assert created.series_id is None


def check_thematic_meeting(session: Session, world: World) -> None:
    created = new_meeting(session, world)
    assert created.kind == MeetingKind.THEMATIC
    assert created.topic == "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
    assert created.starts_at == at(date(2026, 12, 26), 19, 30)
    assert created.duration_minutes == 60
    assert created.chair_member_id is None
    assert created.presenter_member_id is None
    assert created.agenda == []
    assert sorted(created.reminder_offsets) == [180, 2880]
    assert created.series_id is not None


def rsvp(session: Session, world: World) -> Rsvp:
    return session.exec(
        select(Rsvp).where(
            Rsvp.meeting_id == world.ids["meeting"], Rsvp.member_id == world.ids["lan"]
        )
    ).one()


def check_reason_option(session: Session, world: World) -> None:
    answer = rsvp(session, world)
    # A common reason is kept as its code, shown in each reader's language.
    assert (answer.answer, answer.reason) == (RsvpAnswer.EXCUSED, "code:illness")


def check_reason_typed(session: Session, world: World) -> None:
    answer = rsvp(session, world)
    assert (answer.answer, answer.reason) == (RsvpAnswer.EXCUSED, "Đi khám bệnh định kỳ ở tỉnh")


def check_moved(session: Session, world: World) -> None:
    moved = meeting(session, world)
    assert (moved.starts_at, moved.version) == (at(date(2026, 11, 28), 20), 2)


def check_new_place(session: Session, world: World) -> None:
    assert meeting(session, world).place == "Phòng họp tầng 3, trụ sở UBND phường"


def check_meeting_details(session: Session, world: World) -> None:
    changed = meeting(session, world)
    assert (changed.topic, changed.duration_minutes, changed.version) == (
        "Thu đảng phí quý IV",
        120,
        2,
    )
    # "1" is "not decided yet"; "2" the first member who may chair.
    assert changed.chair_member_id is not None


def check_meeting_cancelled(session: Session, world: World) -> None:
    assert meeting(session, world).status == MeetingStatus.CANCELLED


CONCLUSION = "Chi bộ thống nhất đẩy mạnh thu đảng phí quý IV và chuẩn bị tổng kết năm."


def check_conclusion(session: Session, world: World) -> None:
    concluded = meeting(session, world)
    assert concluded.conclusion == CONCLUSION
    [task] = session.exec(select(MeetingTask).where(MeetingTask.meeting_id == concluded.id)).all()
    assert (task.owner_member_id, task.description, task.due_on) == (
        world.ids["lan"],
        "chuẩn bị báo cáo quý IV",
        date(2026, 12, 15),
    )


def check_conclusion_corrected(session: Session, world: World) -> None:
    assert meeting(session, world).conclusion == CONCLUSION


def check_conclusion_without_tasks(session: Session, world: World) -> None:
    concluded = meeting(session, world)
    assert concluded.conclusion == CONCLUSION
    assert (
        session.exec(select(MeetingTask).where(MeetingTask.meeting_id == concluded.id)).all() == []
    )


def check_document(session: Session, world: World) -> None:
    [document] = session.exec(
        select(MeetingDocument).where(MeetingDocument.meeting_id == world.ids["meeting"])
    ).all()
    assert document.file_name == "Bien-ban-sinh-hoat-thang-11.pdf"


ANNOUNCEMENT = (
    "Kính gửi các đồng chí đảng viên: chi bộ tổ chức học tập chuyên đề năm 2027 vào 19h30 "
    "thứ Năm tuần sau tại hội trường khu phố 3. Đề nghị các đồng chí tham dự đầy đủ."
)


def check_announcement_sent(session: Session, world: World) -> None:
    [found] = session.exec(select(Announcement)).all()
    assert (found.status, found.audience, found.ack_required) == (
        AnnouncementStatus.SENT,
        AudienceKind.CELL,
        True,
    )
    assert (found.text, found.post_to_group, found.link) == (ANNOUNCEMENT, False, None)
    recipients = session.exec(select(AnnouncementRecipient)).all()
    # The secretary, Lan and Hùng; Cường has not joined and is listed as unreachable.
    assert sorted(r.member_id for r in recipients) == sorted(
        world.ids[k] for k in ("secretary", "lan", "hung", "cuong")
    )


# A first message this long may have been cut by the app: the form asks whether more follows.
LONG_PART = "\n".join(
    f"{i}. Nội dung kế hoạch học tập nghị quyết, phần {i}." * 2 for i in range(30)
)


def check_announcement_in_two_parts(session: Session, world: World) -> None:
    [found] = session.exec(select(Announcement)).all()
    assert found.text == f"{LONG_PART}\n{ANNOUNCEMENT}"


def check_announcement_scheduled(session: Session, world: World) -> None:
    [found] = session.exec(select(Announcement)).all()
    assert found.status == AnnouncementStatus.SCHEDULED
    assert found.chosen_member_ids == [world.ids["lan"], world.ids["hung"]]
    assert (found.link, found.post_to_group, found.ack_required) == (
        "https://dangcongsan.vn/tai-lieu.pdf",
        True,
        False,
    )
    assert found.due_at == at(local_today(world.now) + timedelta(days=1), 8)
    assert session.exec(select(AnnouncementRecipient)).all() == []


def announcement_world(session: Session, now: datetime) -> World:
    """An announcement to the whole cell, due tomorrow morning, opened to be changed."""
    world = secretary_world(session, now)
    found = announcements.create(
        session=session,
        draft=announcements.Draft(
            org_id=world.ids["org"],
            text=ANNOUNCEMENT,
            audience=AudienceKind.CELL,
            due_at=at(local_today(now) + timedelta(days=1), 8),
        ),
        actor=world.person,
        now=now,
    )
    assert found.id is not None
    world.ids["announcement"] = found.id
    world.params = {"announcement_id": found.id, "version": found.version}
    return world


def check_study_sent(session: Session, world: World) -> None:
    [found] = session.exec(select(Announcement)).all()
    assert (found.kind, found.status, found.reflection, found.min_length) == (
        AnnouncementKind.STUDY,
        AnnouncementStatus.SENT,
        ReflectionKind.TEXT,
        300,
    )
    assert (found.link, found.documents) == ("https://dangcongsan.vn/nghi-quyet.pdf", [])
    assert found.deadline == at(date(2026, 12, 30), 23, 59)
    assert len(session.exec(select(AnnouncementRecipient)).all()) == 4


REFLECTION = "Qua học tập, tôi nhận thức rõ trách nhiệm nêu gương của người đảng viên."


def study_world(session: Session, now: datetime) -> World:
    """Study material asking a reflection of at least 20 characters, sent to the whole cell."""
    world = secretary_world(session, now)
    found = announcements.create(
        session=session,
        draft=announcements.Draft(
            org_id=world.ids["org"],
            text=ANNOUNCEMENT,
            audience=AudienceKind.CELL,
            kind=AnnouncementKind.STUDY,
            deadline=now + timedelta(days=7),
            reflection=ReflectionKind.TEXT,
            min_length=20,
        ),
        actor=world.person,
        now=now,
    )
    assert found.id is not None
    world.ids["study"] = found.id
    world.params = {"announcement_id": found.id}
    return world


def check_reflection(session: Session, world: World) -> None:
    [found] = session.exec(select(StudySubmission)).all()
    assert (found.announcement_id, found.member_id, found.text) == (
        world.ids["study"],
        world.ids["secretary"],
        REFLECTION,
    )


def officer_world(session: Session, now: datetime) -> World:
    """An officer of a đảng bộ with two cells under it, each with a joined member."""
    party, _ = orgs.create_org(
        session=session,
        name="Đảng bộ Khối Cơ quan",
        parent_name=None,
        timezone="Asia/Ho_Chi_Minh",
        locale="vi",
        now=now,
    )
    ids = {"party": party.id or 0}
    for key, name in (("a", "Chi bộ Văn phòng"), ("b", "Chi bộ Tài vụ")):
        c = factories.cell(session, now, name)
        c.org.parent_id = party.id
        session.add(c.org)
        factories.joined_member(session, c, f"Đảng viên {key}", now)
        ids[key] = c.org.id or 0
    session.flush()
    _, issued = officers.add_officer(
        session=session, org=party, full_name="Hoàng Văn Thanh", now=now
    )
    officer = factories.person(session, "Hoàng Văn Thanh", now)
    invites.accept_personal_invite(session=session, token=issued.token, person=officer, now=now)
    return World(officer, now, {}, ids)


def check_study_to_the_cells(session: Session, world: World) -> None:
    made = session.exec(select(Announcement)).all()
    assert sorted(a.org_id for a in made) == sorted([world.ids["a"], world.ids["b"]])
    assert {(a.kind, a.reflection, a.status) for a in made} == {
        (AnnouncementKind.STUDY, ReflectionKind.NONE, AnnouncementStatus.SENT)
    }
    assert len({a.batch_id for a in made}) == 1
    assert None not in {a.batch_id for a in made}


def check_announcement_edited(session: Session, world: World) -> None:
    found = session.get(Announcement, world.ids["announcement"])
    assert found is not None
    assert (found.text, found.version, found.status) == (
        "Hoãn buổi học tập chuyên đề sang tuần sau.",
        2,
        AnnouncementStatus.SCHEDULED,
    )


POLITICS = "Tuyệt đối trung thành với lý tưởng của Đảng; học tập đầy đủ các nghị quyết."


def commitment(session: Session, world: World) -> Commitment:
    found = session.get(Commitment, world.ids["commitment"])
    assert found is not None
    return found


def check_section_text(session: Session, world: World) -> None:
    assert commitment(session, world).answers == {"politics": POLITICS}


def items_of(session: Session, world: World) -> list[CommitmentItem]:
    return commitments.items(session=session, commitment_id=world.ids["commitment"])


def check_item(session: Session, world: World) -> None:
    [item] = items_of(session, world)
    assert (item.section_key, item.text, item.target, item.unit, item.deadline) == (
        "duties",
        "Tham gia đầy đủ các buổi học tập nghị quyết",
        12,
        "buổi",
        date(2027, 6, 30),
    )


def check_item_skipped(session: Session, world: World) -> None:
    [item] = items_of(session, world)
    assert (item.text, item.target, item.unit, item.deadline) == (
        "Đi làm đúng giờ",
        None,
        "",
        None,
    )


def check_goal(session: Session, world: World) -> None:
    found = commitment(session, world)
    assert (found.rating_goal, found.title_goal) == (
        RatingLevel.GOOD,
        EmulationTitle.ADVANCED_WORKER,
    )


def check_returned(session: Session, world: World) -> None:
    found = commitment(session, world)
    assert (found.status, found.review_comment) == (
        CommitmentStatus.RETURNED,
        "Mục 5 cần ghi rõ chỉ tiêu.",
    )


def check_checkin(session: Session, world: World) -> None:
    answers = session.exec(
        select(CheckIn).where(CheckIn.round_id == world.ids["round"]).order_by(CheckIn.item_id)
    ).all()
    assert [(a.status, a.value, a.note) for a in answers] == [
        (ItemStatus.IN_PROGRESS, 8, "Còn 4 buổi"),
        (ItemStatus.DONE, None, ""),
    ]


def check_self_review(session: Session, world: World) -> None:
    found = session.get(SelfReview, world.ids["review"])
    assert found is not None
    assert found.text == "Hoàn thành tốt nhiệm vụ được giao."


def check_commended(session: Session, world: World) -> None:
    [found] = session.exec(select(Commendation)).all()
    assert (found.member_id, found.reason) == (world.ids["lan"], "Gương mẫu đi làm đúng giờ")
    assert found.item_id is not None


def opened(session: Session, world: World) -> Campaign:
    [campaign] = session.exec(select(Campaign).where(Campaign.org_id == world.ids["org"])).all()
    return campaign


def check_pledge_campaign(session: Session, world: World) -> None:
    campaign = opened(session, world)
    assert (campaign.kind, campaign.year, campaign.deadline, campaign.cadence) == (
        CampaignKind.PLEDGE,
        2027,
        date(2026, 12, 15),
        Cadence.QUARTERLY,
    )
    assert [s.key for s in campaigns.sections_of(campaign)] == [
        "politics",
        "ethics",
        "style",
        "discipline",
        "duties",
        "follow",
        "goal",
    ]


def check_emulation_campaign(session: Session, world: World) -> None:
    campaign = opened(session, world)
    assert (campaign.kind, campaign.title, campaign.year, campaign.cadence) == (
        CampaignKind.EMULATION,
        "Thi đua lập thành tích chào mừng Đại hội",
        2026,
        Cadence.MONTHLY,
    )


def check_pact(session: Session, world: World) -> None:
    campaign = opened(session, world)
    assert (campaign.kind, campaign.title, campaign.starts_on, campaign.ends_on) == (
        CampaignKind.PACT,
        "Giao ước thi đua khối cơ quan 2027",
        date(2027, 1, 1),
        date(2027, 6, 30),
    )
    targets = pacts.targets_of(session=session, campaign_id=campaign.id or 0)
    assert [(t.text, t.plan, t.unit) for t in targets] == [
        ("Kết nạp đảng viên mới", 2, "người"),
        ("100% đảng viên hoàn thành tốt nhiệm vụ trở lên", 100, "%"),
    ]


def pact_world(session: Session, now: datetime) -> World:
    """A cell's open pact; the secretary records its first target's progress."""
    world = secretary_world(session, now)
    campaign = pacts.open_pact(
        session=session,
        org_id=world.ids["org"],
        year=2027,
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
        targets=[pacts.TargetDraft("Kết nạp đảng viên mới", 2, "người")],
        actor=world.person,
        now=now,
    )
    [target] = pacts.targets_of(session=session, campaign_id=campaign.id or 0)
    world.ids["target"] = target.id or 0
    world.params = {"target_id": target.id}
    return world


def check_pact_progress(session: Session, world: World) -> None:
    target = session.get(PactTarget, world.ids["target"])
    assert target is not None
    assert (target.achieved, target.note) == (1, "Đã kết nạp đồng chí Cường")


# --- the scripts: step name → what the person types ----------------------------------------------


def settings_world(session: Session, now: datetime) -> World:
    """The secretary changes one of the cell's settings (/caidat)."""
    world = secretary_world(session, now)
    world.params = {"org_id": world.ids["org"]}
    return world


def _cell(session: Session, world: World) -> Organisation:
    org = session.get(Organisation, world.ids["org"])
    assert org is not None
    return org


def check_timezone(session: Session, world: World) -> None:
    assert _cell(session, world).timezone == "Europe/Berlin"


def check_reminders(session: Session, world: World) -> None:
    assert _cell(session, world).reminder_offsets == [1440, 120]


def check_digest(session: Session, world: World) -> None:
    org = _cell(session, world)
    assert (org.digest_enabled, org.digest_weekday, org.digest_time) == (True, 6, "19:30")


def check_language(session: Session, world: World) -> None:
    assert _cell(session, world).locale == "en"


def check_cadence(session: Session, world: World) -> None:
    assert _cell(session, world).checkin_cadence == "quarterly"


SCRIPTS = [
    Script(
        "settings: time zone",
        "settings_timezone",
        settings_world,
        {"zone": "Europe/Berlin"},
        check_timezone,
    ),
    Script(
        "settings: reminders",
        "settings_reminders",
        settings_world,
        {"offsets": "2"},
        check_reminders,
    ),
    Script(
        "settings: weekly digest",
        "settings_digest",
        settings_world,
        {"day": "7", "time": "19:30"},
        check_digest,
    ),
    Script(
        "settings: language", "settings_language", settings_world, {"locale": "2"}, check_language
    ),
    # 1 monthly, 2 quarterly, 3 none.
    Script(
        "settings: check-ins", "settings_cadence", settings_world, {"cadence": "2"}, check_cadence
    ),
    Script(
        "invite: add people",
        "invite",
        secretary_world,
        {
            "action": "1",
            "names": "Trần Văn An\nLê Thị Bình",
            "role": "1",
            "status": "2",
            "confirm": "1",
        },
        check_added,
    ),
    Script("invite: cell link", "invite", secretary_world, {"action": "2"}, check_cell_link),
    Script(
        "invite: link again",
        "invite",
        secretary_world,
        {"action": "3", "member": "1"},
        check_link_again,
    ),
    Script(
        "join with a personal link",
        "join_personal",
        personal_invite_world,
        {"confirm": "1"},
        check_joined,
    ),
    Script(
        "ask to join with a cell link",
        "join_request",
        cell_invite_world,
        {"name": "Đỗ Thị Mai", "confirm": "1"},
        check_join_request,
    ),
    Script(
        "roster: change role",
        "edit_member",
        member_world,
        {"action": "1", "role": "2", "confirm": "1"},
        check_role,
    ),
    Script(
        "roster: change status",
        "edit_member",
        member_world,
        {"action": "2", "status": "2", "confirm": "1"},
        check_status,
    ),
    Script(
        "roster: remove",
        "edit_member",
        member_world,
        {"action": "3", "confirm": "1"},
        check_removed,
    ),
    Script(
        "roster: rename",
        "edit_member",
        member_world,
        {"action": "4", "name": "trần thị lan anh", "confirm": "1"},
        check_renamed,
    ),
    Script(
        "new regular meeting",
        "new_meeting",
        secretary_world,
        {
            "kind": "1",
            "topic": "1",
            "day": "2",
            "time": "6",  # 07:30, 08:00, 14:00, 17:00, 19:00, 19:30, 20:00
            "duration": "1",
            "place": "Hội trường Đảng ủy phường Bến Nghé",
            # 1 nobody, 2 the secretary, then Hùng, Lan by given name (Cường has not joined:
            # not offered)
            "chair": "3",
            "presenter": "4",
            "agenda": "Quán triệt Nghị quyết Trung ương 10\nKiểm điểm công tác tháng 11",
            "recurrence": "1",
            "reminders": "2",
            "confirm": "1",
        },
        check_regular_meeting,
    ),
    Script(
        "new thematic meeting, everything typed",
        "new_meeting",
        secretary_world,
        {
            "kind": "2",
            "topic": "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
            "day": "26/12 19h30",
            "duration": "2",
            "place": "https://meet.jit.si/chibo-van-phong",
            "chair": "1",
            "presenter": "1",
            "agenda": "1",
            "recurrence": "2",
            "reminders": "2 ngày, 3 giờ",
            "confirm": "1",
        },
        check_thematic_meeting,
    ),
    Script(
        "excused absence: another reason, typed",
        "rsvp_reason",
        rsvp_world,
        {"reason": "4", "typed": "Đi khám bệnh định kỳ ở tỉnh"},
        check_reason_typed,
    ),
    Script(
        "excused absence: a listed reason",
        "rsvp_reason",
        rsvp_world,
        {"reason": "1"},
        check_reason_option,
    ),
    Script(
        "excused absence: a typed reason",
        "rsvp_reason",
        rsvp_world,
        {"reason": "Đi khám bệnh định kỳ ở tỉnh"},
        check_reason_typed,
    ),
    Script(
        "move a meeting",
        "edit_meeting",
        meeting_world,
        # The menu comes back listing the change: "1" is then ✅ Confirm.
        {"action": ("1", "1"), "when": "28/11 20h"},
        check_moved,
    ),
    Script(
        "change a meeting's place",
        "edit_meeting",
        meeting_world,
        {"action": ("2", "1"), "place": "Phòng họp tầng 3, trụ sở UBND phường"},
        check_new_place,
    ),
    Script(
        "cancel a meeting",
        "edit_meeting",
        meeting_world,
        {"action": "9", "confirm": "1"},
        check_meeting_cancelled,
    ),
    Script(
        "change a meeting's theme, length and chair",
        "edit_meeting",
        meeting_world,
        # 3: the theme; once a change is listed ✅ Confirm comes first (1), so the length is
        # 5 and the chair 6.
        {
            "action": ("3", "5", "6", "1"),
            "topic": "Thu đảng phí quý IV",
            "duration": "2 tiếng",
            "chair": "2",
        },
        check_meeting_details,
    ),
    Script(
        "conclusion corrected",
        "correct_conclusion",
        concluded_meeting_world,
        {"conclusion": CONCLUSION, "confirm": "1"},
        check_conclusion_corrected,
    ),
    Script(
        "conclusion with a task",
        "conclusion",
        held_meeting_world,
        {
            "conclusion": CONCLUSION,
            "tasks": "Trần Thị Lan: chuẩn bị báo cáo quý IV — 15/12",
            "confirm": "1",
        },
        check_conclusion,
    ),
    Script(
        "conclusion, tasks skipped",
        "conclusion",
        held_meeting_world,
        {"conclusion": CONCLUSION, "tasks": "1", "confirm": "1"},
        check_conclusion_without_tasks,
    ),
    Script(
        "attach a document",
        "attach_document",
        document_world,
        {"meeting": "1", "confirm": "1"},
        check_document,
    ),
    Script(
        "commitment: a text section",
        "commitment_text",
        commitment_world,
        {"text": POLITICS},
        check_section_text,
    ),
    Script(
        "commitment: an item with target and deadline",
        "commitment_item",
        items_world,
        {
            "text": "Tham gia đầy đủ các buổi học tập nghị quyết",
            "target": "12 buổi",
            "deadline": "30/6/2027",
        },
        check_item,
        kept={"commitmentitem": 1},
    ),
    Script(
        "commitment: an item, target and deadline skipped",
        "commitment_item",
        items_world,
        {"text": "Đi làm đúng giờ", "target": "1", "deadline": "1"},
        check_item_skipped,
        kept={"commitmentitem": 1},
    ),
    Script(
        "commitment: the goal",
        "commitment_goal",
        goal_world,
        {"level": "2", "title": "1"},
        check_goal,
    ),
    Script(
        "commitment: returned with a comment",
        "commitment_return",
        submitted_world,
        {"comment": "Mục 5 cần ghi rõ chỉ tiêu."},
        check_returned,
    ),
    Script(
        "check-in: every item, a number and a note",
        "checkin",
        checkin_world,
        {"s0": "2", "v0": "8", "n0": "Còn 4 buổi", "s1": "3", "n1": "1"},
        check_checkin,
        kept={"checkin": 1},
    ),
    Script(
        "open a pledge campaign",
        "open_campaign",
        secretary_world,
        {"kind": "1", "year": "2", "deadline": "15/12", "cadence": "2", "confirm": "1"},
        check_pledge_campaign,
    ),
    Script(
        "open an emulation movement",
        "open_campaign",
        secretary_world,
        {
            "kind": "3",
            "theme": "Thi đua lập thành tích chào mừng Đại hội",
            "year": "1",
            "deadline": "20/12",
            "cadence": "1",
            "confirm": "1",
        },
        check_emulation_campaign,
    ),
    Script(
        "open the cell's emulation pact",
        "open_campaign",
        secretary_world,
        {
            "kind": "4",
            "pact_title": "Giao ước thi đua khối cơ quan 2027",
            "year": "2",
            "pact_period": "2",
            "targets": (
                "Kết nạp đảng viên mới: 2 người\n100% đảng viên hoàn thành tốt nhiệm vụ trở lên"
            ),
            "confirm": "1",
        },
        check_pact,
    ),
    Script(
        "record a pact target's progress",
        "pact_progress",
        pact_world,
        {"value": "1", "note": "Đã kết nạp đồng chí Cường"},
        check_pact_progress,
    ),
    Script(
        "self-review: the self-assessment",
        "self_review_text",
        self_review_world,
        {"text": "Hoàn thành tốt nhiệm vụ được giao."},
        check_self_review,
    ),
    Script(
        "commend a member for one task",
        "commend",
        approved_world,
        {
            "member": "Trần Thị Lan",
            "item": "2",
            "reason": "Gương mẫu đi làm đúng giờ",
            "confirm": "1",
        },
        check_commended,
    ),
    Script(
        "announce now to the whole cell",
        "announce",
        secretary_world,
        {
            "text": ANNOUNCEMENT,
            "file": "1",
            "audience": "1",
            "ack": "1",
            "when": "1",
            "group": "2",
            "confirm": "1",
        },
        check_announcement_sent,
    ),
    Script(
        "announce a long text sent in two messages",
        "announce",
        secretary_world,
        {
            "text": LONG_PART,
            "more1": ANNOUNCEMENT,
            "file": "1",
            "audience": "2",
            "ack": "1",
            "when": "1",
            "group": "2",
            "confirm": "1",
        },
        check_announcement_in_two_parts,
    ),
    Script(
        "announce to chosen comrades tomorrow, with a link",
        "announce",
        secretary_world,
        {
            "text": ANNOUNCEMENT,
            "file": "https://dangcongsan.vn/tai-lieu.pdf",
            "audience": "3",
            "people": "Lan, Lê Văn Hùng",
            "ack": "2",
            "when": "mai 8h",
            "group": "1",
            "confirm": "1",
        },
        check_announcement_scheduled,
    ),
    Script(
        "study material with a link and a written reflection, for the whole cell",
        "study",
        secretary_world,
        {
            "text": ANNOUNCEMENT,
            "file": "https://dangcongsan.vn/nghi-quyet.pdf",
            "file2": "1",
            "audience": "1",
            "deadline": "30/12",
            "reflection": "2",
            "min_length": "300",
            "when": "1",
            "group": "2",
            "confirm": "1",
        },
        check_study_sent,
    ),
    Script(
        "an officer sends study material to every cell under the đảng bộ",
        "study",
        officer_world,
        {
            "text": ANNOUNCEMENT,
            "file": "1",
            "audience": "1",
            "deadline": "30/12",
            "reflection": "1",
            "when": "1",
            "confirm": "1",
        },
        check_study_to_the_cells,
    ),
    Script(
        "submit a reflection",
        "study_submit",
        study_world,
        {"reflection": REFLECTION},
        check_reflection,
    ),
    Script(
        "change the text of a scheduled announcement",
        "announcement_edit",
        announcement_world,
        {"what": "1", "new_text": "Hoãn buổi học tập chuyên đề sang tuần sau."},
        check_announcement_edited,
    ),
]
MODES = ["numbers", "labels", "folded labels"]


# --- the driver ---------------------------------------------------------------------------------


@dataclass
class Run:
    """What happened: the last outcome and the steps asked, in order."""

    outcome: Outcome
    asked: list[str]
    key: FlowKey


def typed_for(
    script: Script, step: str, outcome: Outcome, mode: str, times: int = 1
) -> tuple[str, Any]:
    """Returns what to type at `step` asked the `times`-th time, and the answer it must store
    (None: the parser decides)."""
    listed = [n for n in numbered_options(outcome.screen) if not n.cancel]
    given = script.typed.get(step)
    typed = given[min(times, len(given)) - 1] if isinstance(given, tuple) else given
    if typed is None:
        assert listed, f"{script.name}: no typed answer for the free-text step {step!r}"
        typed = "1"
    if not typed.isdigit() or not 1 <= int(typed) <= len(listed):
        return typed, None
    option = listed[int(typed) - 1]
    parsed = parse_callback(option.data)
    assert parsed is not None
    value: Any = True if parsed[2] == "yes" else parsed[2]
    if mode == "labels" or option.word:
        # A question that wants a number typed takes its buttons by their words only.
        return option.label, value
    if mode == "folded labels":
        return match_key(option.label), value
    return typed, value


def drive(
    db: Database, script: Script, world: World, mode: str = "numbers", stop_at: int | None = None
) -> Run:
    """Runs the script's flow by typed text only; with `stop_at`, types "0" at that question."""
    engine = build_engine()
    key = FlowKey("zalo", f"chat{next(_keys)}", f"user{next(_keys)}")
    with db.session() as session:
        outcome = engine.start(
            session=session,
            name=script.flow,
            key=key,
            person=world.person,
            t=T,
            now=world.now,
            params=world.params,
        )
    asked: list[str] = []
    for _ in range(MAX_QUESTIONS):
        if outcome.finished:
            return Run(outcome, asked, key)
        assert outcome.error is None, f"{script.name} at {asked[-1:]}: {outcome.error}"
        with db.session() as session:
            state = FlowEngine.state(session, key)
        assert state is not None
        asked.append(state.step)
        if stop_at is not None and len(asked) == stop_at:
            words_only = any(n.word for n in numbered_options(outcome.screen))
            typed, expected = ("hủy" if words_only else "0"), None
        else:
            typed, expected = typed_for(script, state.step, outcome, mode, asked.count(state.step))
        with db.session() as session:
            answer = engine.answer_text(
                session=session, key=key, person=world.person, t=T, now=world.now, text=typed
            )
            assert answer is not None
            outcome = answer
            after = FlowEngine.state(session, key)
        if expected is not None and after is not None and not outcome.error:
            # A typed number or label stores exactly what the numbered button carries.
            assert after.answers[state.step] == expected, (script.name, state.step, typed)
    raise AssertionError(f"{script.name}: not finished after {MAX_QUESTIONS} questions: {asked}")


def row_counts(db: Database) -> dict[str, int]:
    """Counts the rows of every table except the open forms."""
    with db.session() as session:
        names = inspect(session.get_bind()).get_table_names()
        return {
            name: session.execute(sql_select(func.count()).select_from(table(name))).scalar_one()
            for name in names
            if name not in {"flowstate", "alembic_version"}
        }


def build(db: Database, script: Script, now: datetime) -> World:
    with db.session() as session:
        return script.build(session, now)


# --- tests --------------------------------------------------------------------------------------


def test_every_registered_flow_has_a_typed_script() -> None:
    assert {script.flow for script in SCRIPTS} == set(build_engine().flows)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_a_flow_runs_to_the_end_by_typing(db: Database, now: datetime, script, mode) -> None:
    world = build(db, script, now)
    run = drive(db, script, world, mode)
    assert run.outcome.finished
    assert run.outcome.error is None
    assert run.outcome.screen.text != T.gettext("Cancelled. Nothing was changed.")
    unused = set(script.typed) - set(run.asked)
    assert not unused, f"{script.name}: scripted steps never asked: {unused} (asked {run.asked})"
    with db.session() as session:
        script.check(session, world)
        assert FlowEngine.state(session, run.key) is None


FIRST_SCRIPTS = {script.flow: script for script in reversed(SCRIPTS)}


@pytest.mark.parametrize("flow", sorted(FIRST_SCRIPTS))
def test_zero_at_the_second_question_stores_nothing(db: Database, now: datetime, flow) -> None:
    script = FIRST_SCRIPTS[flow]
    # Forms of one question are cancelled at that question.
    stop_at = 1 if len(build_engine().flows[flow].steps) == 1 else 2
    world = build(db, script, now)
    before = row_counts(db)
    run = drive(db, script, world, stop_at=stop_at)
    assert run.outcome.finished
    if build_engine().flows[flow].on_cancel is None:
        assert run.outcome.screen.text == T.gettext("Cancelled. Nothing was changed.")
    else:
        # The form goes back to what it was opened from, saying what was kept.
        said = run.outcome.screen.text
        kept = [
            T.gettext("Stopped here. Every answer given so far is saved."),
            T.gettext("Cancelled. Nothing was changed."),
            # The excused absence recorded at the tap stays, and is said to.
            T.gettext("Recorded: excused absence, no reason given yet."),
        ]
        assert any(said.startswith(text) for text in kept), said
    assert len(run.asked) == stop_at
    after = row_counts(db)
    assert {name: after[name] - before[name] for name in after if after[name] != before[name]} == (
        script.kept
    )
    with db.session() as session:
        assert FlowEngine.state(session, run.key) is None

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from bot.datetext import ParsedTime, combine
from bot.db import Database
from bot.models import MeetingKind, Member, MemberStatus, Role
from bot.services import audit, conclusions, meetings, members
from bot.services.conclusions import TaskDraft
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from tests import factories

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
START = combine(date(2026, 11, 26), ParsedTime(19, 30), HCM)
NAMES = ["Trần Thị Lan", "Nguyễn Thị Lan", "Lê Văn Hùng", "Phạm Minh Đức"]


def roster(session: Session, now: datetime) -> tuple[factories.Cell, dict[str, Member]]:
    c = factories.cell(session, now)
    added = members.add_members(
        session=session,
        org_id=c.org.id,
        names=NAMES,
        role=Role.MEMBER,
        status=MemberStatus.FULL,
        actor=c.secretary,
        now=now,
    )
    return c, {m.full_name: m for m in added}


def parse(session: Session, c: factories.Cell, text: str, now: datetime) -> list[TaskDraft]:
    return conclusions.parse_tasks(
        text=text,
        roster=members.active_members(session=session, org_id=c.org.id),
        now=now,
        tz=HCM,
    )


def refusal(session: Session, c: factories.Cell, text: str, now: datetime) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse(session, c, text, now)
    return info.value


# --- parse_tasks -------------------------------------------------------------------------------


def test_parse_tasks_names_owners_as_comrades(db: Database, now: datetime) -> None:
    text = "đ/c Hùng: thu đảng phí quý IV — 30/11\nĐồng chí Phạm Minh Đức: rà soát hồ sơ — 1/12"
    with db.session() as session:
        c, m = roster(session, now)
        drafts = parse(session, c, text, now)
    assert [(d.owner_member_id, d.description) for d in drafts] == [
        (m["Lê Văn Hùng"].id, "thu đảng phí quý IV"),
        (m["Phạm Minh Đức"].id, "rà soát hồ sơ"),
    ]


def test_parse_tasks_reads_owner_task_and_due_day(db: Database, now: datetime) -> None:
    text = (
        "Trần Thị Lan: chuẩn bị báo cáo quý IV — 15/12\n"
        "\n"
        "hùng: thu đảng phí quý IV - 30/11\n"
        "  pham minh duc :  rà soát hồ sơ đảng viên - dự bị   –  5/1\n"
        "Nguyễn Thị Lan: gửi biên bản lên Đảng ủy hạn 1/12/2026\n"
    )
    with db.session() as session:
        c, m = roster(session, now)
        drafts = parse(session, c, text, now)
    assert drafts == [
        TaskDraft(
            m["Trần Thị Lan"].id, "Trần Thị Lan", "chuẩn bị báo cáo quý IV", date(2026, 12, 15)
        ),
        TaskDraft(m["Lê Văn Hùng"].id, "Lê Văn Hùng", "thu đảng phí quý IV", date(2026, 11, 30)),
        TaskDraft(
            m["Phạm Minh Đức"].id,
            "Phạm Minh Đức",
            "rà soát hồ sơ đảng viên - dự bị",
            date(2027, 1, 5),
        ),  # 5/1 has passed this year: next January (long past: nothing to ask)
        TaskDraft(
            m["Nguyễn Thị Lan"].id, "Nguyễn Thị Lan", "gửi biên bản lên Đảng ủy", date(2026, 12, 1)
        ),
    ]


def test_a_given_name_shared_by_two_comrades_is_not_enough(db: Database, now: datetime) -> None:
    with db.session() as session:
        c, _ = roster(session, now)
        error = refusal(
            session, c, "Hùng: trực trụ sở — 28/11\n\nLan: chuẩn bị hội trường — 1/12", now
        )
        assert (error.code, error.params) == ("task_owner_unknown", {"line": 3, "name": "Lan"})
        error = refusal(session, c, "Hoàng Văn Sơn: việc — 1/12", now)
        assert (error.code, error.params["name"]) == ("task_owner_unknown", "Hoàng Văn Sơn")


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("Lê Văn Hùng: thu đảng phí — 32/12", "task_bad_date", 1),
        (
            "\nLê Văn Hùng: ok — 1/12\n\n\nLê Văn Hùng: thu đảng phí — 20/11/2026",
            "task_bad_date",
            5,
        ),
        ("Lê Văn Hùng: thu đảng phí — mai kia", "task_bad_date", 1),
        ("\n\nLê Văn Hùng thu đảng phí trước 30/11", "task_unreadable", 3),
        ("Lê Văn Hùng: — 30/11", "task_unreadable", 1),
        ("Lê Văn Hùng: thu đảng phí", "task_unreadable", 1),
    ],
)
def test_parse_tasks_names_the_line_it_cannot_read(
    db: Database, now: datetime, text: str, code: str, line: int
) -> None:
    with db.session() as session:
        c, _ = roster(session, now)
        error = refusal(session, c, text, now)
    assert (error.code, error.params["line"]) == (code, line)


def test_parse_tasks_at_most_thirty(db: Database, now: datetime) -> None:
    with db.session() as session:
        c, _ = roster(session, now)
        assert len(parse(session, c, "\n".join(["Hùng: trực — 30/11"] * 30), now)) == 30
        error = refusal(session, c, "\n".join(["Hùng: trực — 30/11"] * 31), now)
    assert (error.code, error.params) == ("tasks_too_many", {"limit": 30})


def test_the_word_han_inside_the_task_is_not_the_due_marker(db: Database, now: datetime) -> None:
    with db.session() as session:
        c, _ = roster(session, now)
        [draft] = parse(session, c, "Lê Văn Hùng: khắc phục hạn chế, khuyết điểm hạn 15/12", now)
    assert (draft.description, draft.due_on) == (
        "khắc phục hạn chế, khuyết điểm",
        date(2026, 12, 15),
    )


# --- record ------------------------------------------------------------------------------------


def schedule(session: Session, c: factories.Cell, now: datetime):
    draft = meetings.MeetingDraft(kind=MeetingKind.REGULAR, starts_at=START)
    return meetings.create_meeting(
        session=session, org_id=c.org.id, draft=draft, actor=c.secretary, now=now
    )


def test_record_after_the_start_once(db: Database, now: datetime) -> None:
    with db.session() as session:
        c, m = roster(session, now)
        meeting = schedule(session, c, now)
        _, lan = factories.joined_member(session, c, "Vũ Thị Thu", now)
        tasks = parse(session, c, "Hùng: thu đảng phí — 30/11\nĐức: báo cáo — 15/12", now)
    text = "Chi bộ thống nhất:\n\n  - Hoàn thành   thu đảng phí.  \n- Chuẩn bị tổng kết năm."

    def record(actor, when: datetime):
        with db.session() as session:
            return conclusions.record(
                session=session,
                meeting_id=meeting.id,
                conclusion=text,
                tasks=tasks,
                actor=actor,
                now=when,
            )

    with pytest.raises(Conflict) as info:
        record(c.secretary, START - timedelta(minutes=1))
    assert info.value.code == "meeting_not_held"
    with pytest.raises(NotAllowed):
        record(lan, START)
    done = record(c.secretary, START)
    assert done.conclusion == (
        "Chi bộ thống nhất:\n- Hoàn thành thu đảng phí.\n- Chuẩn bị tổng kết năm."
    )
    assert done.concluded_at == START
    with pytest.raises(Conflict) as info:
        record(c.secretary, START + timedelta(hours=1))
    assert info.value.code == "already_concluded"
    with db.session() as session:
        saved = conclusions.tasks_of(session=session, meeting_id=meeting.id)
        entry = audit.list_actions(session=session, org_id=c.org.id)[0]
    assert sorted((t.owner_member_id, t.description, t.due_on) for t in saved) == sorted(
        [
            (m["Lê Văn Hùng"].id, "thu đảng phí", date(2026, 11, 30)),
            (m["Phạm Minh Đức"].id, "báo cáo", date(2026, 12, 15)),
        ]
    )
    assert (entry.action, entry.after) == ("meeting.conclude", {"tasks": 2})


@pytest.mark.parametrize(
    ("text", "code"), [("  \n \n", "conclusion_empty"), ("ơ" * 4001, "conclusion_too_long")]
)
def test_validate_conclusion_refusals(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        conclusions.validate_conclusion(text)
    assert info.value.code == code


def test_a_cancelled_meeting_gets_no_conclusion(db: Database, now: datetime) -> None:
    with db.session() as session:
        c, _ = roster(session, now)
        meeting = schedule(session, c, now)
        meetings.cancel_meeting(
            session=session, meeting_id=meeting.id, version=1, actor=c.secretary, now=now
        )
    with pytest.raises(Conflict), db.session() as session:
        conclusions.record(
            session=session,
            meeting_id=meeting.id,
            conclusion="Kết luận",
            tasks=[],
            actor=c.secretary,
            now=START + timedelta(hours=2),
        )

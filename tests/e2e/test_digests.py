"""The digest, the cell settings and the period reports end to end, on Telegram (buttons, the
cell's group, files) and on Zalo (typed numbers, no group, no files): /tonghop in the group and
privately, the weekly digest sent by the tick on the cell's day, /caidat changes and refusals,
/baocao with its DOCX and XLSX on Telegram and the message on Zalo."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from docx import Document
from openpyxl import load_workbook
from sqlmodel import col, select

from bot.models import (
    AttendanceStatus,
    AuditEntry,
    MeetingKind,
    Member,
    Organisation,
    Person,
)
from bot.services import attendance, meetings
from tests.e2e.chat import Chat, Someone
from tests.e2e.test_checkins import open_pledge
from tests.e2e.test_commitments import ask, cell, lines_of, pick, set_clock

TITLE = "📰 Bản tin tuần — Chi bộ Văn phòng"
COMMITTEE_TITLE = "📰 Bản tin tuần — Chi bộ Văn phòng (dành cho chi ủy)"
NAMES = ["Nguyễn Văn Bình", "Trần Thị Lan", "Lê Văn Hùng"]


def local(y: int, m: int, d: int, hour: int, minute: int = 0) -> datetime:
    """An instant given in Hà Nội's time."""
    return datetime(y, m, d, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def group_texts(chat: Chat) -> list[str]:
    """Every message the bot posted in the cell's group."""
    assert chat.group is not None
    group_id = chat.group.id
    return [
        str((c.result or {}).get("text") or "")
        for c in chat.api.calls
        if c.method == "sendMessage" and c.params.get("chat_id") == group_id and c.result
    ]


def digests_to(chat: Chat, who: Someone, title: str = TITLE) -> list[str]:
    return [text for text in chat.received(who) if text.startswith(title)]


async def test_digest_now_in_the_group_and_privately(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan = people["Trần Thị Lan"]
    open_pledge(chat.bot)
    set_clock(chat.bot, local(2027, 1, 6, 9, 0) + timedelta(seconds=1))

    refused = await ask(chat, lan, "/tonghop")
    assert refused.text.startswith("Chỉ chi ủy (bí thư, phó bí thư, chi ủy viên)")

    if chat.telegram:
        assert secretary.tg is not None
        assert lan.tg is not None
        assert chat.group is not None
        await chat.bot.say(secretary.tg, "/tonghop", chat=chat.group)
        await chat.bot.settle()
        [posted] = [t for t in group_texts(chat) if t.startswith(TITLE)]
        assert "📝 Bản cam kết năm 2027: 0/3 đồng chí đã đăng ký (0%)." in posted
        for name in NAMES:
            assert name not in posted  # aggregates only in the group
        [private] = digests_to(chat, secretary, COMMITTEE_TITLE)
        assert "Số liệu dưới đây đã được đăng trong nhóm của chi bộ:" in private
        # A second /tonghop in the same minute posts nothing more.
        again = await chat.bot.say(secretary.tg, "/tonghop", chat=chat.group)
        assert again["text"] == "Bản tin tổng hợp vừa được đăng trong nhóm."
        assert len([t for t in group_texts(chat) if t.startswith(TITLE)]) == 1
        # A plain member in the group is refused there, and nothing is posted.
        member_try = await chat.bot.say(lan.tg, "/tonghop", chat=chat.group)
        assert member_try["text"].startswith("Chỉ chi ủy")
        assert len([t for t in group_texts(chat) if t.startswith(TITLE)]) == 1
    else:
        answer = await ask(chat, secretary, "/tonghop")
        private = answer.text
        assert private.startswith(COMMITTEE_TITLE)
        assert "đã được đăng trong nhóm" not in private
    lines = private.splitlines()
    assert lines[1] == "⚠️ Chi ủy cần lưu ý"
    assert (
        "• Chưa đăng ký bản cam kết năm 2027: Nguyễn Văn Bình, Lê Văn Hùng, Trần Thị Lan" in lines
    )
    assert digests_to(chat, lan) == []


async def test_the_weekly_digest_goes_out_on_the_cells_day_once(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan = people["Trần Thị Lan"]
    set_clock(chat.bot, local(2027, 1, 3, 10))  # a Sunday
    await chat.bot.tick()
    assert digests_to(chat, secretary, COMMITTEE_TITLE) == []

    set_clock(chat.bot, local(2027, 1, 4, 7, 31))  # Monday, just after 07:30
    await chat.bot.tick()
    await chat.bot.tick()
    [private] = digests_to(chat, secretary, COMMITTEE_TITLE)
    assert "✅ Tuần này không có việc gì chi ủy cần lưu ý." in private
    if chat.telegram:
        [posted] = [t for t in group_texts(chat) if t.startswith(TITLE)]
        assert posted.splitlines()[1].startswith("Thưa các đồng chí, hiện chưa có số liệu")
    assert digests_to(chat, lan) == []

    # The bot is down from Sunday to Tuesday: Monday's digest is stale and skipped.
    set_clock(chat.bot, local(2027, 1, 12, 9))
    await chat.bot.tick()
    assert len(digests_to(chat, secretary, COMMITTEE_TITLE)) == 1
    with chat.bot.db.session() as session:
        org = session.exec(
            select(Organisation).where(Organisation.name == "Chi bộ Văn phòng")
        ).one()
        assert org.digest_due_at == local(2027, 1, 18, 7, 30)


async def test_settings_are_changed_checked_and_audited(chat: Chat) -> None:
    secretary, people = await cell(chat)
    set_clock(chat.bot, local(2026, 12, 7, 9))
    refused = await ask(chat, people["Trần Thị Lan"], "/caidat")
    assert refused.text == "Chỉ bí thư hoặc phó bí thư mới làm được việc này."

    summary = await ask(chat, secretary, "/caidat")
    assert lines_of(summary)[:5] == [
        "⚙️ Cài đặt của Chi bộ Văn phòng",
        "🌏 Múi giờ: Asia/Ho_Chi_Minh",
        "⏰ Nhắc các buổi sinh hoạt mới: 3 ngày, 1 ngày, 2 giờ",
        "📰 Bản tin tuần: Thứ Hai hằng tuần, lúc 07:30 (lần tới: 07:30 14/12/2026)",
        "🗣 Ngôn ngữ cho đảng viên mới: Tiếng Việt",
    ]
    assert summary.options == [
        "✏️ Múi giờ",
        "✏️ Nhắc họp",
        "✏️ Bản tin tuần",
        "✏️ Ngôn ngữ",
        "✏️ Báo cáo tiến độ",
    ]

    zone = await pick(chat, secretary, summary, "✏️ Múi giờ")
    assert zone.text.startswith("Múi giờ của chi bộ")
    wrong = await ask(chat, secretary, "Sao Hỏa")
    assert "“Sao Hỏa” không phải múi giờ hợp lệ." in wrong.text
    saved = await ask(chat, secretary, "Europe/Berlin")
    assert lines_of(saved)[0] == "✅ Đã lưu."
    assert "🌏 Múi giờ: Europe/Berlin" in lines_of(saved)

    day = await pick(chat, secretary, saved, "✏️ Bản tin tuần")
    sunday = await pick(chat, secretary, day, "Chủ Nhật")
    assert sunday.text.startswith("Vào lúc mấy giờ (theo múi giờ của chi bộ, Europe/Berlin)?")
    skipped = await ask(chat, secretary, "2:30")
    assert "Giờ 02:30 không có ở múi giờ Europe/Berlin vào ngày" in skipped.text
    done = await ask(chat, secretary, "19:30")
    assert any(
        line.startswith("📰 Bản tin tuần: Chủ Nhật hằng tuần, lúc 19:30")
        for line in lines_of(done)
    )

    reminders = await pick(chat, secretary, done, "✏️ Nhắc họp")
    typo = await ask(chat, secretary, "2 ngày rồi")
    assert typo.text.startswith("⚠️")
    fewer = await ask(chat, secretary, "2 ngày, 3 giờ")
    assert "⏰ Nhắc các buổi sinh hoạt mới: 2 ngày, 3 giờ" in lines_of(fewer)
    assert reminders.text.startswith("Các buổi sinh hoạt mới nhắc đảng viên khi nào?")

    assert "📊 Báo cáo tiến độ của các đợt đăng ký mới: Hằng tháng" in lines_of(fewer)
    cadence = await pick(chat, secretary, fewer, "✏️ Báo cáo tiến độ")
    assert cadence.text.startswith("Các đợt đăng ký mới báo cáo tiến độ bao lâu một lần?")
    quarterly = await pick(chat, secretary, cadence, "Hằng quý")
    assert "📊 Báo cáo tiến độ của các đợt đăng ký mới: Hằng quý" in lines_of(quarterly)
    language = await pick(chat, secretary, quarterly, "✏️ Ngôn ngữ")
    english = await pick(chat, secretary, language, "English")
    assert "🗣 Ngôn ngữ cho đảng viên mới: English" in lines_of(english)

    with chat.bot.db.session() as session:
        org = session.exec(
            select(Organisation).where(Organisation.name == "Chi bộ Văn phòng")
        ).one()
        assert (org.timezone, org.digest_weekday, org.digest_time, org.locale) == (
            "Europe/Berlin",
            6,
            "19:30",
            "en",
        )
        assert org.reminder_offsets == [2 * 24 * 60, 3 * 60]
        assert org.checkin_cadence == "quarterly"
        actions = session.exec(
            select(AuditEntry.action)
            .where(col(AuditEntry.action).startswith("settings."))
            .order_by(col(AuditEntry.id))
        ).all()
        assert actions == [
            "settings.timezone",
            "settings.digest",
            "settings.reminders",
            "settings.cadence",
            "settings.language",
        ]


def hold_meeting(chat: Chat, at: datetime) -> None:
    """A regular meeting at `at`, held: Lan and the secretary present, Hùng unexcused."""
    with chat.bot.db.session() as session:
        secretary = session.exec(
            select(Person)
            .join(Member, col(Member.person_id) == col(Person.id))
            .where(Member.full_name == "Nguyễn Văn Bình")
        ).one()
        ids = {
            m.full_name: m.id or 0
            for m in session.exec(select(Member).where(col(Member.full_name).in_(NAMES)))
        }
        org_id = session.exec(select(Member.org_id).where(Member.full_name == NAMES[0])).one()
        meeting = meetings.create_meeting(
            session=session,
            org_id=org_id,
            draft=meetings.MeetingDraft(
                kind=MeetingKind.REGULAR, starts_at=at, place="Hội trường"
            ),
            actor=secretary,
            now=chat.bot.clock.now(),
        )
        held = at + timedelta(minutes=20)
        for names, status in (
            (NAMES[:2], AttendanceStatus.PRESENT),
            (NAMES[2:], AttendanceStatus.UNEXCUSED),
        ):
            attendance.mark_many(
                session=session,
                meeting_id=meeting.id or 0,
                member_ids=[ids[n] for n in names],
                status=status,
                person=secretary,
                now=held,
            )
        attendance.close_roll_call(
            session=session, meeting_id=meeting.id or 0, person=secretary, now=held
        )


async def test_period_report_with_files_on_telegram_and_a_message_on_zalo(chat: Chat) -> None:
    secretary, people = await cell(chat)
    set_clock(chat.bot, local(2026, 12, 9, 9))
    hold_meeting(chat, local(2026, 12, 10, 19))
    set_clock(chat.bot, local(2026, 12, 14, 9))

    refused = await ask(chat, people["Trần Thị Lan"], "/baocao")
    assert refused.text.startswith("Chỉ chi ủy")
    future = await ask(chat, secretary, "/baocao 2027-Q1")
    assert future.text == "Kỳ 2027-Q1 chưa bắt đầu, nên chưa có gì để báo cáo."
    empty = await ask(chat, secretary, "/baocao 2026-11")
    assert empty.text.startswith("Chi bộ không có buổi sinh hoạt nào trong kỳ 2026-11")
    unread = await ask(chat, secretary, "/baocao tuần này")
    assert unread.text.startswith("Tôi không đọc được kỳ “tuần”.")

    menu = await ask(chat, secretary, "/baocao")
    assert menu.options[:3] == ["Tháng 12/2026", "Tháng 11/2026", "Quý IV năm 2026"]
    before = len(chat.received(secretary))
    await chat.choose(secretary, menu, "Quý IV năm 2026")
    await chat.bot.settle()
    texts = chat.received(secretary)[before:]
    report = "\n".join(t for t in texts if not t.startswith("Báo cáo:"))
    assert "BÁO CÁO kết quả công tác của chi bộ quý IV năm 2026" in report
    assert "Sinh hoạt thường kỳ: 1/3 buổi." in report
    assert "Tỷ lệ dự họp bình quân: 67%." in report
    assert "Số lượt vắng không lý do: 1." in report
    if chat.telegram:
        assert secretary.tg is not None
        secretary_id = secretary.tg.id
        documents = [
            c.result["document"]
            for c in chat.api.calls
            if c.method == "sendDocument" and c.params["chat_id"] == secretary_id and c.result
        ]
        by_kind = {
            d["file_name"].rsplit(".", 1)[1]: chat.api.file_bytes(d["file_id"]) for d in documents
        }
        assert sorted(by_kind) == ["docx", "xlsx"]
        paragraphs = [p.text for p in Document(io.BytesIO(by_kind["docx"])).paragraphs]
        assert "Sinh hoạt thường kỳ: 1/3 buổi." in paragraphs
        sheet = load_workbook(io.BytesIO(by_kind["xlsx"])).worksheets[0]
        figures = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
        assert figures["Số lượt vắng không lý do"] == 1
    else:
        assert "Zalo không nhận được tệp từ tôi." in report
        assert "chibot report export “Chi bộ Văn phòng” --period 2026-Q4" in report


async def test_new_meetings_offer_the_cells_default_reminders_first(chat: Chat) -> None:
    from bot.models import Meeting
    from tests.e2e.test_meetings import schedule_meeting

    secretary, _ = await cell(chat)
    summary = await ask(chat, secretary, "/caidat")
    await pick(chat, secretary, summary, "✏️ Nhắc họp")
    await ask(chat, secretary, "2 ngày, 3 giờ")
    preview = await schedule_meeting(chat, secretary)
    assert "Nhắc trước: 2 ngày, 3 giờ." in preview.text
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    with chat.bot.db.session() as session:
        [meeting] = session.exec(select(Meeting)).all()
        assert meeting.reminder_offsets == [2 * 24 * 60, 3 * 60]


async def test_help_and_menus_name_the_new_commands_for_the_committee(chat: Chat) -> None:
    secretary, people = await cell(chat)
    for_member = await ask(chat, people["Trần Thị Lan"], "/trogiup")
    for_secretary = await ask(chat, secretary, "/trogiup")
    for line in (
        "/tonghop — bản tin tổng hợp của chi bộ ngay bây giờ, kèm những việc cần lưu ý",
        "/baocao — báo cáo theo tháng, quý, 6 tháng hoặc năm",
        "/caidat — múi giờ, nhắc họp, bản tin tuần, ngôn ngữ của chi bộ",
    ):
        assert line in for_secretary.text
        assert line.split(" ")[0] not in for_member.text
    if chat.telegram:
        private = {c["command"] for c in chat.api.commands("all_private_chats", "")}
        groups = {c["command"] for c in chat.api.commands("all_group_chats", "")}
        # The committee's commands are in the committee's own chats only.
        assert not {"tonghop", "baocao", "caidat"} & private
        assert secretary.tg is not None
        own = {
            c["command"]: c["description"] for c in chat.api.commands("chat", chat=secretary.tg.id)
        }
        assert own["tonghop"] == "Bản tin tổng hợp của chi bộ (chi ủy)"
        assert own["baocao"] == "Báo cáo theo kỳ (chi ủy)"
        assert own["caidat"] == "Cài đặt chi bộ (bí thư)"
        assert "tonghop" in groups
        assert "caidat" not in groups


async def test_a_new_registration_offers_the_cells_check_in_cadence_first(chat: Chat) -> None:
    secretary, _ = await cell(chat)
    summary = await ask(chat, secretary, "/caidat")
    cadence = await pick(chat, secretary, summary, "✏️ Báo cáo tiến độ")
    await pick(chat, secretary, cadence, "Không")
    nothing = await ask(chat, secretary, "/camket")
    kind = await pick(chat, secretary, nothing, "➕ Mở đợt đăng ký")
    year = await pick(chat, secretary, kind, "Cam kết tu dưỡng, rèn luyện, phấn đấu")
    deadline = await pick(chat, secretary, year, "Năm 2027 (năm sau)")
    assert deadline.text.startswith("Hạn đăng ký")
    offered = await ask(chat, secretary, "15/12")
    assert offered.options[:3] == ["Không", "Hằng tháng", "Hằng quý"]

"""Answers and receipts: the answer shown on the notice tapped (in the reply on Zalo), the
reason asked once and given as a common reason or typed, the committee's reminder to those who
have not answered, the roll call's running count and its reopening — on Telegram and Zalo."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.models import AuditEntry, FlowState, Meeting, Rsvp, RsvpAnswer
from tests.e2e.chat import Chat, Msg, Someone, _zalo_msg
from tests.e2e.conftest import Bot
from tests.e2e.test_meetings import (
    HANOI_SUNDAY_10AM,
    choose_all,
    latest,
    on_telegram,
    schedule_meeting,
    set_clock,
    shown,
    telegram_only,
)
from tests.e2e.test_roll_call import _got, _meeting_under_way

RSVP_OPTIONS = ["✅ Tham dự", "🙏 Vắng có lý do"]
REASON_QUESTION = "Chỉ chi ủy được xem"


async def _cell_and_meeting(chat: Chat, names: list[str]) -> tuple[Someone, dict[str, Someone]]:
    """A cell whose members joined, and a meeting scheduled on Thursday 26/11 19:30."""
    secretary, people = await chat.cell_with_members(names)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    preview = await schedule_meeting(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    return secretary, people


def _rsvps(chat: Chat) -> dict[int, Rsvp]:
    with chat.bot.db.session() as session:
        return {r.member_id: r for r in session.exec(select(Rsvp))}


def _meeting(chat: Chat) -> Meeting:
    with chat.bot.db.session() as session:
        return session.exec(select(Meeting)).one()


def _newest(chat: Chat, who: Someone) -> Msg:
    """The newest message this person got, with its choices (buttons, or numbered on Zalo)."""
    if who.tg is not None:
        return latest(chat, who)
    return _zalo_msg(chat.last(who))


def _notice(chat: Chat, who: Someone) -> Msg:
    notice = _newest(chat, who)
    assert notice.text.startswith("Thông báo sinh hoạt"), notice.text
    return notice


async def test_the_answer_shows_on_the_notice_tapped(chat: Chat) -> None:
    _, people = await _cell_and_meeting(chat, ["Trần Thị Lan"])
    lan = people["Trần Thị Lan"]
    notice = _notice(chat, lan)

    answered = await chat.choose(lan, notice, "✅ Tham dự")

    if chat.telegram:
        assert notice.raw is not None
        assert answered.raw is not None
        # The same message, edited: the notice's text, the receipt under it, the buttons kept.
        assert answered.raw["message_id"] == notice.raw["message_id"]
        assert answered.text.startswith(notice.text)
        assert answered.text.endswith("☑️ Đồng chí đã chọn: Tham dự — bấm để đổi.")
        assert answered.options == RSVP_OPTIONS
    else:
        # No edits on Zalo: the reply says it, with the answers to type to change it.
        assert shown(answered).startswith("Đã ghi nhận: đồng chí tham dự. Cảm ơn đồng chí.")
        assert "Đồng chí đã chọn: Tham dự. Muốn đổi, đồng chí gõ số" in answered.text
        assert answered.options == RSVP_OPTIONS
    assert [r.answer for r in _rsvps(chat).values()] == [RsvpAnswer.ATTENDING]

    # Changing the answer on the same message replaces the receipt rather than adding one.
    before = len(chat.received(lan))
    await chat.choose(lan, answered, "🙏 Vắng có lý do")
    since = chat.received(lan)[before:]
    questions = [t for t in since if REASON_QUESTION in t]
    assert len(questions) == 1, since
    if chat.telegram:
        assert lan.tg is not None
        assert notice.raw is not None
        notice_id = notice.raw["message_id"]
        edited = on_telegram(
            next(m for m in chat.api.messages_in(lan.tg) if m["message_id"] == notice_id)
        )
        assert edited.text.count("Đồng chí đã chọn") == 1
        assert edited.text.endswith("☑️ Đồng chí đã chọn: Vắng có lý do — bấm để đổi.")
        assert edited.options == RSVP_OPTIONS
    else:
        assert "Đồng chí đã chọn: Vắng có lý do." in since[0]
    assert [r.answer for r in _rsvps(chat).values()] == [RsvpAnswer.EXCUSED]


async def test_an_english_member_sees_the_receipt_in_english(chat: Chat) -> None:
    _, people = await _cell_and_meeting(chat, ["Trần Thị Lan"])
    lan = people["Trần Thị Lan"]
    picker = await chat.say(lan, "/language")
    await chat.choose(lan, picker, "English")
    listing = await chat.say(lan, "/meetings")
    assert "Your answer: you have not answered yet." in listing.text

    answered = await chat.choose(lan, listing, "✅ Attending")

    if chat.telegram:
        assert answered.text.endswith("☑️ You chose: Attending — tap to change.")
        assert answered.text.startswith("📅")  # the /meetings card it was tapped on, kept
    else:
        assert "You chose: Attending. To change it, type the number" in answered.text
    assert answered.options[:2] == ["✅ Attending", "🙏 Excused absence"]


async def test_a_double_tap_asks_the_reason_once(chat: Chat) -> None:
    _, people = await _cell_and_meeting(chat, ["Trần Thị Lan"])
    lan = people["Trần Thị Lan"]
    notice = _notice(chat, lan)
    before = len(chat.received(lan))

    await chat.choose(lan, notice, "🙏 Vắng có lý do")
    if chat.telegram:
        # The second tap of a double tap, on the same (now edited) notice.
        second = await chat.choose(lan, notice, "🙏 Vắng có lý do")
        assert second.toast
        assert second.text == (
            "Đã ghi nhận vắng có lý do. Câu hỏi về lý do đã có trong tin nhắn riêng."
        )

    questions = [t for t in chat.received(lan)[before:] if REASON_QUESTION in t]
    assert len(questions) == 1
    question = _newest(chat, lan)
    assert REASON_QUESTION in question.text
    # Leaving the question keeps the excused absence and says so.
    cancelled = await chat.choose(lan, question, "✖️ Thoát")
    assert shown(cancelled).startswith("Đã ghi vắng có lý do, chưa nêu lý do.")
    [rsvp] = _rsvps(chat).values()
    assert (rsvp.answer, rsvp.reason) == (RsvpAnswer.EXCUSED, None)


async def test_reasons_are_codes_in_each_readers_language_or_escaped_text(chat: Chat) -> None:
    secretary, people = await _cell_and_meeting(
        chat, ["Trần Thị Lan", "Phạm Văn Đức", "Hoàng Văn Nam"]
    )
    lan, duc = people["Trần Thị Lan"], people["Phạm Văn Đức"]
    await chat.choose(lan, _notice(chat, lan), "🙏 Vắng có lý do")
    question = _newest(chat, lan)
    assert question.options[:4] == [
        "Ốm đau",
        "Đi công tác, học tập",
        "Việc gia đình",
        "Lý do khác (gõ lý do)",
    ]
    noted = await chat.choose(lan, question, "Ốm đau")
    assert "(lý do: Ốm đau)" in noted.text

    await chat.choose(duc, _notice(chat, duc), "🙏 Vắng có lý do")
    other = await chat.choose(duc, _newest(chat, duc), "Lý do khác (gõ lý do)")
    assert other.text.startswith("Đồng chí gõ lý do:")
    typed = "<b>Họp</b> tổ dân phố & trực"
    noted = await chat.say(duc, typed)
    assert f"(lý do: {typed})" in noted.text

    with chat.bot.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
        reasons = sorted(r.reason or "" for r in session.exec(select(Rsvp)))
    # The common reason as its code, the typed one as typed.
    assert reasons == [typed, "code:illness"]

    # The secretary reads English: the common reason in English, the typed one as typed.
    picker = await chat.say(secretary, "/language")
    await chat.choose(secretary, picker, "English")
    listing = await chat.say(secretary, "/meetings")
    tally = await chat.choose(secretary, listing, "👥 Answers")
    assert "  • Trần Thị Lan — Illness" in tally.text
    assert f"  • Phạm Văn Đức — {typed}" in tally.text
    assert "No answer yet: 2" in tally.text
    assert meeting.id is not None

    # The roll call pre-marks them with their reasons, and the committee's report keeps them.
    set_clock(chat.bot, meeting.starts_at + timedelta(minutes=1))
    checklist = await chat.say(secretary, "/attendance")
    assert "Reasons given:\n  🟡 Phạm Văn Đức — " + typed in checklist.text
    assert "  🟡 Trần Thị Lan — Illness" in checklist.text
    for name in ("Nguyễn Văn Bình", "Hoàng Văn Nam"):
        checklist = await chat.choose(secretary, checklist, f"⬜ {name}")
    await chat.choose(secretary, checklist, "🔒 Close the roll call")
    await chat.bot.settle()
    [report] = _got(chat, secretary, "Excused absences:")
    assert f"  • Phạm Văn Đức — {typed}" in report.text
    assert "  • Trần Thị Lan — Illness" in report.text


async def test_an_old_typed_reason_is_shown_as_it_was_kept(chat: Chat) -> None:
    secretary, people = await _cell_and_meeting(chat, ["Trần Thị Lan"])
    lan = people["Trần Thị Lan"]
    await chat.choose(lan, _notice(chat, lan), "✅ Tham dự")
    with chat.bot.db.session() as session:
        rsvp = session.exec(select(Rsvp)).one()
        # As answers were kept before: the label's text in the member's language.
        rsvp.answer = RsvpAnswer.EXCUSED
        rsvp.reason = "Đi khám bệnh <định kỳ>"
        session.add(rsvp)
        session.commit()
    listing = await chat.say(secretary, "/lichhop")
    tally = await chat.choose(secretary, listing, "👥 Tình hình đăng ký")
    assert "  • Trần Thị Lan — Đi khám bệnh <định kỳ>" in tally.text


async def test_the_committee_reminds_only_those_who_have_not_answered(chat: Chat) -> None:
    secretary, people = await _cell_and_meeting(chat, ["Trần Thị Lan", "Phạm Văn Đức"])
    lan, duc = people["Trần Thị Lan"], people["Phạm Văn Đức"]
    await chat.choose(lan, _notice(chat, lan), "✅ Tham dự")
    own = await chat.say(secretary, "/lichhop")
    await chat.choose(secretary, own, "✅ Tham dự")
    lan_count, duc_count = len(chat.received(lan)), len(chat.received(duc))

    listing = await chat.say(secretary, "/lichhop")
    tally = await chat.choose(secretary, listing, "👥 Tình hình đăng ký")
    assert "🔔 Nhắc người chưa trả lời" in tally.options
    done = await chat.choose(secretary, tally, "🔔 Nhắc người chưa trả lời")
    assert shown(done) == "Đã nhắc riêng các đồng chí chưa trả lời: 1 đồng chí."
    await chat.bot.settle()

    assert len(chat.received(lan)) == lan_count
    [nudge] = chat.received(duc)[duc_count:]
    assert nudge.startswith("🔔 Đề nghị đồng chí trả lời")
    assert "Thông báo sinh hoạt" in nudge

    # Once an hour per meeting: a second tap says when it can be done again, and sends nothing.
    set_clock(chat.bot, HANOI_SUNDAY_10AM + timedelta(minutes=20))
    again = await chat.choose(secretary, tally, "🔔 Nhắc người chưa trả lời")
    assert "đã được nhắc lúc 10:00" in again.text
    assert "Có thể nhắc lại từ 11:00" in again.text
    await chat.bot.settle()
    assert len(chat.received(duc)) == duc_count + 1

    # Đức answers on the reminder itself.
    reminder = _newest(chat, duc)
    await chat.choose(duc, reminder, "✅ Tham dự")
    assert len(_rsvps(chat)) == 3
    set_clock(chat.bot, HANOI_SUNDAY_10AM + timedelta(minutes=61))
    nobody = await chat.choose(secretary, tally, "🔔 Nhắc người chưa trả lời")
    assert shown(nobody).startswith("Các đồng chí nhận được tin nhắn của tôi đều đã trả lời")
    with chat.bot.db.session() as session:
        audited = session.exec(
            select(AuditEntry).where(AuditEntry.action == "meeting.rsvp_nudge")
        ).all()
    assert [a.after for a in audited] == [{"reminded": 1}]


async def test_only_the_committee_can_remind(chat: Chat) -> None:
    _, people = await _cell_and_meeting(chat, ["Trần Thị Lan"])
    lan = people["Trần Thị Lan"]
    if not chat.telegram:
        # Zalo has no hidden data to forge; a member's /lichhop has no such choice.
        listing = await chat.say(lan, "/lichhop")
        assert "Nhắc người chưa trả lời" not in listing.text
        return
    assert lan.tg is not None
    own = await chat.bot.say(lan.tg, "/lichhop")
    answer = await chat.bot.tap_data(lan.tg, own, f"mr|{_meeting(chat).id}")
    assert answer["text"].startswith("Chỉ chi ủy (bí thư, phó bí thư, chi ủy viên)")
    with chat.bot.db.session() as session:
        assert not session.exec(
            select(AuditEntry).where(AuditEntry.action == "meeting.rsvp_nudge")
        ).all()


async def test_the_roll_call_counts_as_it_goes_and_can_be_reopened(chat: Chat) -> None:
    secretary, lan, _, meeting = await _meeting_under_way(chat)
    checklist = await chat.say(secretary, "/diemdanh")
    assert "Có mặt 0/3" in checklist.text
    checklist = await chat.choose(secretary, checklist, "⬜ Nguyễn Văn Bình")
    assert "Có mặt 1/3" in checklist.text
    checklist = await chat.choose(secretary, checklist, "⬜ Trần Thị Lan")
    checklist = await chat.choose(secretary, checklist, "⬜ Phạm Văn Đức")
    checklist = await chat.choose(secretary, checklist, "✅ Phạm Văn Đức")  # → excused
    assert "Có mặt 2/3" in checklist.text
    done = await choose_all(chat, secretary, checklist, "🔒 Kết thúc điểm danh")
    assert done[0].startswith("Đã kết thúc điểm danh."), done
    if chat.telegram:
        # The checklist, edited into the answer, offers the reopening at once (on Zalo the
        # committee's report lists it).
        assert secretary.tg is not None
        assert checklist.raw is not None
        closed = next(
            on_telegram(m)
            for m in chat.api.messages_in(secretary.tg)
            if m["message_id"] == checklist.raw["message_id"]
        )
        assert closed.options == ["🔓 Mở lại điểm danh"]
    await chat.bot.settle()
    first_counts = "2/3 đồng chí có mặt; vắng có lý do: 1."
    assert len(_got(chat, lan, first_counts)) == (0 if chat.telegram else 1)
    [report] = _got(chat, secretary, "Có mặt 2/3 (")
    assert report.options == ["📝 Ghi kết luận", "🔓 Mở lại điểm danh"]

    # Đức came late: the secretary reopens the next morning and corrects him.
    set_clock(chat.bot, meeting.starts_at + timedelta(hours=14))
    reopened = await chat.choose(secretary, report, "🔓 Mở lại điểm danh")
    assert reopened.text.startswith("🔓 Đã mở lại điểm danh.")
    assert "Có mặt 2/3" in reopened.text
    checklist = await chat.choose(secretary, reopened, "🟡 Phạm Văn Đức")  # → unexcused
    checklist = await chat.choose(secretary, checklist, "❌ Phạm Văn Đức")  # → present
    assert "Có mặt 3/3" in checklist.text
    await chat.choose(secretary, checklist, "🔒 Kết thúc điểm danh")
    await chat.bot.settle()
    corrected = "3/3 đồng chí có mặt; vắng có lý do: 0."
    if chat.group is not None:
        assert chat.group is not None
        assert corrected in chat.api.last_message(chat.group)["text"]  # type: ignore[index]
    else:
        assert len(_got(chat, lan, corrected)) == 1
    with chat.bot.db.session() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == "meeting.roll_call_reopen")
        ).all()
        closed_at = session.exec(select(Meeting)).one().roll_call_closed_at
    assert len(entries) == 1
    assert entries[0].before is not None
    assert "closed_at" in entries[0].before
    assert closed_at is not None

    # Past the window (the end of the day after the meeting), reopening is refused.
    set_clock(chat.bot, meeting.starts_at + timedelta(days=2))
    reports = _got(chat, secretary, "Có mặt 3/3 (100%)")
    assert reports
    assert "🔓 Mở lại điểm danh" in reports[-1].options
    late = await chat.choose(secretary, reports[-1], "🔓 Mở lại điểm danh")
    assert "Chỉ mở lại được điểm danh đến hết ngày hôm sau" in late.text
    with chat.bot.db.session() as session:
        assert session.exec(select(Meeting)).one().roll_call_closed_at == closed_at


async def test_only_the_secretary_or_deputy_reopens(chat: Chat) -> None:
    secretary, _, _, meeting = await _meeting_under_way(chat)
    keys = await chat.add_people(secretary, ["Trần Thị Hương"], role="Chi ủy viên")
    huong = chat.add("Hương")
    await chat.join(huong, keys["Trần Thị Hương"])
    checklist = await chat.say(secretary, "/diemdanh")
    for label in [o for o in checklist.options if o.startswith("⬜")]:
        checklist = await chat.choose(secretary, checklist, label)
    await chat.choose(secretary, checklist, "🔒 Kết thúc điểm danh")
    await chat.bot.settle()

    # The committee member's report offers the conclusion, not the reopening.
    [report] = _got(chat, huong, "Hướng dẫn 12-HD/BTCTW")
    assert "📝 Ghi kết luận" in report.options
    assert "🔓 Mở lại điểm danh" not in report.options
    if chat.telegram:
        assert huong.tg is not None
        assert report.raw is not None
        answer = await chat.bot.tap_data(huong.tg, report.raw, f"ro|{meeting.id}")
        assert answer["text"] == "Chỉ bí thư hoặc phó bí thư mới làm được việc này."
    assert _meeting(chat).roll_call_closed_at is not None


async def test_a_recorded_conclusion_is_refused_before_the_form(bot: Bot) -> None:
    # The report's button tapped again later: a Telegram tap (on Zalo a typed number always
    # answers the newest list).
    chat = telegram_only(bot)
    secretary, _, _, _ = await _meeting_under_way(chat)
    checklist = await chat.say(secretary, "/diemdanh")
    for label in [o for o in checklist.options if o.startswith("⬜")]:
        checklist = await chat.choose(secretary, checklist, label)
    await chat.choose(secretary, checklist, "🔒 Kết thúc điểm danh")
    await chat.bot.settle()
    [report] = _got(chat, secretary, "✅ Buổi sinh hoạt đạt yêu cầu")
    await chat.choose(secretary, report, "📝 Ghi kết luận")
    tasks = await chat.say(secretary, "Chi bộ thống nhất triển khai chuyên đề.")
    confirm = await chat.choose(secretary, tasks, "Bỏ qua")
    await choose_all(chat, secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()

    again = await chat.choose(secretary, report, "📝 Ghi kết luận")

    # Not a second form: the posted conclusion, with the way to correct it.
    assert again.text.startswith("Kết luận của cuộc họp này đã được đăng:"), again.text
    assert "Chi bộ thống nhất triển khai chuyên đề." in again.text
    assert again.options == ["✏️ Đính chính kết luận"]
    with chat.bot.db.session() as session:
        assert not session.exec(select(FlowState).where(FlowState.flow == "conclusion")).all()

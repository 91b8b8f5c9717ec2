"""Meetings end to end: schedule, notice, RSVP, calendar file, reminders, edits, cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot.models import Meeting, MeetingReminder, Person, Rsvp, RsvpAnswer
from bot.services import meetings as meeting_service
from fake_telegram import FakeChat, FakeUser
from tests.e2e.conftest import Bot, launch
from tests.e2e.flows import add_people, join, linked_cell

HANOI_SUNDAY_10AM = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def set_clock(bot: Bot, instant: datetime) -> None:
    """Moves the bot's clock so that it reads `instant` now (time keeps flowing)."""
    bot.clock.offset = instant - datetime.now(UTC)


async def _cell_with_member(bot: Bot) -> tuple[FakeUser, FakeChat, FakeUser]:
    secretary, group = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"])
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])
    bot.api.add_to_group(group, lan, announce=False)
    return secretary, group, lan


def _first_button(message: dict[str, Any]) -> str:
    return str(message["reply_markup"]["inline_keyboard"][0][0]["callback_data"])


async def schedule(
    bot: Bot,
    secretary: FakeUser,
    when: str = "thứ 5 tuần sau 19h30",
    kind: str = "Sinh hoạt chuyên đề",
) -> dict[str, Any]:
    """Runs /taohop through the buttons; returns the confirmation preview message."""
    menu = await bot.say(secretary, "/taohop")
    assert menu["text"] == "Loại cuộc họp?"
    topic_prompt = await bot.tap_edit(secretary, menu, kind)
    assert topic_prompt["text"].startswith("Chủ đề của buổi sinh hoạt chuyên đề")
    day_prompt = await bot.say(
        secretary, "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
    )
    assert day_prompt["text"].startswith("Ngày nào?")
    duration = await bot.say(secretary, when)
    assert duration["text"] == "Thời lượng?"
    place_prompt = await bot.tap_edit(secretary, duration, _first_button(duration))
    assert place_prompt["text"].startswith("Ở đâu?")
    chair = await bot.say(secretary, "Hội trường tầng 2")
    presenter = await bot.tap_edit(secretary, chair, "Nguyễn Văn Bình")
    agenda_prompt = await bot.tap_edit(secretary, presenter, "Trần Thị Lan")
    assert agenda_prompt["text"].startswith("Chương trình")
    recurrence = await bot.say(secretary, "Khai mạc\nBáo cáo chuyên đề\nThảo luận")
    reminders = await bot.tap_edit(secretary, recurrence, "Chỉ một lần")
    return await bot.tap_edit(secretary, reminders, _first_button(reminders))


def _meeting(bot: Bot) -> Meeting:
    with bot.db.session() as session:
        return session.exec(select(Meeting)).one()


async def test_schedule_notice_rsvp_and_calendar_file(bot: Bot) -> None:
    secretary, group, lan = await _cell_with_member(bot)
    # Sunday 22/11/2026 10:00 in Hà Nội: "thứ 5 tuần sau" is Thursday 26/11.
    set_clock(bot, HANOI_SUNDAY_10AM)

    preview = await schedule(bot, secretary)
    assert "Ngày đã hiểu: Thứ Năm, 26/11/2026." in preview["text"]
    assert "Chủ đề: Học tập và làm theo" in preview["text"]
    assert "19:30, Thứ Năm, 26/11/2026 (90 phút)" in preview["text"]
    done = await bot.tap_edit(secretary, preview, "✅ Xác nhận")
    assert "Đã lên lịch" in done["text"]
    await bot.settle()

    in_group = bot.api.last_message(group)
    assert in_group is not None
    assert "Thông báo sinh hoạt" in in_group["text"]
    private = bot.api.last_message(bot.api.private_chat(lan))
    assert private is not None
    assert "Hội trường tầng 2" in private["text"]

    answer = await bot.tap(lan, in_group, "✅ Tham dự")
    assert answer["text"] == "Đã ghi nhận: đồng chí tham dự. Cảm ơn đồng chí."
    answer = await bot.tap(lan, private, "🙏 Vắng có lý do")
    assert "lý do" in answer["text"]
    await bot.settle()
    reason_prompt = bot.api.last_message(bot.api.private_chat(lan))
    assert reason_prompt is not None
    assert "Chỉ chi ủy được xem" in reason_prompt["text"]
    noted = await bot.tap_edit(lan, reason_prompt, "Đi công tác, học tập")
    assert "Đi công tác, học tập" in noted["text"]
    with bot.db.session() as session:
        rsvp = session.exec(select(Rsvp)).one()
    assert rsvp.answer == RsvpAnswer.EXCUSED

    listing = await bot.say(lan, "/lichhop")
    assert "Câu trả lời của đồng chí: đồng chí vắng (có lý do)." in listing["text"]
    ics = await bot.api.next_call("sendDocument", where=lambda c: c.params["chat_id"] == lan.id)
    assert ics.result["document"]["file_name"] == "hop-chi-bo-2026-11-26.ics"
    content = bot.api.file_bytes(ics.result["document"]["file_id"]).decode()
    assert "DTSTART:20261126T123000Z" in content
    assert "Hội trường tầng 2" in content


def _reminders(bot: Bot) -> list[MeetingReminder]:
    with bot.db.session() as session:
        return list(session.exec(select(MeetingReminder).order_by(MeetingReminder.id)))


def _texts(bot: Bot, chat: Any) -> list[str]:
    return [m["text"] for m in bot.api.messages_in(chat) if "text" in m]


async def _scheduled(bot: Bot) -> tuple[FakeUser, FakeChat, FakeUser, Meeting]:
    secretary, group, lan = await _cell_with_member(bot)
    set_clock(bot, HANOI_SUNDAY_10AM)
    preview = await schedule(bot, secretary)
    await bot.tap_edit(secretary, preview, "✅ Xác nhận")
    await bot.settle()
    return secretary, group, lan, _meeting(bot)


async def test_reminders_fire_once_each_and_the_last_one_in_the_group(bot: Bot) -> None:
    _, group, lan, meeting = await _scheduled(bot)
    assert [r.offset_minutes for r in _reminders(bot)] == [4320, 1440, 120, 0]
    lan_chat = bot.api.private_chat(lan)
    before = len(_texts(bot, lan_chat))

    set_clock(bot, meeting.starts_at - timedelta(days=3))
    await bot.tick()
    await bot.tick()
    reminders = [t for t in _texts(bot, lan_chat)[before:] if t.startswith("⏰ Nhắc lịch")]
    assert reminders == [reminders[0]]
    assert "còn 3 ngày nữa" in reminders[0]
    assert not any(t.startswith("⏰") for t in _texts(bot, group))

    # The bot is down across the 1-day mark and comes back 23½ hours before the start:
    # the 1-day reminder goes out late, says so, and says how long is really left.
    set_clock(bot, meeting.starts_at - timedelta(hours=23, minutes=30))
    await bot.tick()
    reminders = [t for t in _texts(bot, lan_chat)[before:] if t.startswith("⏰ Nhắc lịch")]
    assert len(reminders) == 2
    assert "còn 23 giờ nữa" in reminders[1]
    assert "gửi muộn" in reminders[1]

    set_clock(bot, meeting.starts_at - timedelta(hours=2))
    await bot.tick()
    reminders = [t for t in _texts(bot, lan_chat)[before:] if t.startswith("⏰ Nhắc lịch")]
    assert len(reminders) == 3
    assert "còn 2 giờ nữa" in reminders[2]
    assert "gửi muộn" not in reminders[2]
    assert any(t.startswith("⏰ Nhắc lịch: còn 2 giờ") for t in _texts(bot, group))


async def test_after_long_downtime_only_the_nearest_reminder_goes_out(bot: Bot) -> None:
    _, _, lan, meeting = await _scheduled(bot)
    lan_chat = bot.api.private_chat(lan)
    before = len(_texts(bot, lan_chat))

    set_clock(bot, meeting.starts_at - timedelta(minutes=90))
    await bot.tick()

    reminders = [t for t in _texts(bot, lan_chat)[before:] if t.startswith("⏰ Nhắc lịch")]
    assert len(reminders) == 1
    assert "còn 1 giờ nữa" in reminders[0]
    assert "gửi muộn" in reminders[0]
    outcomes = {r.offset_minutes: r.outcome for r in _reminders(bot)}
    assert outcomes == {4320: "skipped", 1440: "skipped", 120: "late", 0: None}


async def test_excused_members_get_no_reminders(bot: Bot) -> None:
    _, _, lan, meeting = await _scheduled(bot)
    notice = bot.api.last_message(bot.api.private_chat(lan))
    assert notice is not None
    await bot.tap(lan, notice, "🙏 Vắng có lý do")
    await bot.settle()
    prompt = bot.api.last_message(bot.api.private_chat(lan))
    await bot.tap_edit(lan, prompt, "Ốm đau")
    count = len(_texts(bot, bot.api.private_chat(lan)))

    set_clock(bot, meeting.starts_at - timedelta(days=3))
    await bot.tick()

    assert len(_texts(bot, bot.api.private_chat(lan))) == count


async def test_restart_between_scheduling_and_reminder_sends_it_exactly_once(bot: Bot) -> None:
    _, _, lan, meeting = await _scheduled(bot)
    await bot.stop()
    restarted = await launch(bot.api, bot.db_path, bot.clock)
    try:
        set_clock(restarted, meeting.starts_at - timedelta(days=3, minutes=-1))
        await restarted.tick()
        await restarted.tick()
    finally:
        await restarted.stop()
    third = await launch(bot.api, bot.db_path, bot.clock)
    try:
        await third.tick()
    finally:
        await third.stop()
    reminders = [t for t in _texts(bot, bot.api.private_chat(lan)) if t.startswith("⏰")]
    assert len(reminders) == 1


async def test_down_across_the_meeting_start_skips_its_reminders(bot: Bot) -> None:
    _, _, lan, meeting = await _scheduled(bot)

    set_clock(bot, meeting.starts_at + timedelta(minutes=5))
    await bot.tick()

    assert not any(t.startswith("⏰") for t in _texts(bot, bot.api.private_chat(lan)))
    outcomes = {r.offset_minutes: r.outcome for r in _reminders(bot)}
    # The start message (offset 0) still invites the self check-in while the meeting runs.
    assert outcomes == {4320: "skipped", 1440: "skipped", 120: "skipped", 0: "sent"}


async def test_moving_a_meeting_notifies_and_rederives_reminders(bot: Bot) -> None:
    secretary, group, lan, _ = await _scheduled(bot)
    listing = await bot.say(secretary, "/lichhop")
    await bot.api.user_taps(secretary, listing, "✏️ Sửa hoặc hủy")
    actions = await bot.api.next_call(
        "sendMessage",
        where=lambda c: (
            c.params["chat_id"] == secretary.id and "muốn thay đổi gì" in c.params["text"]
        ),
    )
    when = await bot.tap_edit(secretary, actions.result, "Đổi ngày hoặc giờ")
    assert "Ngày và/hoặc giờ mới" in when["text"]
    confirm = await bot.say(secretary, "27/11 20h")
    assert "sang 20:00, Thứ Sáu, 27/11/2026" in confirm["text"]
    saved = await bot.tap_edit(secretary, confirm, "✅ Xác nhận")
    assert saved["text"] == "Đã lưu và đã thông báo cho mọi người."
    await bot.settle()

    assert "Thay đổi lịch họp" in _texts(bot, bot.api.private_chat(lan))[-1]
    assert "20:00, Thứ Sáu, 27/11/2026" in _texts(bot, group)[-1]
    pending = [r for r in _reminders(bot) if r.done_at is None]
    moved = _meeting(bot)
    assert moved.version == 2
    assert sorted(r.due_at for r in pending) == sorted(
        moved.starts_at - timedelta(minutes=m) for m in (4320, 1440, 120, 0)
    )


async def test_two_committee_members_editing_at_once(bot: Bot) -> None:
    secretary, _, _, meeting = await _scheduled(bot)
    listing = await bot.say(secretary, "/lichhop")
    await bot.api.user_taps(secretary, listing, "✏️ Sửa hoặc hủy")
    first = await bot.api.next_call(
        "sendMessage", where=lambda c: "muốn thay đổi gì" in c.params["text"]
    )
    # Someone else moves it meanwhile (through the same service the form calls).
    with bot.db.session() as session:
        person = session.exec(select(Person).where(Person.external_id == str(secretary.id))).one()
        meeting_service.reschedule(
            session=session,
            meeting_id=meeting.id or 0,
            version=meeting.version,
            actor=person,
            now=bot.clock.now(),
            place="Phòng họp số 3",
        )
    confirm = await bot.tap_edit(secretary, first.result, "Hủy cuộc họp")
    await bot.api.user_taps(secretary, confirm, "✅ Xác nhận")
    answer = await bot.api.next_call("answerCallbackQuery", where=lambda c: c.params.get("text"))
    assert "vừa thay đổi cuộc họp này" in answer.params["text"]
    assert _meeting(bot).status == "scheduled"


async def test_cancel_then_old_buttons_are_answered(bot: Bot) -> None:
    secretary, group, lan, meeting = await _scheduled(bot)
    notice = bot.api.last_message(bot.api.private_chat(lan))
    listing = await bot.say(secretary, "/lichhop")
    await bot.api.user_taps(secretary, listing, "✏️ Sửa hoặc hủy")
    actions = await bot.api.next_call(
        "sendMessage", where=lambda c: "muốn thay đổi gì" in c.params["text"]
    )
    confirm = await bot.tap_edit(secretary, actions.result, "Hủy cuộc họp")
    done = await bot.tap_edit(secretary, confirm, "✅ Xác nhận")
    assert done["text"] == "Đã hủy và đã thông báo cho mọi người."
    await bot.settle()
    assert "Hủy cuộc họp" in _texts(bot, group)[-1]

    answer = await bot.tap(lan, notice, "✅ Tham dự")
    assert answer["text"] == "Cuộc họp này đã bị hủy."
    set_clock(bot, meeting.starts_at - timedelta(days=1))
    await bot.tick()
    assert not any(t.startswith("⏰") for t in _texts(bot, bot.api.private_chat(lan)))


async def test_rsvp_from_someone_outside_the_cell(bot: Bot) -> None:
    _, _, _, meeting = await _scheduled(bot)
    stranger = bot.api.add_user("Người Lạ")
    own = await bot.say(stranger, "/start")

    answer = await bot.tap_data(stranger, own, f"rsvp|{meeting.id}|a")

    assert answer["text"] == "Đồng chí không thuộc chi bộ của cuộc họp này."
    with bot.db.session() as session:
        assert session.exec(select(Rsvp)).all() == []


async def test_bad_dates_and_times_are_explained(bot: Bot) -> None:
    secretary, _, _ = await _cell_with_member(bot)
    set_clock(bot, HANOI_SUNDAY_10AM)
    menu = await bot.say(secretary, "/taohop")
    await bot.tap_edit(secretary, menu, "Sinh hoạt chuyên đề")
    too_long = await bot.say(secretary, "x" * 600)
    assert "Chủ đề quá dài" in too_long["text"]
    await bot.say(secretary, "Chuyên đề quý IV")

    assert "không có trên lịch" in (await bot.say(secretary, "31/02"))["text"]
    assert "đã qua" in (await bot.say(secretary, "20/11/2026"))["text"]
    time_prompt = await bot.say(secretary, "mai")
    assert "Mấy giờ?" in time_prompt["text"]
    assert "Giờ này không hợp lệ" in (await bot.say(secretary, "25:00"))["text"]


async def test_mai_just_after_midnight_is_shown_in_the_preview(bot: Bot) -> None:
    secretary, _, _ = await _cell_with_member(bot)
    # 00:05 on Monday 23/11 in Hà Nội: "mai" is Tuesday 24/11.
    set_clock(bot, datetime(2026, 11, 22, 17, 5, tzinfo=UTC))

    preview = await schedule(bot, secretary, when="mai 19h30")

    assert "Ngày đã hiểu: Thứ Ba, 24/11/2026." in preview["text"]


async def test_english_secretary_schedules_with_english_words(bot: Bot) -> None:
    secretary, _, lan = await _cell_with_member(bot)
    picker = await bot.say(secretary, "/language")
    await bot.tap_edit(secretary, picker, "English")
    set_clock(bot, HANOI_SUNDAY_10AM)

    menu = await bot.say(secretary, "/newmeeting")
    assert menu["text"] == "What kind of meeting?"
    topic = await bot.tap_edit(secretary, menu, "Regular meeting (sinh hoạt thường kỳ)")
    day = await bot.tap_edit(secretary, topic, "Skip")
    assert day["text"].startswith("Which day?")
    duration = await bot.say(secretary, "tomorrow 7:30 pm")
    place = await bot.tap_edit(secretary, duration, "90 minutes (recommended)")
    assert place["text"].startswith("Where?")
    chair = await bot.say(secretary, "Meeting room 2")
    presenter = await bot.tap_edit(secretary, chair, "Nguyễn Văn Bình")
    agenda = await bot.tap_edit(secretary, presenter, "No presenter")
    recurrence = await bot.tap_edit(secretary, agenda, "Skip")
    reminders = await bot.tap_edit(secretary, recurrence, "Monthly on day 23")
    assert reminders["text"].startswith("When should I remind members?")
    preview = await bot.say(secretary, "1 day, 2 hours")
    assert "Day understood: Monday, 23 Nov 2026." in preview["text"]
    assert "Repeats: Monthly on day 23." in preview["text"]
    assert "Reminders before: 1 day, 2 hours." in preview["text"]
    done = await bot.tap_edit(secretary, preview, "✅ Confirm")
    assert done["text"].startswith("Scheduled, and the notice was sent")
    await bot.settle()

    # Lan reads Vietnamese: her copy of the notice is in her language.
    notice = bot.api.last_message(bot.api.private_chat(lan))
    assert notice is not None
    assert notice["text"].startswith("Thông báo sinh hoạt")
    assert "19:30, Thứ Hai, 23/11/2026" in notice["text"]

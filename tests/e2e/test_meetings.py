"""Meetings end to end: schedule, notice, RSVP, calendar file, reminders, edits, cancel.

The private-chat scenarios run on Telegram (buttons, the cell's group) and on Zalo (typed
numbers, no group: what goes to the group on Telegram reaches members privately on Zalo).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlmodel import select

from bot.models import Meeting, MeetingReminder, Rsvp, RsvpAnswer
from bot.services import meetings as meeting_service
from bot.services import people
from fake_telegram import FakeUser
from fake_zalo import FakeZalo
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.conftest import Bot, launch, zalo_overrides

HANOI_SUNDAY_10AM = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
NUMBERED = re.compile(r"^\d+\. ")


def set_clock(bot: Bot, instant: datetime) -> None:
    """Moves the bot's clock so that it reads `instant` now (time keeps flowing)."""
    bot.clock.offset = instant - datetime.now(UTC)


def telegram_only(bot: Bot) -> Chat:
    """Drives people on Telegram only (e.g. on the `bot` fixture, which runs no Zalo)."""
    return Chat(bot, cast(FakeZalo, None), "telegram")


def shown(msg: Msg) -> str:
    """The message's text without the numbered choices Zalo writes under it (Telegram's
    choices are buttons, so its text is whole)."""
    if msg.raw is not None:
        return msg.text
    lines = msg.text.splitlines()
    while lines and (not lines[-1].strip() or NUMBERED.match(lines[-1].strip())):
        lines.pop()
    return "\n".join(lines)


def on_telegram(message: dict[str, Any]) -> Msg:
    """A Telegram message (text or a file's caption) with its buttons, to choose from."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return Msg(
        text=str(message.get("text") or message.get("caption") or ""),
        options=[str(button["text"]) for row in rows for button in row],
        raw=message,
    )


def latest(chat: Chat, who: Someone) -> Msg:
    """The newest message the bot sent this person privately, with its choices."""
    if who.tg is not None:
        message = chat.api.last_message(who.tg)
        assert message is not None
        return on_telegram(message)
    return Msg(text=chat.last(who))


def last_toast(chat: Chat) -> str:
    """The text of the newest answer to a tap on Telegram (a toast)."""
    answers = [c for c in chat.api.calls_of("answerCallbackQuery") if c.params.get("text")]
    assert answers
    return str(answers[-1].params["text"])


async def choose_all(chat: Chat, who: Someone, msg: Msg, label: str) -> list[str]:
    """Chooses `label`; returns the texts of every message the bot sent or edited for this
    person since (a committee member also gets the notices that a form of theirs sends)."""
    before = len(chat.received(who))
    await chat.choose(who, msg, label)
    return chat.received(who)[before:]


async def schedule_meeting(
    chat: Chat,
    secretary: Someone,
    when: str = "thứ 5 tuần sau 19h30",
    kind: str = "Sinh hoạt chuyên đề",
) -> Msg:
    """Runs /taohop through its choices; returns the confirmation preview."""
    menu = await chat.say(secretary, "/taohop")
    assert shown(menu) == "Loại cuộc họp?"
    topic_prompt = await chat.choose(secretary, menu, kind)
    assert topic_prompt.text.startswith("Chủ đề của buổi sinh hoạt chuyên đề")
    day_prompt = await chat.say(
        secretary, "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
    )
    assert day_prompt.text.startswith("Ngày nào?")
    duration = await chat.say(secretary, when)
    # The day and time typed are said back before the next question.
    echo, question = shown(duration).split("\n\n")
    assert echo.startswith("Ngày đã hiểu: ")
    assert " lúc " in echo
    assert question.startswith("Thời lượng?")
    place_prompt = await chat.choose(secretary, duration, duration.options[0])
    assert place_prompt.text.startswith("Ở đâu?")
    chair = await chat.say(secretary, "Hội trường tầng 2")
    presenter = await chat.choose(secretary, chair, "Nguyễn Văn Bình")
    agenda_prompt = await chat.choose(secretary, presenter, "Trần Thị Lan")
    assert agenda_prompt.text.startswith("Chương trình")
    recurrence = await chat.say(secretary, "Khai mạc\nBáo cáo chuyên đề\nThảo luận")
    reminders = await chat.choose(secretary, recurrence, "Chỉ một lần")
    return await chat.choose(secretary, reminders, reminders.options[0])


async def schedule(
    bot: Bot,
    secretary: FakeUser,
    when: str = "thứ 5 tuần sau 19h30",
    kind: str = "Sinh hoạt chuyên đề",
) -> dict[str, Any]:
    """Runs /taohop on Telegram (the secretary is a Telegram user); returns the preview."""
    preview = await schedule_meeting(
        telegram_only(bot), Someone(secretary.first_name, tg=secretary), when, kind
    )
    assert preview.raw is not None
    # Hand out the form's edits so far, so that a later `bot.tap_edit` on the preview waits
    # for the edit its own tap makes.
    seen = [
        c
        for c in bot.api.calls_of("editMessageText")
        if c.params.get("chat_id") == secretary.id and not c.consumed
    ]
    for _ in seen:
        await bot.api.next_call(
            "editMessageText", where=lambda c: c.params.get("chat_id") == secretary.id
        )
    return preview.raw


async def _cell_with_member(chat: Chat) -> tuple[Someone, Someone]:
    secretary, members = await chat.cell_with_members(["Trần Thị Lan"])
    lan = members["Trần Thị Lan"]
    if chat.group is not None:
        assert lan.tg is not None
        chat.api.add_to_group(chat.group, lan.tg, announce=False)
    return secretary, lan


def _meeting(bot: Bot) -> Meeting:
    with bot.db.session() as session:
        return session.exec(select(Meeting)).one()


def _rsvps(bot: Bot) -> list[Rsvp]:
    with bot.db.session() as session:
        return list(session.exec(select(Rsvp)))


async def test_schedule_notice_rsvp_and_calendar_file(chat: Chat) -> None:
    secretary, lan = await _cell_with_member(chat)
    # Sunday 22/11/2026 10:00 in Hà Nội: "thứ 5 tuần sau" is Thursday 26/11.
    set_clock(chat.bot, HANOI_SUNDAY_10AM)

    preview = await schedule_meeting(chat, secretary)
    assert "Ngày đã hiểu: Thứ Năm, 26/11/2026." in preview.text
    assert "Chủ đề: Học tập và làm theo" in preview.text
    assert "19:30, Thứ Năm, 26/11/2026 (90 phút)" in preview.text
    done = await choose_all(chat, secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    assert any("Đã lên lịch" in t for t in done), done

    private = latest(chat, lan)
    assert private.text.startswith("Thông báo sinh hoạt")
    assert "Hội trường tầng 2" in private.text
    if chat.group is not None:
        in_group = chat.api.last_message(chat.group)
        assert in_group is not None
        assert "Thông báo sinh hoạt" in in_group["text"]
        # Lan answers on the group's copy of the notice: a toast answers her tap.
        answer = await chat.choose(lan, on_telegram(in_group), "✅ Tham dự")
        assert answer.toast
    else:
        # No group on Zalo: Lan answers on her own copy, and the answer comes as a message.
        answer = await chat.choose(lan, private, "✅ Tham dự")
    # (On Zalo the reply goes on to say what was chosen: see test_receipts.)
    assert answer.text.split("\n")[0] == "Đã ghi nhận: đồng chí tham dự. Cảm ơn đồng chí."
    assert [r.answer for r in _rsvps(chat.bot)] == [RsvpAnswer.ATTENDING]

    reason_prompt = await chat.choose(lan, private, "🙏 Vắng có lý do")
    # The tap's toast on Telegram comes as a message before the question on Zalo.
    toast = last_toast(chat) if chat.telegram else chat.received(lan)[-2]
    assert "lý do" in toast
    assert "Chỉ chi ủy được xem" in reason_prompt.text
    noted = await chat.choose(lan, reason_prompt, "Đi công tác, học tập")
    assert "Đi công tác, học tập" in noted.text
    [rsvp] = _rsvps(chat.bot)
    assert rsvp.answer == RsvpAnswer.EXCUSED

    listing = await chat.say(lan, "/lichhop")
    assert "Câu trả lời của đồng chí: đồng chí vắng (có lý do)." in listing.text
    if chat.telegram:
        assert lan.tg is not None
        lan_id = lan.tg.id
        ics = await chat.api.next_call(
            "sendDocument", where=lambda c: c.params["chat_id"] == lan_id
        )
        assert ics.result["document"]["file_name"] == "hop-chi-bo-2026-11-26.ics"
        content = chat.api.file_bytes(ics.result["document"]["file_id"]).decode()
        assert "DTSTART:20261126T123000Z" in content
        assert "Hội trường tầng 2" in content
    else:
        # Zalo takes no files from the bot: the listing is text only.
        assert lan.zalo is not None
        assert not [
            c
            for c in chat.zapi.calls
            if c.method != "sendMessage" and c.params.get("chat_id") == lan.zalo.id
        ]


def _reminders(bot: Bot) -> list[MeetingReminder]:
    with bot.db.session() as session:
        return list(session.exec(select(MeetingReminder).order_by(MeetingReminder.id)))


def _group_texts(chat: Chat) -> list[str]:
    if chat.group is None:
        return []
    return [m["text"] for m in chat.api.messages_in(chat.group) if "text" in m]


def _nudges(chat: Chat, who: Someone, since: int = 0) -> list[str]:
    """The meeting reminders this person got privately, from their `since`-th message on."""
    return [t for t in chat.received(who)[since:] if t.startswith("⏰ Nhắc lịch")]


async def _scheduled(chat: Chat) -> tuple[Someone, Someone, Meeting]:
    secretary, lan = await _cell_with_member(chat)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    preview = await schedule_meeting(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    return secretary, lan, _meeting(chat.bot)


async def test_reminders_fire_once_each_and_the_last_one_in_the_group(chat: Chat) -> None:
    _, lan, meeting = await _scheduled(chat)
    assert [r.offset_minutes for r in _reminders(chat.bot)] == [4320, 1440, 120, 0]
    before = len(chat.received(lan))

    set_clock(chat.bot, meeting.starts_at - timedelta(days=3))
    await chat.bot.tick()
    await chat.bot.tick()
    reminders = _nudges(chat, lan, before)
    assert reminders == [reminders[0]]
    assert "còn 3 ngày nữa" in reminders[0]
    assert not any(t.startswith("⏰") for t in _group_texts(chat))

    # The bot is down across the 1-day mark and comes back 23½ hours before the start:
    # the 1-day reminder goes out late, says so, and says how long is really left.
    set_clock(chat.bot, meeting.starts_at - timedelta(hours=23, minutes=30))
    await chat.bot.tick()
    reminders = _nudges(chat, lan, before)
    assert len(reminders) == 2
    assert "còn 23 giờ nữa" in reminders[1]
    assert "gửi muộn" in reminders[1]

    set_clock(chat.bot, meeting.starts_at - timedelta(hours=2))
    await chat.bot.tick()
    # On Zalo the group's copy has nowhere to go: Lan still gets the 2-hour reminder once.
    reminders = _nudges(chat, lan, before)
    assert len(reminders) == 3
    assert "còn 2 giờ nữa" in reminders[2]
    assert "gửi muộn" not in reminders[2]
    if chat.telegram:
        assert any(t.startswith("⏰ Nhắc lịch: còn 2 giờ") for t in _group_texts(chat))


async def test_after_long_downtime_only_the_nearest_reminder_goes_out(chat: Chat) -> None:
    _, lan, meeting = await _scheduled(chat)
    before = len(chat.received(lan))

    set_clock(chat.bot, meeting.starts_at - timedelta(minutes=90))
    await chat.bot.tick()

    reminders = _nudges(chat, lan, before)
    assert len(reminders) == 1
    assert "còn 1 giờ nữa" in reminders[0]
    assert "gửi muộn" in reminders[0]
    outcomes = {r.offset_minutes: r.outcome for r in _reminders(chat.bot)}
    assert outcomes == {4320: "skipped", 1440: "skipped", 120: "late", 0: None}


async def test_excused_members_get_no_reminders(chat: Chat) -> None:
    _, lan, meeting = await _scheduled(chat)
    notice = latest(chat, lan)
    assert notice.text.startswith("Thông báo sinh hoạt")
    prompt = await chat.choose(lan, notice, "🙏 Vắng có lý do")
    await chat.choose(lan, prompt, "Ốm đau")
    assert [r.answer for r in _rsvps(chat.bot)] == [RsvpAnswer.EXCUSED]
    count = len(chat.received(lan))

    set_clock(chat.bot, meeting.starts_at - timedelta(days=3))
    await chat.bot.tick()

    assert len(chat.received(lan)) == count


async def test_restart_between_scheduling_and_reminder_sends_it_exactly_once(
    chat: Chat,
) -> None:
    _, lan, meeting = await _scheduled(chat)
    bot = chat.bot
    both_channels = zalo_overrides(chat.zapi)
    await bot.stop()
    restarted = await launch(bot.api, bot.database_url, bot.clock, **both_channels)
    try:
        set_clock(restarted, meeting.starts_at - timedelta(days=3, minutes=-1))
        await restarted.tick()
        await restarted.tick()
    finally:
        await restarted.stop()
    third = await launch(bot.api, bot.database_url, bot.clock, **both_channels)
    try:
        await third.tick()
    finally:
        await third.stop()
    reminders = [t for t in chat.received(lan) if t.startswith("⏰")]
    assert len(reminders) == 1


async def test_down_across_the_meeting_start_skips_its_reminders(chat: Chat) -> None:
    _, lan, meeting = await _scheduled(chat)
    before = len(chat.received(lan))

    set_clock(chat.bot, meeting.starts_at + timedelta(minutes=5))
    await chat.bot.tick()

    assert not any(t.startswith("⏰") for t in chat.received(lan))
    outcomes = {r.offset_minutes: r.outcome for r in _reminders(chat.bot)}
    # The start message (offset 0) still invites the self check-in while the meeting runs:
    # in the group on Telegram, to each member privately on Zalo.
    assert outcomes == {4320: "skipped", 1440: "skipped", 120: "skipped", 0: "sent"}
    to_lan = [t for t in chat.received(lan)[before:] if t.startswith("🔔")]
    if chat.telegram:
        assert to_lan == []
        assert len([t for t in _group_texts(chat) if t.startswith("🔔")]) == 1
    else:
        assert len(to_lan) == 1
        assert "\n1. ✋ Tôi có mặt" in to_lan[0]


async def _edit_actions(chat: Chat, secretary: Someone) -> Msg:
    """Opens /lichhop → "✏️ Sửa hoặc hủy"; returns the screen that asks what to change."""
    listing = await chat.say(secretary, "/lichhop")
    actions = await chat.choose(secretary, listing, "✏️ Sửa hoặc hủy")
    assert "muốn thay đổi gì" in actions.text
    return actions


async def test_moving_a_meeting_notifies_and_rederives_reminders(chat: Chat) -> None:
    secretary, lan, _ = await _scheduled(chat)
    actions = await _edit_actions(chat, secretary)
    when = await chat.choose(secretary, actions, "Đổi ngày hoặc giờ")
    assert "Ngày và/hoặc giờ mới" in when.text
    confirm = await chat.say(secretary, "27/11 20h")
    assert "→ 20:00, Thứ Sáu, 27/11/2026" in confirm.text
    saved = await choose_all(chat, secretary, confirm, "✅ Xác nhận")
    assert "Đã lưu và đã thông báo cho mọi người." in saved
    await chat.bot.settle()

    changed = chat.received(lan)[-1]
    assert "Thay đổi lịch họp" in changed
    assert "20:00, Thứ Sáu, 27/11/2026" in changed
    if chat.telegram:
        assert "20:00, Thứ Sáu, 27/11/2026" in _group_texts(chat)[-1]
    pending = [r for r in _reminders(chat.bot) if r.done_at is None]
    moved = _meeting(chat.bot)
    assert moved.version == 2
    assert sorted(r.due_at for r in pending) == sorted(
        moved.starts_at - timedelta(minutes=m) for m in (4320, 1440, 120, 0)
    )


async def test_two_committee_members_editing_at_once(chat: Chat) -> None:
    secretary, _, meeting = await _scheduled(chat)
    first = await _edit_actions(chat, secretary)
    # Someone else moves it meanwhile (through the same service the form calls).
    with chat.bot.db.session() as session:
        person = people.get_person(
            session=session, channel=chat.channel, external_id=str(secretary.chat_id)
        )
        assert person is not None
        meeting_service.reschedule(
            session=session,
            meeting_id=meeting.id or 0,
            version=meeting.version,
            actor=person,
            now=chat.bot.clock.now(),
            place="Phòng họp số 3",
        )
    confirm = await chat.choose(secretary, first, "Hủy cuộc họp")
    answer = await chat.choose(secretary, confirm, "✅ Xác nhận")
    assert "vừa thay đổi cuộc họp này" in answer.text
    if chat.telegram:
        assert answer.toast
    assert _meeting(chat.bot).status == "scheduled"


async def test_cancel_then_old_buttons_are_answered(chat: Chat) -> None:
    secretary, lan, meeting = await _scheduled(chat)
    notice = latest(chat, lan)
    assert notice.text.startswith("Thông báo sinh hoạt")
    actions = await _edit_actions(chat, secretary)
    confirm = await chat.choose(secretary, actions, "Hủy cuộc họp")
    done = await choose_all(chat, secretary, confirm, "✅ Xác nhận")
    assert "Đã hủy và đã thông báo cho mọi người." in done
    await chat.bot.settle()
    assert "Hủy cuộc họp" in chat.received(lan)[-1]
    if chat.telegram:
        assert "Hủy cuộc họp" in _group_texts(chat)[-1]

    # Telegram: Lan taps the old notice's button; Zalo: she types its number after the cancel.
    answer = await chat.choose(lan, notice, "✅ Tham dự")
    assert answer.text == "Cuộc họp này đã bị hủy."
    assert _rsvps(chat.bot) == []
    set_clock(chat.bot, meeting.starts_at - timedelta(days=1))
    await chat.bot.tick()
    assert not any(t.startswith("⏰") for t in chat.received(lan))


async def test_rsvp_from_someone_outside_the_cell(bot: Bot) -> None:
    # Forged callback data: a Telegram-only mechanism (Zalo has no hidden data to forge).
    _, _, meeting = await _scheduled(telegram_only(bot))
    stranger = bot.api.add_user("Người Lạ")
    own = await bot.say(stranger, "/start")

    answer = await bot.tap_data(stranger, own, f"rsvp|{meeting.id}|a")

    assert answer["text"] == "Đồng chí không thuộc chi bộ của cuộc họp này."
    assert _rsvps(bot) == []


async def test_bad_dates_and_times_are_explained(chat: Chat) -> None:
    secretary, _ = await _cell_with_member(chat)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    menu = await chat.say(secretary, "/taohop")
    await chat.choose(secretary, menu, "Sinh hoạt chuyên đề")
    too_long = await chat.say(secretary, "x" * 600)
    assert "Chủ đề quá dài" in too_long.text
    await chat.say(secretary, "Chuyên đề quý IV")

    assert "không có trên lịch" in (await chat.say(secretary, "31/02")).text
    assert "đã qua" in (await chat.say(secretary, "20/11/2026")).text
    time_prompt = await chat.say(secretary, "mai")
    assert "Mấy giờ?" in time_prompt.text
    assert "Giờ này không hợp lệ" in (await chat.say(secretary, "25:00")).text


async def test_mai_just_after_midnight_is_shown_in_the_preview(chat: Chat) -> None:
    secretary, _ = await _cell_with_member(chat)
    # 00:05 on Monday 23/11 in Hà Nội: "mai" is Tuesday 24/11.
    set_clock(chat.bot, datetime(2026, 11, 22, 17, 5, tzinfo=UTC))

    preview = await schedule_meeting(chat, secretary, when="mai 19h30")

    assert "Ngày đã hiểu: Thứ Ba, 24/11/2026." in preview.text


async def test_english_secretary_schedules_with_english_words(chat: Chat) -> None:
    secretary, lan = await _cell_with_member(chat)
    picker = await chat.say(secretary, "/language")
    await chat.choose(secretary, picker, "English")
    set_clock(chat.bot, HANOI_SUNDAY_10AM)

    menu = await chat.say(secretary, "/newmeeting")
    assert shown(menu) == "What kind of meeting?"
    topic = await chat.choose(secretary, menu, "Regular meeting (sinh hoạt thường kỳ)")
    day = await chat.choose(secretary, topic, "Skip")
    assert day.text.startswith("Which day?")
    duration = await chat.say(secretary, "tomorrow 7:30 pm")
    place = await chat.choose(secretary, duration, "90 minutes (recommended)")
    assert place.text.startswith("Where?")
    chair = await chat.say(secretary, "Meeting room 2")
    presenter = await chat.choose(secretary, chair, "Nguyễn Văn Bình")
    agenda = await chat.choose(secretary, presenter, "No presenter")
    recurrence = await chat.choose(secretary, agenda, "Skip")
    reminders = await chat.choose(secretary, recurrence, "Monthly on day 23")
    assert reminders.text.startswith("When should I remind members?")
    preview = await chat.say(secretary, "1 day, 2 hours")
    assert "Day understood: Monday, 23 Nov 2026." in preview.text
    assert "Repeats: Monthly on day 23." in preview.text
    assert "Reminders before: 1 day, 2 hours." in preview.text
    done = await choose_all(chat, secretary, preview, "✅ Confirm")
    assert any(t.startswith("Scheduled, and the notice was sent") for t in done), done
    await chat.bot.settle()

    # Lan reads Vietnamese: her copy of the notice is in her language.
    notice = chat.last(lan)
    assert notice.startswith("Thông báo sinh hoạt")
    assert "19:30, Thứ Hai, 23/11/2026" in notice


async def test_after_a_move_the_old_notice_records_nothing_and_answers_are_asked_again(
    chat: Chat,
) -> None:
    """The old notice's buttons say the meeting changed and record nothing; the change notice
    says what changed (old → new); answers given for the old time no longer count."""
    secretary, lan, _ = await _scheduled(chat)
    notice = latest(chat, lan)
    await chat.choose(lan, notice, "✅ Tham dự")
    assert [r.answer for r in _rsvps(chat.bot)] == [RsvpAnswer.ATTENDING]

    actions = await _edit_actions(chat, secretary)
    await chat.choose(secretary, actions, "Đổi ngày hoặc giờ")
    confirm = await chat.say(secretary, "27/11 20h")
    await choose_all(chat, secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()
    changed = latest(chat, lan)
    assert "🕖 Thời gian: 19:30, Thứ Năm, 26/11/2026 → 20:00, Thứ Sáu, 27/11/2026" in (
        changed.text
    )
    assert "các câu trả lời trước không còn giá trị" in changed.text
    assert _rsvps(chat.bot) == []  # the earlier answer was for another time

    if chat.telegram:
        # (On Zalo a typed number always answers the newest list: no old notice to tap.)
        stale = await chat.choose(lan, notice, "✅ Tham dự")
        assert "Lịch họp đã thay đổi sau thông báo đó" in stale.text
        assert _rsvps(chat.bot) == []
    await chat.choose(lan, changed, "✅ Tham dự")
    assert [r.answer for r in _rsvps(chat.bot)] == [RsvpAnswer.ATTENDING]

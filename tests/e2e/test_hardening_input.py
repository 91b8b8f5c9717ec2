"""Hostile input end to end: invisible characters stripped from typed fields, user strings
shown escaped, forged buttons answered — on Telegram (HTML, buttons) and on Zalo (plain text,
typed numbers)."""

from __future__ import annotations

from sqlmodel import select

from bot.models import Meeting, Rsvp, RsvpAnswer
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.conftest import Bot
from tests.e2e.test_meetings import (
    HANOI_SUNDAY_10AM,
    _cell_with_member,
    last_toast,
    latest,
    on_telegram,
    schedule_meeting,
    set_clock,
    telegram_only,
)

MARKUP = "<b>x</b> & <script>"
INVISIBLE = "\u200b\u202e\u2066\ufeff\x07\u2069\u202c\u200d"


def _meeting(chat: Chat) -> Meeting:
    with chat.bot.db.session() as session:
        return session.exec(select(Meeting)).one()


def _refused_html(chat: Chat, who: Someone) -> list[str]:
    """The messages to this person that Telegram refused (HTML it could not parse): each one
    then goes out again as plain text, showing the bot's own tags."""
    if who.tg is None:
        return []
    return [
        str(c.params.get("text"))
        for c in chat.api.calls
        if c.method in {"sendMessage", "editMessageText"}
        and c.params.get("chat_id") == who.tg.id
        and c.result is None
    ]


def _shows_markup_as_typed(chat: Chat, who: Someone, msg: Msg) -> None:
    assert MARKUP in msg.text, msg.text
    assert _refused_html(chat, who) == []


async def _theme_prompt(chat: Chat, secretary: Someone) -> Msg:
    menu = await chat.say(secretary, "/taohop")
    return await chat.choose(secretary, menu, "Sinh hoạt chuyên đề")


async def test_invisible_characters_are_stripped_and_an_invisible_field_is_empty(
    chat: Chat,
) -> None:
    secretary, _ = await _cell_with_member(chat)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    await _theme_prompt(chat, secretary)

    refused = await chat.say(secretary, INVISIBLE)
    assert "Đồng chí hãy gõ chủ đề của buổi sinh hoạt." in refused.text
    day = await chat.say(secretary, f"Học\u200b tập\u202e và làm theo Bác{INVISIBLE}")
    assert day.text.startswith("Ngày nào?")
    duration = await chat.say(secretary, "thứ 5 tuần sau 19h30")
    place = await chat.choose(secretary, duration, duration.options[0])
    assert place.text.startswith("Ở đâu?")
    again = await chat.say(secretary, f"  {INVISIBLE} \u2060 ")
    assert "Đồng chí hãy gõ địa điểm hoặc đường link." in again.text
    chair = await chat.say(secretary, "\u2066Hội trường\u2069 tầng\u200c 2")
    presenter = await chat.choose(secretary, chair, "Nguyễn Văn Bình")
    agenda = await chat.choose(secretary, presenter, "Trần Thị Lan")
    recurrence = await chat.choose(secretary, agenda, "Bỏ qua")
    reminders = await chat.choose(secretary, recurrence, "Chỉ một lần")
    preview = await chat.choose(secretary, reminders, reminders.options[0])
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()

    meeting = _meeting(chat)
    assert meeting.topic == "Học tập và làm theo Bác"
    assert meeting.place == "Hội trường tầng 2"


async def test_an_english_reason_of_invisible_characters_is_refused_as_empty(chat: Chat) -> None:
    secretary, lan = await _cell_with_member(chat)
    picker = await chat.say(lan, "/language")
    await chat.choose(lan, picker, "English")
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    menu = await chat.say(secretary, "/taohop")
    topic = await chat.choose(secretary, menu, "Sinh hoạt thường kỳ")
    await chat.choose(secretary, topic, "Bỏ qua")
    duration = await chat.say(secretary, "thứ 5 tuần sau 19h30")
    await chat.choose(secretary, duration, duration.options[0])
    chair = await chat.say(secretary, "Hội trường")
    presenter = await chat.choose(secretary, chair, "Nguyễn Văn Bình")
    agenda = await chat.choose(secretary, presenter, "Không có báo cáo viên")
    recurrence = await chat.choose(secretary, agenda, "Bỏ qua")
    reminders = await chat.choose(secretary, recurrence, "Chỉ một lần")
    preview = await chat.choose(secretary, reminders, reminders.options[0])
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()

    notice = latest(chat, lan)
    prompt = await chat.choose(lan, notice, "🙏 Excused absence")
    assert "Only the cell committee sees it." in prompt.text
    refused = await chat.say(lan, INVISIBLE)
    assert "Please give a reason." in refused.text
    with chat.bot.db.session() as session:
        [rsvp] = session.exec(select(Rsvp)).all()
    assert rsvp.reason is None
    noted = await chat.say(lan, f"Ốm\u200b{INVISIBLE}")
    assert "(reason: Ốm)" in noted.text


async def test_markup_typed_as_theme_place_and_reason_is_shown_as_typed(chat: Chat) -> None:
    secretary, lan = await _cell_with_member(chat)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    await _theme_prompt(chat, secretary)
    day = await chat.say(secretary, MARKUP)
    duration = await chat.say(secretary, "thứ 5 tuần sau 19h30")
    await chat.choose(secretary, duration, duration.options[0])
    chair = await chat.say(secretary, MARKUP)
    presenter = await chat.choose(secretary, chair, "Nguyễn Văn Bình")
    agenda = await chat.choose(secretary, presenter, "Trần Thị Lan")
    recurrence = await chat.choose(secretary, agenda, "Bỏ qua")
    reminders = await chat.choose(secretary, recurrence, "Chỉ một lần")
    preview = await chat.choose(secretary, reminders, reminders.options[0])
    assert day.text.startswith("Ngày nào?")
    _shows_markup_as_typed(chat, secretary, preview)
    assert preview.text.count(MARKUP) == 2  # the theme and the place
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()

    # The member's notice, then her excused absence with a typed reason.
    notice = latest(chat, lan)
    _shows_markup_as_typed(chat, lan, notice)
    prompt = await chat.choose(lan, notice, "🙏 Vắng có lý do")
    assert "Chỉ chi ủy được xem" in prompt.text
    noted = await chat.say(lan, MARKUP)
    assert noted.text.startswith("Đã ghi nhận")
    _shows_markup_as_typed(chat, lan, noted)
    with chat.bot.db.session() as session:
        [rsvp] = session.exec(select(Rsvp)).all()
    assert (rsvp.answer, rsvp.reason) == (RsvpAnswer.EXCUSED, MARKUP)

    # A new place: the secretary's confirmation quotes it as typed.
    listing = await chat.say(secretary, "/lichhop")
    actions = await chat.choose(secretary, listing, "✏️ Sửa hoặc hủy")
    place = await chat.choose(secretary, actions, "Đổi địa điểm")
    assert place.text.startswith("Địa điểm hoặc đường link mới:")
    moved = f"{MARKUP} 2"
    confirm = await chat.say(secretary, moved)
    assert f"→ {moved}" in confirm.text
    _shows_markup_as_typed(chat, secretary, confirm)
    await chat.choose(secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()
    assert _meeting(chat).place == moved
    _shows_markup_as_typed(chat, lan, latest(chat, lan))


def _answers(chat: Chat, query_id: str) -> list[dict[str, object]]:
    return [
        c.params
        for c in chat.api.calls_of("answerCallbackQuery")
        if c.params.get("callback_query_id") == query_id
    ]


async def test_forged_buttons_are_answered_and_change_nothing(bot: Bot) -> None:
    # Hidden callback data is a Telegram mechanism: Zalo's typed numbers are checked apart.
    chat = telegram_only(bot)
    secretary, lan = await _cell_with_member(chat)
    set_clock(bot, HANOI_SUNDAY_10AM)
    preview = await schedule_meeting(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await bot.settle()
    meeting = _meeting(chat)
    assert lan.tg is not None
    own = bot.api.last_message(lan.tg)
    assert own is not None
    sent_before = len(chat.received(lan))

    forged = [
        "x" * 300,
        "",
        f"rsvp|{meeting.id}|a|extra",
        f"rsvp|{meeting.id}{'9' * 30}|a",
        "rsvp|987654|a",
        "rc|987654",
    ]
    for data in forged:
        answer = await bot.tap_data(lan.tg, own, data)
        assert str(answer["text"]).startswith("Nút này không còn hiệu lực."), (data, answer)
    # A callback query without any data (a game button, a broken client).
    callback = bot.api.world.new_callback(lan.tg, None)
    bot.api.queue.push(
        "callback_query",
        {
            "id": callback.id,
            "from": lan.tg.to_dict(),
            "message": own,
            "chat_instance": "1",
            "game_short_name": "x",
        },
    )
    await bot.api.next_call(
        "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == callback.id
    )
    [answer] = _answers(chat, callback.id)
    assert answer["text"] == "Nút này không còn hiệu lực."

    await bot.settle()
    assert len(chat.received(lan)) == sent_before
    with bot.db.session() as session:
        assert session.exec(select(Rsvp)).all() == []
    # The real button still works.
    taken = await chat.choose(lan, on_telegram(own), "✅ Tham dự")
    assert taken.raw is not None
    assert taken.raw["message_id"] == own["message_id"]
    assert taken.text.endswith("Đồng chí đã chọn: Tham dự — bấm để đổi.")
    assert last_toast(chat) == "Đã ghi nhận: đồng chí tham dự. Cảm ơn đồng chí."

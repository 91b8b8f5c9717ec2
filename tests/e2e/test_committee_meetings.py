"""Who a meeting is for: a họp chi ủy reaches the committee alone — its notice, reminders,
"Tôi có mặt", roll call and answers — never the group or a plain member; chair and presenter
are chosen among joined, expected members (the committee's for a họp chi ủy); a meeting
shorter than the guidance asks is flagged before it is sent. Telegram and Zalo alike."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.models import Meeting, MeetingKind
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.test_meetings import HANOI_SUNDAY_10AM, _group_texts, set_clock, shown


async def committee_cell(chat: Chat) -> tuple[Someone, Someone, Someone, Someone]:
    """The secretary, a committee member (Hương), a member (Lan) and an exempt member (Thành),
    all joined; on Telegram, Hương and Lan are in the group."""
    secretary, people = await chat.cell_with_members(["Trần Thị Lan"])
    keys = await chat.add_people(secretary, ["Trần Thị Hương"], role="Chi ủy viên")
    huong = chat.add("Trần Thị Hương")
    await chat.join(huong, keys["Trần Thị Hương"])
    keys = await chat.add_people(secretary, ["Ngô Văn Thành"], status="miễn sinh hoạt")
    thanh = chat.add("Ngô Văn Thành")
    await chat.join(thanh, keys["Ngô Văn Thành"])
    lan = people["Trần Thị Lan"]
    if chat.group is not None:
        for who in (lan, huong):
            assert who.tg is not None
            chat.api.add_to_group(chat.group, who.tg, announce=False)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    return secretary, huong, lan, thanh


async def form_to_chair(
    chat: Chat, secretary: Someone, kind: str, duration: str | None = None
) -> Msg:
    """Runs /taohop up to the chair question (the duration offered first, unless named)."""
    menu = await chat.say(secretary, "/taohop")
    await chat.choose(secretary, menu, kind)
    await chat.say(secretary, "Kiểm điểm công tác tháng")
    durations = await chat.say(secretary, "thứ 5 tuần sau 19h30")
    await chat.choose(secretary, durations, duration or durations.options[0])
    return await chat.say(secretary, "Phòng họp chi ủy")


async def chair_to_preview(
    chat: Chat, secretary: Someone, chair: Msg, who: str, never: str = ""
) -> Msg:
    """Chooses the secretary as chair and `who` as presenter (`never` must not be offered),
    then runs to the preview."""
    presenter = await chat.choose(secretary, chair, "Nguyễn Văn Bình")
    assert not never or never not in presenter.options
    agenda = await chat.choose(secretary, presenter, who)
    recurrence = await chat.say(secretary, "Đánh giá tháng\nNhiệm vụ tháng tới")
    reminders = await chat.choose(secretary, recurrence, "Chỉ một lần")
    del agenda
    return await chat.choose(secretary, reminders, reminders.options[0])


async def test_a_committee_meeting_reaches_the_committee_alone(chat: Chat) -> None:
    secretary, huong, lan, thanh = await committee_cell(chat)
    lan_before, thanh_before = len(chat.received(lan)), len(chat.received(thanh))
    group_before = len(_group_texts(chat))

    chair = await form_to_chair(chat, secretary, "Họp chi ủy")
    # Chair and presenter: the committee only (never Lan, never the exempt Thành).
    assert chair.options[:3] == ["Chưa phân công", "Nguyễn Văn Bình", "Trần Thị Hương"]
    assert "Trần Thị Lan" not in chair.options
    preview = await chair_to_preview(chat, secretary, chair, "Trần Thị Hương", "Trần Thị Lan")
    assert "thông báo chỉ gửi tới các đồng chí trong chi ủy" in preview.text
    assert "Ngắn hơn hướng dẫn" not in preview.text  # no minimum for a họp chi ủy
    before = len(chat.received(secretary))
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    done = chat.received(secretary)[before:]
    assert any(
        t.startswith("Đã lên lịch và đã gửi thông báo tới từng đồng chí chi ủy") for t in done
    )

    assert any("Họp chi ủy" in t for t in chat.received(huong))
    assert chat.received(lan)[lan_before:] == []
    assert chat.received(thanh)[thanh_before:] == []
    assert _group_texts(chat)[group_before:] == []

    # Lan's /lichhop does not list it; Hương's does.
    assert "Họp chi ủy" not in (await chat.say(lan, "/lichhop")).text
    assert "Họp chi ủy" in (await chat.say(huong, "/lichhop")).text

    # Reminders and "Tôi có mặt": the committee only, never the group.
    with chat.bot.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
    assert meeting.kind == MeetingKind.COMMITTEE
    lan_before = len(chat.received(lan))
    group_before = len(_group_texts(chat))
    for moment in (timedelta(days=3), timedelta(hours=2), timedelta(minutes=-1)):
        set_clock(chat.bot, meeting.starts_at - moment)
        await chat.bot.tick()
    assert chat.received(lan)[lan_before:] == []
    assert _group_texts(chat)[group_before:] == []
    assert any(t.startswith("⏰ Nhắc lịch") for t in chat.received(huong))

    # The roll call lists the committee alone.
    call = await chat.say(secretary, "/diemdanh")
    listed = call.text + " ".join(call.options)
    assert "Đã điểm danh 0/2" in call.text
    assert "Trần Thị Hương" in listed
    assert "Trần Thị Lan" not in listed


async def test_chair_choices_leave_out_exempt_and_unjoined_and_short_meetings_are_flagged(
    chat: Chat,
) -> None:
    secretary, _, _, _ = await committee_cell(chat)
    await chat.add_people(secretary, ["Phan Văn Chưa"])  # on the roster, never joined
    chair = await form_to_chair(chat, secretary, "Sinh hoạt chuyên đề")
    assert "Trần Thị Lan" in chair.options
    for absent in ("Ngô Văn Thành", "Phan Văn Chưa"):
        assert absent not in chair.options
    preview = await chair_to_preview(chat, secretary, chair, "Trần Thị Lan")
    assert "Ngắn hơn hướng dẫn" not in shown(preview)  # 90 minutes, as recommended
    # A 60-minute thematic meeting is flagged, citing the guidance.
    chair = await form_to_chair(chat, secretary, "Sinh hoạt chuyên đề", "60 phút")
    preview = await chair_to_preview(chat, secretary, chair, "Trần Thị Lan")
    assert (
        "⚠️ Ngắn hơn hướng dẫn: Hướng dẫn 42-HD/BTCTW (28/10/2025) quy định sinh hoạt chuyên đề "
        "ít nhất 90 phút; cuộc họp này chỉ 60 phút."
    ) in preview.text

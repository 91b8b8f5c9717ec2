"""Help, language, cancel, free text and the command menus — in every chat, for every role, on
Telegram and on Zalo (private chats) alike."""

from __future__ import annotations

import re

from tests.e2e.chat import Chat, Msg
from tests.e2e.conftest import Bot, launch, zalo_overrides
from tests.e2e.flows import add_people, join, linked_cell

_CHOICE = re.compile(r"^\d+\. ")


def _body(msg: Msg) -> str:
    """The message without the numbered choices Zalo lists under it (Telegram has buttons)."""
    if msg.raw is not None or msg.toast:
        return msg.text
    lines = msg.text.split("\n")
    while lines and _CHOICE.match(lines[-1]):
        lines.pop()
    return "\n".join(lines).rstrip("\n")


async def test_help_depends_on_role(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    keys = await chat.add_people(secretary, ["Trần Thị Lan"])
    lan = chat.add("Lan")
    await chat.join(lan, keys["Trần Thị Lan"])

    for_secretary = (await chat.say(secretary, "/trogiup")).text
    for_member = (await chat.say(lan, "/help")).text

    assert "/moi" in for_secretary
    assert "/dangvien" in for_secretary
    assert "/moi" not in for_member
    assert "/dangvien" not in for_member
    assert "/ngonngu" in for_member


async def test_help_in_the_group(bot: Bot) -> None:
    # Telegram only: Zalo has no usable groups.
    secretary, group = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"])
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])
    bot.api.add_to_group(group, lan, announce=False)

    in_group = (await bot.say(lan, "/trogiup", chat=group))["text"]

    # The group is linked already: /thietlap is not offered to members there.
    assert "/thietlap" not in in_group
    assert "tin nhắn riêng" in in_group
    # In a group not linked to any cell, it is.
    other = bot.api.add_group("Nhóm chưa liên kết", members=[lan], admins=[lan])
    assert "/thietlap" in (await bot.say(lan, "/trogiup", chat=other))["text"]


async def test_language_switch_is_remembered_across_restart(chat: Chat) -> None:
    stranger = chat.add("Anna")
    picker = await chat.say(stranger, "/ngonngu")
    assert _body(picker) == "Chọn ngôn ngữ:"
    done = await chat.choose(stranger, picker, "English")
    assert _body(done) == "Language set: English."

    await chat.bot.stop()
    restarted = await launch(
        chat.api, chat.bot.database_url, chat.bot.clock, **zalo_overrides(chat.zapi)
    )
    again = Chat(restarted, chat.zapi, chat.channel)
    try:
        reply = await again.say(stranger, "/start")
        assert reply.text.startswith("Greetings, comrade!")
        picker = await again.say(stranger, "/language")
        back = await again.choose(stranger, picker, "Tiếng Việt")
        assert _body(back) == "Đã chọn ngôn ngữ: Tiếng Việt."
    finally:
        await restarted.stop()
        restarted.db.dispose()


async def test_english_flow_end_to_end(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    picker = await chat.say(secretary, "/language")
    await chat.choose(secretary, picker, "English")

    menu = await chat.say(secretary, "/invite")
    assert _body(menu) == "What would you like to do?"
    prompt = await chat.choose(secretary, menu, "➕ Add people and create personal links")
    assert "one per line" in prompt.text
    role_prompt = await chat.say(secretary, "Trần Thị Lan")
    status_prompt = await chat.choose(secretary, role_prompt, "Party member (đảng viên)")
    confirm = await chat.choose(secretary, status_prompt, "full member (chính thức)")
    assert confirm.text.startswith("Add 1 comrade to the roster of Chi bộ Văn phòng")
    done = await chat.choose(secretary, confirm, "✅ Confirm")
    assert done.text.startswith("Added to the roster of Chi bộ Văn phòng.")
    roster = await chat.say(secretary, "/members")
    assert "2 comrades, 1 joined." in roster.text
    assert (
        "Trần Thị Lan — Party member (đảng viên); full member (chính thức); not joined yet"
        in roster.text
    )


async def test_cancel_and_free_text(chat: Chat) -> None:
    secretary = await chat.linked_cell()

    nothing = await chat.say(secretary, "/huy")
    assert _body(nothing) == "Không có biểu mẫu nào đang mở để thoát."
    chatter = await chat.say(secretary, "xin chào")
    assert chatter.text.startswith("Tôi chưa hiểu ý đồng chí.")
    unknown = await chat.say(secretary, "/khonglenh")
    assert unknown.text.startswith("Tôi không biết lệnh này.")

    menu = await chat.say(secretary, "/moi")
    await chat.choose(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    cancelled = await chat.say(secretary, "/huy")
    assert _body(cancelled) == "Đã thoát. Không có gì thay đổi."
    after = await chat.say(secretary, "Trần Thị Lan")
    assert after.text.startswith("Tôi chưa hiểu ý đồng chí.")


async def test_choice_answered_by_typing_its_number(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    await chat.say(secretary, "/moi")

    prompt = await chat.say(secretary, "1")
    assert "họ và tên" in prompt.text
    wrong = await chat.say(secretary, "   ")
    assert wrong.text.startswith("⚠️")


async def test_huge_text_gets_a_clear_reply(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    menu = await chat.say(secretary, "/moi")
    await chat.choose(secretary, menu, "➕ Thêm người và tạo link mời riêng")

    reply = await chat.say(secretary, "Nguyễn Văn A\n" * 400)

    assert "Nội dung quá dài" in reply.text


async def test_command_menus_per_scope_and_language(bot: Bot) -> None:
    # Telegram only: Zalo has no command menus.
    api = bot.api
    private_vi = {c["command"]: c["description"] for c in api.commands("all_private_chats", "")}
    private_en = {c["command"]: c["description"] for c in api.commands("all_private_chats", "en")}
    groups = {c["command"] for c in api.commands("all_group_chats", "")}
    admins = {c["command"] for c in api.commands("all_chat_administrators", "")}

    assert private_vi["lichhop"] == "Lịch họp sắp tới"
    assert private_en["lichhop"] == "Upcoming meetings"
    assert {"start", "trogiup", "lichhop", "camket", "ngonngu", "huy"} <= set(private_vi)
    # The committee's and the secretary's commands are in their own chats' menus only.
    assert not {"dangvien", "moi", "taohop"} & set(private_vi)
    assert "thietlap" not in groups
    assert "thietlap" in admins


async def test_committee_commands_in_the_group_answer_each_person_for_who_they_are(
    bot: Bot,
) -> None:
    """Telegram only (groups): a plain member is told the command is the committee's, someone
    outside the cell how to join, the secretary to use a private chat; a stranger in a private
    chat how to join, not that the command is the committee's."""
    secretary, group = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"])
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])
    guest = bot.api.add_user("Khách")
    for person in (lan, guest):
        bot.api.add_to_group(group, person, announce=False)

    for command in ("/taohop", "/dangvien", "/diemdanh"):
        member = (await bot.say(lan, command, chat=group))["text"]
        assert member.startswith("Chỉ chi ủy (bí thư, phó bí thư, chi ủy viên)"), member
    # (Someone outside the cell gets one answer an hour in the group.)
    stranger = (await bot.say(guest, "/dangvien", chat=group))["text"]
    assert stranger.startswith("Đồng chí chưa có tên trong danh sách chi bộ này."), stranger
    told = (await bot.say(secretary, "/taohop", chat=group))["text"]
    assert "tin nhắn riêng" in told
    alone = bot.api.add_user("Người Lạ")
    private = (await bot.say(alone, "/taohop"))["text"]
    assert private.startswith("Đồng chí chưa tham gia chi bộ nào."), private

"""Help, language, cancel, free text and the command menus — in every chat, for every role."""

from __future__ import annotations

from tests.e2e.conftest import Bot, launch
from tests.e2e.flows import add_people, join, linked_cell


async def test_help_depends_on_role_and_chat(bot: Bot) -> None:
    secretary, group = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"])
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])
    bot.api.add_to_group(group, lan, announce=False)

    for_secretary = (await bot.say(secretary, "/trogiup"))["text"]
    for_member = (await bot.say(lan, "/help"))["text"]
    in_group = (await bot.say(lan, "/trogiup", chat=group))["text"]

    assert "/moi" in for_secretary
    assert "/dangvien" in for_secretary
    assert "/moi" not in for_member
    assert "/dangvien" not in for_member
    assert "/ngonngu" in for_member
    assert "/thietlap" in in_group
    assert "tin nhắn riêng" in in_group


async def test_language_switch_is_remembered_across_restart(bot: Bot) -> None:
    stranger = bot.api.add_user("Anna")
    picker = await bot.say(stranger, "/ngonngu")
    assert picker["text"] == "Chọn ngôn ngữ:"
    done = await bot.tap_edit(stranger, picker, "English")
    assert done["text"] == "Language set: English."

    await bot.stop()
    restarted = await launch(bot.api, bot.db_path, bot.clock)
    try:
        reply = await restarted.say(stranger, "/start")
        assert reply["text"].startswith("Greetings, comrade!")
        picker = await restarted.say(stranger, "/language")
        back = await restarted.tap_edit(stranger, picker, "Tiếng Việt")
        assert back["text"] == "Đã chọn ngôn ngữ: Tiếng Việt."
    finally:
        await restarted.stop()


async def test_english_flow_end_to_end(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    picker = await bot.say(secretary, "/language")
    await bot.tap_edit(secretary, picker, "English")

    menu = await bot.say(secretary, "/invite")
    assert menu["text"] == "What would you like to do?"
    prompt = await bot.tap_edit(secretary, menu, "➕ Add people and create personal links")
    assert "one per line" in prompt["text"]
    role_prompt = await bot.say(secretary, "Trần Thị Lan")
    status_prompt = await bot.tap_edit(secretary, role_prompt, "Party member (đảng viên)")
    confirm = await bot.tap_edit(secretary, status_prompt, "full member (chính thức)")
    assert confirm["text"].startswith("Add 1 comrade to the roster of Chi bộ Văn phòng")
    done = await bot.tap_edit(secretary, confirm, "✅ Confirm")
    assert done["text"].startswith("Added to the roster of Chi bộ Văn phòng.")
    roster = await bot.say(secretary, "/members")
    assert "2 comrades, 1 joined." in roster["text"]
    assert (
        "Trần Thị Lan — Party member (đảng viên); full member (chính thức); not joined yet"
        in (roster["text"])
    )


async def test_cancel_and_free_text(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)

    nothing = await bot.say(secretary, "/huy")
    assert nothing["text"] == "Không có biểu mẫu nào đang mở để hủy."
    chatter = await bot.say(secretary, "xin chào")
    assert chatter["text"].startswith("Tôi chưa hiểu ý đồng chí.")
    unknown = await bot.say(secretary, "/khonglenh")
    assert unknown["text"].startswith("Tôi không biết lệnh này.")

    menu = await bot.say(secretary, "/moi")
    await bot.tap_edit(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    cancelled = await bot.say(secretary, "/huy")
    assert cancelled["text"] == "Đã hủy. Không có gì thay đổi."
    after = await bot.say(secretary, "Trần Thị Lan")
    assert after["text"].startswith("Tôi chưa hiểu ý đồng chí.")


async def test_choice_answered_by_typing_its_number(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    await bot.say(secretary, "/moi")

    prompt = await bot.say(secretary, "1")
    assert "họ và tên" in prompt["text"]
    wrong = await bot.say(secretary, "   ")
    assert wrong["text"].startswith("⚠️")


async def test_huge_text_gets_a_clear_reply(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    menu = await bot.say(secretary, "/moi")
    await bot.tap_edit(secretary, menu, "➕ Thêm người và tạo link mời riêng")

    reply = await bot.say(secretary, "Nguyễn Văn A\n" * 400)

    assert "Nội dung quá dài" in reply["text"]


async def test_command_menus_per_scope_and_language(bot: Bot) -> None:
    api = bot.api
    private_vi = {c["command"]: c["description"] for c in api.commands("all_private_chats", "")}
    private_en = {c["command"]: c["description"] for c in api.commands("all_private_chats", "en")}
    groups = {c["command"] for c in api.commands("all_group_chats", "")}
    admins = {c["command"] for c in api.commands("all_chat_administrators", "")}

    assert private_vi["moi"] == "Mời đảng viên (bí thư)"
    assert private_en["moi"] == "Invite members (secretary)"
    assert {"start", "trogiup", "dangvien", "moi", "ngonngu", "huy"} <= set(private_vi)
    assert "thietlap" not in groups
    assert "thietlap" in admins

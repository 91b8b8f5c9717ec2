"""Linking a cell's Telegram group with a one-time setup code."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.models import AuditEntry, Member, Organisation, Role
from tests.e2e.conftest import Bot


def _org(bot: Bot, name: str = "Chi bộ Văn phòng") -> Organisation:
    with bot.db.session() as session:
        return session.exec(select(Organisation).where(Organisation.name == name)).one()


async def test_admin_links_group_and_becomes_secretary(bot: Bot) -> None:
    api = bot.api
    admin = api.add_user("Lê Văn Hùng")
    group = api.add_group("Chi bộ Văn phòng", members=[admin], admins=[admin])
    code = bot.new_cell()

    greeting = await bot.say(admin, f"/thietlap {code}", chat=group)

    assert "Chào các đồng chí Chi bộ Văn phòng" in greeting["text"]
    assert "đồng chí Lê Văn Hùng là bí thư" in greeting["text"]
    org = _org(bot)
    assert org.group_chat_id == str(group.id)
    with bot.db.session() as session:
        secretary = session.exec(select(Member).where(Member.org_id == org.id)).one()
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "org.link_group")).one()
    assert secretary.role == Role.SECRETARY
    assert secretary.full_name == "Lê Văn Hùng"
    assert audit.after is not None
    assert audit.after["group_chat_id"] == str(group.id)


async def test_setup_alias_in_english(bot: Bot) -> None:
    api = bot.api
    admin = api.add_user("Anna", language_code="en")
    group = api.add_group("Cell abroad", members=[admin], admins=[admin])
    code = bot.new_cell("Chi bộ Ngoài nước")
    await bot.say(admin, "/ngonngu")
    picker = api.last_message(api.private_chat(admin))
    assert picker is not None
    edited = await bot.tap_edit(admin, picker, "English")
    assert edited["text"] == "Language set: English."

    greeting = await bot.say(admin, f"/setup@chibot_test_bot {code}", chat=group)

    assert greeting["text"].startswith("Greetings, comrades of Chi bộ Ngoài nước!")


async def test_bad_codes_link_nothing(bot: Bot) -> None:
    api = bot.api
    admin = api.add_user("Hùng")
    plain = api.add_user("Mai")
    group = api.add_group("Chi bộ Văn phòng", members=[admin, plain], admins=[admin])
    code = bot.new_cell()

    reply = await bot.say(admin, "/thietlap", chat=group)
    assert "kèm mã" in reply["text"]
    reply = await bot.say(admin, "/thietlap không-phải-mã", chat=group)
    assert "Mã thiết lập không hợp lệ" in reply["text"]
    reply = await bot.say(admin, "/thietlap AAAAAAAAAAAAAAAAAAAAAA", chat=group)
    assert "Mã thiết lập không hợp lệ" in reply["text"]
    reply = await bot.say(plain, f"/thietlap {code}", chat=group)
    assert "Chỉ quản trị viên của nhóm" in reply["text"]
    reply = await bot.say(admin, f"/thietlap {code}")
    assert "dùng trong nhóm chat của chi bộ" in reply["text"]
    assert _org(bot).group_chat_id is None

    bot.clock.advance(timedelta(days=7, seconds=1))
    reply = await bot.say(admin, f"/thietlap {code}", chat=group)
    assert "đã hết hạn" in reply["text"]
    assert _org(bot).group_chat_id is None


async def test_code_is_single_use(bot: Bot) -> None:
    api = bot.api
    admin = api.add_user("Hùng")
    first = api.add_group("Nhóm 1", members=[admin], admins=[admin])
    second = api.add_group("Nhóm 2", members=[admin], admins=[admin])
    code = bot.new_cell()
    await bot.say(admin, f"/thietlap {code}", chat=first)

    reply = await bot.say(admin, f"/thietlap {code}", chat=second)

    assert "đã được sử dụng" in reply["text"]
    assert _org(bot).group_chat_id == str(first.id)


async def test_group_upgraded_to_supergroup_is_followed(bot: Bot) -> None:
    api = bot.api
    admin = api.add_user("Hùng")
    group = api.add_group("Chi bộ Văn phòng", members=[admin], admins=[admin])
    code = bot.new_cell()
    await bot.say(admin, f"/thietlap {code}", chat=group)

    supergroup = await api.migrate_group(group)
    help_reply = await bot.say(admin, "/trogiup", chat=supergroup)

    # The link followed the migration: the supergroup is the cell's, /thietlap is not offered.
    assert "/thietlap" not in help_reply["text"]
    assert _org(bot).group_chat_id == str(supergroup.id)

"""The roster view and its edits: who is in, who can be reached, role and status changes.

Private-chat scenarios run on Telegram (buttons) and on Zalo (typed numbers); the group and the
blocking events Telegram sends (Zalo sends none) stay on Telegram.
"""

from __future__ import annotations

import asyncio
import time

from sqlmodel import select

from bot.models import (
    Account,
    AuditEntry,
    Member,
    MemberStatus,
    Priority,
    Reachability,
    Role,
)
from bot.services import outbox
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.conftest import Bot, launch, zalo_overrides
from tests.e2e.flows import add_people, join, linked_cell


def _member(bot: Bot, name: str) -> Member:
    with bot.db.session() as session:
        return session.exec(select(Member).where(Member.full_name == name)).one()


def _app(chat: Chat) -> str:
    """The name the roster gives the app people use in this chat."""
    return "Telegram" if chat.telegram else "Zalo"


async def _pick(chat: Chat, secretary: Someone, roster: Msg, name: str) -> Msg:
    """Picks `name` on the roster: its button on Telegram, its number on Zalo; returns the
    edit form's first screen."""
    label = next(option for option in roster.options if option.endswith(name))
    return await chat.choose(secretary, roster, label)


async def _tap_data(chat: Chat, who: Someone, msg: Msg, data: str) -> str:
    """Telegram: taps raw callback data (forged or outdated) on `msg`; returns the toast."""
    assert who.tg is not None
    assert msg.raw is not None
    return str((await chat.bot.tap_data(who.tg, msg.raw, data))["text"])


async def test_roster_shows_role_status_joined_and_reachability(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    keys = await chat.add_people(secretary, ["Trần Thị Lan", "Phạm Văn Đức", "Hoàng Văn Em"])
    lan = chat.add("Lan")
    duc = chat.add("Đức")
    await chat.join(lan, keys["Trần Thị Lan"])
    await chat.join(duc, keys["Phạm Văn Đức"])
    # Đức blocks the bot; the next message the cell sends him bounces with 403.
    if chat.telegram:
        assert duc.tg is not None
        chat.api.user_blocks(duc.tg)
    else:
        assert duc.zalo is not None
        chat.zapi.user_blocks(duc.zalo)
    duc_member = _member(chat.bot, "Phạm Văn Đức")
    with chat.bot.db.session() as session:
        outbox.enqueue_message(
            session=session,
            dedupe_key="test:notice",
            chat_id=str(duc.chat_id),
            text="Thông báo",
            priority=Priority.BULK,
            person_id=duc_member.person_id,
            is_group=False,
            now=chat.bot.clock.now(),
            channel=chat.channel,
        )
    if chat.telegram:
        bounced = await chat.api.next_call(
            "sendMessage", where=lambda c: c.params["chat_id"] == duc.chat_id
        )
        assert bounced.result is None
        assert bounced.error is not None
        assert bounced.error["error_code"] == 403
    else:
        bounced = await chat.zapi.next_call(
            "sendMessage", where=lambda c: c.params.get("chat_id") == duc.chat_id and not c.ok
        )
        assert bounced.error is not None
        assert bounced.error["error_code"] == 403

    await chat.bot.settle()
    roster = await chat.say(secretary, "/dangvien")

    app = _app(chat)
    lines = roster.text.splitlines()
    assert lines[0] == "Danh sách đảng viên Chi bộ Văn phòng"
    assert lines[1] == "4 đồng chí, 3 đã tham gia."
    assert any(f"Nguyễn Văn Bình — Bí thư; chính thức; 🟢 {app}" in line for line in lines)
    assert any(f"Trần Thị Lan — Đảng viên; chính thức; 🟢 {app}" in line for line in lines)
    assert any(
        f"Phạm Văn Đức — Đảng viên; chính thức; 🔴 {app} (đã chặn bot)" in line for line in lines
    )
    assert any("Hoàng Văn Em — Đảng viên; chính thức; chưa tham gia" in line for line in lines)


async def test_secretary_changes_role_status_and_removes_with_audit(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    await chat.add_people(secretary, ["Trần Thị Lan", "Phạm Văn Đức"])
    roster = await chat.say(secretary, "/dangvien")

    async def roster_again() -> Msg:
        # Telegram: the first roster's buttons still work. Zalo: a number picks from the
        # latest list, so the secretary opens the roster again.
        return roster if chat.telegram else await chat.say(secretary, "/dangvien")

    actions = await _pick(chat, secretary, roster, "Trần Thị Lan")
    roles = await chat.choose(secretary, actions, "Đổi chức vụ")
    confirm = await chat.choose(secretary, roles, "Chi ủy viên")
    assert "từ Đảng viên thành Chi ủy viên" in confirm.text
    saved = await chat.choose(secretary, confirm, "✅ Xác nhận")
    assert saved.text == "Đã lưu: Trần Thị Lan — Chi ủy viên, chính thức."
    assert _member(chat.bot, "Trần Thị Lan").role == Role.COMMITTEE

    actions = await _pick(chat, secretary, await roster_again(), "Phạm Văn Đức")
    statuses = await chat.choose(secretary, actions, "Đổi loại đảng viên")
    confirm = await chat.choose(secretary, statuses, "dự bị")
    await chat.choose(secretary, confirm, "✅ Xác nhận")
    assert _member(chat.bot, "Phạm Văn Đức").status == MemberStatus.PROBATIONARY

    actions = await _pick(chat, secretary, await roster_again(), "Phạm Văn Đức")
    confirm = await chat.choose(secretary, actions, "Xóa khỏi danh sách")
    cancelled = await chat.choose(secretary, confirm, "✖️ Thoát")
    assert cancelled.text == "Đã thoát. Không có gì thay đổi."
    assert _member(chat.bot, "Phạm Văn Đức").removed_at is None

    actions = await _pick(chat, secretary, await roster_again(), "Phạm Văn Đức")
    confirm = await chat.choose(secretary, actions, "Xóa khỏi danh sách")
    removed = await chat.choose(secretary, confirm, "✅ Xác nhận")
    assert removed.text == "Đã xóa Phạm Văn Đức khỏi danh sách."
    assert _member(chat.bot, "Phạm Văn Đức").removed_at is not None

    with chat.bot.db.session() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action.in_(["member.update", "member.remove"]))  # type: ignore[attr-defined]
        ).all()
    assert [(e.action, e.target) for e in entries] == [
        ("member.update", "Trần Thị Lan"),
        ("member.update", "Phạm Văn Đức"),
        ("member.remove", "Phạm Văn Đức"),
    ]
    role_change = entries[0]
    assert role_change.before is not None
    assert role_change.before["role"] == "member"
    assert role_change.after is not None
    assert role_change.after["role"] == "committee"
    assert role_change.actor_label == "Nguyễn Văn Bình"


async def test_committee_sees_roster_without_edit_buttons(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    keys = await chat.add_people(secretary, ["Trần Thị Lan"], role="Chi ủy viên")
    lan = chat.add("Lan")
    await chat.join(lan, keys["Trần Thị Lan"])

    roster = await chat.say(lan, "/dangvien")

    assert "Trần Thị Lan — Chi ủy viên" in roster.text
    assert roster.options == []
    if chat.telegram:
        assert roster.raw is not None
        assert "reply_markup" not in roster.raw
        org_id = _member(chat.bot, "Trần Thị Lan").org_id
        secretary_id = _member(chat.bot, "Nguyễn Văn Bình").id
        # A forged member button.
        answer = await _tap_data(chat, lan, roster, f"mb|{org_id}|{secretary_id}")
        assert "Chỉ bí thư hoặc phó bí thư" in answer
    else:
        # No numbers are listed, so a typed number picks nobody (her last list was the
        # join form's, which is over).
        typed = await chat.say(lan, "1")
        assert "Hiện không có gì để chọn" in typed.text
    assert _member(chat.bot, "Nguyễn Văn Bình").role == Role.SECRETARY


async def test_button_of_another_persons_form(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    await chat.add_people(secretary, ["Trần Thị Lan"])
    member = chat.add("Lan")
    roster = await chat.say(secretary, "/dangvien")
    form = await _pick(chat, secretary, roster, "Trần Thị Lan")
    stranger_own = await chat.say(member, "/start")

    if chat.telegram:
        assert form.raw is not None
        data = form.raw["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        answer = await _tap_data(chat, member, stranger_own, data)
        assert answer == "Nút này thuộc biểu mẫu của đồng chí khác."
    else:
        # On Zalo the number of the secretary's form, typed by someone else, picks nothing.
        typed = await chat.say(member, str(form.number_of("Đổi chức vụ")))
        assert "Hiện không có gì để chọn" in typed.text

    assert _member(chat.bot, "Trần Thị Lan").role == Role.MEMBER
    # The secretary's form is untouched and goes on.
    roles = await chat.choose(secretary, form, "Đổi chức vụ")
    assert "Chi ủy viên" in roles.options


async def test_stale_button_after_restart_and_form_resumes(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    menu = await chat.say(secretary, "/moi")
    names_prompt = await chat.choose(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    assert "họ và tên" in names_prompt.text

    bot = chat.bot
    await bot.stop()
    restarted = await launch(bot.api, bot.database_url, bot.clock, **zalo_overrides(chat.zapi))
    again = Chat(restarted, chat.zapi, chat.channel)
    try:
        if again.telegram:
            assert menu.raw is not None
            data = menu.raw["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            stale = await _tap_data(again, secretary, menu, data)
            assert stale == (
                "Nút này đã cũ. Đồng chí trả lời câu hỏi mới nhất, hoặc gửi /moi để bắt đầu lại."
            )
        role_prompt = await again.say(secretary, "Trần Thị Lan")
        # The question alone (Zalo lists the roles after it).
        assert role_prompt.text.split("\n\n")[0] == "Chức vụ trong chi bộ:"
        status_prompt = await again.choose(secretary, role_prompt, "Đảng viên")
        confirm = await again.choose(secretary, status_prompt, "chính thức")
        done = await again.choose(secretary, confirm, "✅ Xác nhận")
        if again.telegram:
            assert "start=" in done.text
        again.invitations(done.text, ["Trần Thị Lan"])
        assert _member(restarted, "Trần Thị Lan").person_id is None
    finally:
        await restarted.stop()
        restarted.db.dispose()


async def test_roster_is_not_posted_in_the_group(bot: Bot) -> None:
    secretary, group = await linked_cell(bot)

    reply = await bot.say(secretary, "/dangvien", chat=group)

    assert reply["text"] == "Đồng chí hãy dùng lệnh này trong tin nhắn riêng với tôi."


async def reachability_becomes(bot: Bot, user_id: int, wanted: Reachability) -> None:
    """Waits until the bot has taken in a block or unblock (updates of different people are
    handled concurrently: receiving one says nothing of its being handled yet)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with bot.db.session() as session:
            account = session.exec(
                select(Account).where(
                    Account.channel == "telegram", Account.external_id == str(user_id)
                )
            ).one()
            if account.reachability == wanted:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the account did not become {wanted} within 10 s")


async def test_blocking_the_bot_shows_in_the_roster_at_once(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"])
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])

    bot.api.user_blocks(lan)
    await reachability_becomes(bot, lan.id, Reachability.BLOCKED)
    roster = await bot.say(secretary, "/dangvien")
    assert "Trần Thị Lan — Đảng viên; chính thức; 🔴 Telegram (đã chặn bot)" in roster["text"]

    bot.api.user_unblocks(lan)
    await reachability_becomes(bot, lan.id, Reachability.OK)
    roster = await bot.say(secretary, "/dangvien")
    assert "Trần Thị Lan — Đảng viên; chính thức; 🟢 Telegram" in roster["text"]

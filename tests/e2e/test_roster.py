"""The roster view and its edits: who is in, who can be reached, role and status changes."""

from __future__ import annotations

from sqlmodel import select

from bot.models import AuditEntry, Member, MemberStatus, Priority, Role
from bot.services import outbox
from tests.e2e.conftest import Bot, launch
from tests.e2e.flows import add_people, join, linked_cell


def _member(bot: Bot, name: str) -> Member:
    with bot.db.session() as session:
        return session.exec(select(Member).where(Member.full_name == name)).one()


async def test_roster_shows_role_status_joined_and_reachability(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan", "Phạm Văn Đức", "Hoàng Văn Em"])
    lan = bot.api.add_user("Lan")
    duc = bot.api.add_user("Đức")
    await join(bot, lan, tokens["Trần Thị Lan"])
    await join(bot, duc, tokens["Phạm Văn Đức"])
    # Đức blocks the bot; the next message the cell sends him bounces with 403.
    bot.api.user_blocks(duc)
    duc_member = _member(bot, "Phạm Văn Đức")
    with bot.db.session() as session:
        outbox.enqueue_message(
            session=session,
            dedupe_key="test:notice",
            chat_id=str(duc.id),
            text="Thông báo",
            priority=Priority.BULK,
            person_id=duc_member.person_id,
            now=bot.clock.now(),
        )
    bounced = await bot.api.next_call("sendMessage", where=lambda c: c.params["chat_id"] == duc.id)
    assert bounced.error is not None
    assert bounced.error["error_code"] == 403

    await bot.app.bot_data["deps"].dispatcher.drain()
    roster = await bot.say(secretary, "/dangvien")

    lines = roster["text"].splitlines()
    assert lines[0] == "Danh sách đảng viên Chi bộ Văn phòng"
    assert lines[1] == "4 đồng chí, 3 đã tham gia."
    assert any("Nguyễn Văn Bình — Bí thư; chính thức; nhận được tin" in line for line in lines)
    assert any("Trần Thị Lan — Đảng viên; chính thức; nhận được tin" in line for line in lines)
    assert any("Phạm Văn Đức — Đảng viên; chính thức; đã chặn bot" in line for line in lines)
    assert any("Hoàng Văn Em — Đảng viên; chính thức; chưa tham gia" in line for line in lines)


async def test_secretary_changes_role_status_and_removes_with_audit(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    await add_people(bot, secretary, ["Trần Thị Lan", "Phạm Văn Đức"])
    roster = await bot.say(secretary, "/dangvien")

    await bot.api.user_taps(
        secretary,
        roster,
        next(
            b["callback_data"]
            for row in roster["reply_markup"]["inline_keyboard"]
            for b in row
            if "Trần Thị Lan" in b["text"]
        ),
    )
    actions = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id
    )
    roles = await bot.tap_edit(secretary, actions.result, "Đổi chức vụ")
    confirm = await bot.tap_edit(secretary, roles, "Chi ủy viên")
    assert "từ Đảng viên thành Chi ủy viên" in confirm["text"]
    saved = await bot.tap_edit(secretary, confirm, "✅ Xác nhận")
    assert saved["text"] == "Đã lưu: Trần Thị Lan — Chi ủy viên, chính thức."
    assert _member(bot, "Trần Thị Lan").role == Role.COMMITTEE

    duc_id = _member(bot, "Phạm Văn Đức").id
    org_id = _member(bot, "Phạm Văn Đức").org_id
    await bot.api.user_taps(secretary, roster, f"mb|{org_id}|{duc_id}")
    actions = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id
    )
    statuses = await bot.tap_edit(secretary, actions.result, "Đổi loại đảng viên")
    confirm = await bot.tap_edit(secretary, statuses, "dự bị")
    await bot.tap_edit(secretary, confirm, "✅ Xác nhận")
    assert _member(bot, "Phạm Văn Đức").status == MemberStatus.PROBATIONARY

    await bot.api.user_taps(secretary, roster, f"mb|{org_id}|{duc_id}")
    actions = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id
    )
    confirm = await bot.tap_edit(secretary, actions.result, "Xóa khỏi danh sách")
    cancelled = await bot.tap_edit(secretary, confirm, "✖️ Hủy")
    assert cancelled["text"] == "Đã hủy. Không có gì thay đổi."
    assert _member(bot, "Phạm Văn Đức").removed_at is None

    await bot.api.user_taps(secretary, roster, f"mb|{org_id}|{duc_id}")
    actions = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id
    )
    confirm = await bot.tap_edit(secretary, actions.result, "Xóa khỏi danh sách")
    removed = await bot.tap_edit(secretary, confirm, "✅ Xác nhận")
    assert removed["text"] == "Đã xóa Phạm Văn Đức khỏi danh sách."
    assert _member(bot, "Phạm Văn Đức").removed_at is not None

    with bot.db.session() as session:
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


async def test_committee_sees_roster_without_edit_buttons(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"], role="Chi ủy viên")
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])

    roster = await bot.say(lan, "/dangvien")

    assert "Trần Thị Lan — Chi ủy viên" in roster["text"]
    assert "reply_markup" not in roster
    org_id = _member(bot, "Trần Thị Lan").org_id
    secretary_id = _member(bot, "Nguyễn Văn Bình").id
    answer = await bot.tap_data(lan, roster, f"mb|{org_id}|{secretary_id}")
    assert "Chỉ bí thư hoặc phó bí thư" in answer["text"]


async def test_roster_is_not_posted_in_the_group(bot: Bot) -> None:
    secretary, group = await linked_cell(bot)

    reply = await bot.say(secretary, "/dangvien", chat=group)

    assert reply["text"] == "Đồng chí hãy dùng lệnh này trong tin nhắn riêng với tôi."


async def test_button_of_another_persons_form(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    await add_people(bot, secretary, ["Trần Thị Lan"])
    member = bot.api.add_user("Lan")
    roster = await bot.say(secretary, "/dangvien")
    org_id = _member(bot, "Trần Thị Lan").org_id
    lan_id = _member(bot, "Trần Thị Lan").id
    await bot.api.user_taps(secretary, roster, f"mb|{org_id}|{lan_id}")
    form = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id
    )
    stranger_own = await bot.say(member, "/start")
    data = form.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    answer = await bot.tap_data(member, stranger_own, data)

    assert answer["text"] == "Nút này thuộc biểu mẫu của đồng chí khác."
    assert _member(bot, "Trần Thị Lan").role == Role.MEMBER


async def test_stale_button_after_restart_and_form_resumes(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    menu = await bot.say(secretary, "/moi")
    names_prompt = await bot.tap_edit(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    assert "họ và tên" in names_prompt["text"]

    await bot.stop()
    restarted = await launch(bot.api, bot.db_path, bot.clock)
    try:
        stale = await restarted.tap_data(
            secretary, menu, menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        )
        assert stale["text"] == "Nút này đã cũ. Đồng chí hãy bắt đầu lại từ lệnh."
        role_prompt = await restarted.say(secretary, "Trần Thị Lan")
        assert role_prompt["text"] == "Chức vụ trong chi bộ:"
        status_prompt = await restarted.tap_edit(secretary, role_prompt, "Đảng viên")
        confirm = await restarted.tap_edit(secretary, status_prompt, "chính thức")
        done = await restarted.tap_edit(secretary, confirm, "✅ Xác nhận")
        assert "start=" in done["text"]
        assert _member(restarted, "Trần Thị Lan").person_id is None
    finally:
        await restarted.stop()


async def test_blocking_the_bot_shows_in_the_roster_at_once(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"])
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])

    bot.api.user_blocks(lan)
    await bot.api.next_call("getUpdates", where=lambda c: bool(c.result))
    roster = await bot.say(secretary, "/dangvien")
    assert "Trần Thị Lan — Đảng viên; chính thức; đã chặn bot" in roster["text"]

    bot.api.user_unblocks(lan)
    await bot.api.next_call("getUpdates", where=lambda c: bool(c.result))
    roster = await bot.say(secretary, "/dangvien")
    assert "Trần Thị Lan — Đảng viên; chính thức; nhận được tin" in roster["text"]

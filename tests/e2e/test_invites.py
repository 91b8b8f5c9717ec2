"""Bringing members in: personal links from the roster form, cell links with approval."""

from __future__ import annotations

import time
import unicodedata

from sqlmodel import col, select

from bot.models import AuditEntry, JoinRequest, Member, MemberStatus, Role
from tests.e2e.conftest import Bot
from tests.e2e.flows import LINK, add_people, join, linked_cell


def _members(bot: Bot) -> dict[str, Member]:
    with bot.db.session() as session:
        rows = session.exec(select(Member).where(col(Member.removed_at).is_(None))).all()
    return {m.full_name: m for m in rows}


async def test_roster_form_gives_personal_links_and_members_join(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    tokens = await add_people(
        bot, secretary, ["Trần Thị Lan", "Phạm Văn Đức"], role="Đảng viên", status="dự bị"
    )
    lan = bot.api.add_user("Lan")

    invitation = await bot.say(lan, f"/start {tokens['Trần Thị Lan']}")
    assert "Chi bộ Văn phòng" in invitation["text"]
    assert "Trần Thị Lan" in invitation["text"]
    assert "dự bị" in invitation["text"]
    since = time.monotonic()
    welcome = await bot.tap_edit(lan, invitation, "✅ Xác nhận")

    assert welcome["text"].startswith("Chào mừng đồng chí Trần Thị Lan!")
    notice = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id and c.at >= since
    )
    assert "Đồng chí Trần Thị Lan đã tham gia" in notice.result["text"]
    roster = _members(bot)
    assert roster["Trần Thị Lan"].person_id is not None
    assert roster["Trần Thị Lan"].status == MemberStatus.PROBATIONARY
    assert roster["Phạm Văn Đức"].person_id is None


async def test_used_token_and_joining_twice_change_nothing(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"])
    lan = bot.api.add_user("Lan")
    impostor = bot.api.add_user("Kẻ Lạ")
    await join(bot, lan, tokens["Trần Thị Lan"])

    again = await bot.say(lan, f"/start {tokens['Trần Thị Lan']}")
    assert "đã là thành viên" in again["text"]
    stolen = await bot.say(impostor, f"/start {tokens['Trần Thị Lan']}")
    assert "đã được sử dụng" in stolen["text"]
    garbage = await bot.say(impostor, "/start <script>alert(1)</script>")
    assert "Link mời không hợp lệ" in garbage["text"]
    unknown = await bot.say(impostor, "/start AAAAAAAAAAAAAAAAAAAAAA")
    assert "Link mời không hợp lệ" in unknown["text"]

    with bot.db.session() as session:
        count = len(session.exec(select(Member)).all())
    assert count == 2


async def test_start_without_token_explains_how_to_join(bot: Bot) -> None:
    stranger = bot.api.add_user("Khách")

    reply = await bot.say(stranger, "/start")

    assert "link mời do bí thư chi bộ gửi" in reply["text"]


async def test_bad_names_are_refused_and_nfd_is_stored_nfc(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    menu = await bot.say(secretary, "/moi")
    await bot.tap_edit(secretary, menu, "➕ Thêm người và tạo link mời riêng")

    reply = await bot.say(secretary, "Trần Văn A\n<b>Hacker</b>")
    assert "dòng 2 có ký tự không hợp lệ" in reply["text"]
    reply = await bot.say(secretary, "Nguyễn " + "A" * 130)
    assert "dài quá 120 ký tự" in reply["text"]
    reply = await bot.say(secretary, "Lê Văn Tám\nLê  Văn   Tám")
    assert "dòng 2 bị trùng" in reply["text"]

    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hồng")
    role_prompt = await bot.say(secretary, decomposed)
    status_prompt = await bot.tap_edit(secretary, role_prompt, "Đảng viên")
    confirm = await bot.tap_edit(secretary, status_prompt, "miễn sinh hoạt")
    await bot.tap_edit(secretary, confirm, "✅ Xác nhận")

    roster = _members(bot)
    assert "Nguyễn Thị Hồng" in roster
    assert roster["Nguyễn Thị Hồng"].status == MemberStatus.EXEMPT
    assert len(roster) == 2


async def test_cell_link_join_needs_approval(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    menu = await bot.say(secretary, "/moi")
    done = await bot.tap_edit(secretary, menu, "🔗 Link mời chung (bí thư duyệt từng người)")
    [token] = LINK.findall(done["text"])
    applicant = bot.api.add_user("Hà")

    ask_name = await bot.say(applicant, f"/start {token}")
    assert "gõ họ và tên" in ask_name["text"]
    confirm = await bot.say(applicant, "Vũ Thị Hà")
    sent = await bot.tap_edit(applicant, confirm, "✅ Xác nhận")
    assert "Đã gửi đề nghị" in sent["text"]
    request = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id
    )
    assert "Vũ Thị Hà" in request.result["text"]

    # Someone else forges the approve button's data in their own chat.
    outsider = bot.api.add_user("Người Ngoài")
    own = await bot.say(outsider, "/start")
    approve_data = request.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    answer = await bot.tap_data(outsider, own, approve_data)
    assert "Chỉ bí thư hoặc phó bí thư" in answer["text"]
    assert "Vũ Thị Hà" not in _members(bot)

    decided = await bot.tap_edit(secretary, request.result, "✅ Duyệt")
    assert "Đã duyệt" in decided["text"]
    told = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == applicant.id
    )
    assert "Bí thư đã duyệt" in told.result["text"]
    member = _members(bot)["Vũ Thị Hà"]
    assert member.role == Role.MEMBER
    assert member.person_id is not None

    again = await bot.tap_data(secretary, decided, approve_data)
    assert "đã được xử lý" in again["text"]
    with bot.db.session() as session:
        actions = [a.action for a in session.exec(select(AuditEntry))]
    assert actions.count("join.approve") == 1


async def test_cell_link_rejection(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    menu = await bot.say(secretary, "/moi")
    done = await bot.tap_edit(secretary, menu, "🔗 Link mời chung (bí thư duyệt từng người)")
    [token] = LINK.findall(done["text"])
    applicant = bot.api.add_user("Hà")
    await bot.say(applicant, f"/start {token}")
    confirm = await bot.say(applicant, "Vũ Thị Hà")
    await bot.tap_edit(applicant, confirm, "✅ Xác nhận")
    request = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == secretary.id
    )

    await bot.tap_edit(secretary, request.result, "✖️ Từ chối")

    told = await bot.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == applicant.id
    )
    assert "chưa được chấp thuận" in told.result["text"]
    assert "Vũ Thị Hà" not in _members(bot)
    with bot.db.session() as session:
        request_row = session.exec(select(JoinRequest)).one()
    assert request_row.status == "rejected"


async def test_members_and_strangers_cannot_invite(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan"])
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])
    stranger = bot.api.add_user("Khách")

    assert "Chỉ bí thư hoặc phó bí thư" in (await bot.say(lan, "/moi"))["text"]
    assert "Chỉ bí thư hoặc phó bí thư" in (await bot.say(stranger, "/invite"))["text"]
    assert "Chỉ chi ủy" in (await bot.say(lan, "/dangvien"))["text"]
    assert "Chỉ chi ủy" in (await bot.say(stranger, "/members"))["text"]


async def test_new_link_for_someone_on_the_roster(bot: Bot) -> None:
    secretary, _ = await linked_cell(bot)
    old = await add_people(bot, secretary, ["Trần Thị Lan"])
    menu = await bot.say(secretary, "/moi")
    pick = await bot.tap_edit(
        secretary, menu, "🔁 Tạo lại link mời riêng cho người trong danh sách"
    )
    done = await bot.tap_edit(secretary, pick, "Trần Thị Lan")
    [fresh] = LINK.findall(done["text"])
    lan = bot.api.add_user("Lan")

    stale = await bot.say(lan, f"/start {old['Trần Thị Lan']}")
    assert "hết hạn" in stale["text"]
    welcome = await join(bot, lan, fresh)
    assert "Trần Thị Lan" in welcome["text"]

"""Bringing members in: personal links from the roster form, cell links with approval.

Each scenario runs on Telegram (invite links, buttons) and on Zalo (join codes, typed numbers).
"""

from __future__ import annotations

import unicodedata

from sqlmodel import col, select

from bot.models import AuditEntry, JoinRequest, Member, MemberStatus, Role
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.conftest import Bot

CELL_LINK = "🔗 Link mời chung (bí thư duyệt từng người)"


def _members(bot: Bot) -> dict[str, Member]:
    with bot.db.session() as session:
        rows = session.exec(select(Member).where(col(Member.removed_at).is_(None))).all()
    return {m.full_name: m for m in rows}


def _last_msg(chat: Chat, who: Someone) -> Msg:
    """The newest message the bot sent `who`, as something to choose from."""
    if chat.telegram:
        assert who.tg is not None
        raw = chat.api.last_message(who.tg)
        assert raw is not None
        return Msg(text=str(raw.get("text") or ""), raw=raw)
    return Msg(text=chat.last(who))


async def _tap_data(chat: Chat, who: Someone, msg: Msg, data: str) -> str:
    """Telegram: taps raw callback data (forged or outdated) on `msg`; returns the toast."""
    assert who.tg is not None
    assert msg.raw is not None
    return str((await chat.bot.tap_data(who.tg, msg.raw, data))["text"])


async def _cell_key(chat: Chat, secretary: Someone) -> str:
    """Runs /moi → cell link; returns its token (Telegram) or its join code (Zalo)."""
    menu = await chat.say(secretary, "/moi")
    done = await chat.choose(secretary, menu, CELL_LINK)
    return chat.invitations(done.text, ["the cell"])["the cell"]


async def _request_to_join(chat: Chat, secretary: Someone, key: str) -> tuple[Someone, Msg]:
    """Hà opens the cell link (code), gives her name and confirms; returns her and the
    request the secretary received."""
    applicant = chat.add("Hà")
    ask_name = await chat.say(applicant, f"/start {key}")
    assert "gõ họ và tên" in ask_name.text
    confirm = await chat.say(applicant, "Vũ Thị Hà")
    before = len(chat.received(secretary))
    sent = await chat.choose(applicant, confirm, "✅ Xác nhận")
    assert "Đã gửi đề nghị" in sent.text
    [request] = chat.received(secretary)[before:]
    assert "Vũ Thị Hà" in request
    return applicant, _last_msg(chat, secretary)


async def test_roster_form_gives_personal_links_and_members_join(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    keys = await chat.add_people(
        secretary, ["Trần Thị Lan", "Phạm Văn Đức"], role="Đảng viên", status="dự bị"
    )
    lan = chat.add("Lan")

    invitation = await chat.say(lan, f"/start {keys['Trần Thị Lan']}")
    assert "Chi bộ Văn phòng" in invitation.text
    assert "Trần Thị Lan" in invitation.text
    assert "dự bị" in invitation.text
    before = len(chat.received(secretary))
    welcome = await chat.choose(lan, invitation, "✅ Xác nhận")

    assert welcome.text.startswith("Chào mừng đồng chí Trần Thị Lan!")
    notices = chat.received(secretary)[before:]
    assert any("Đồng chí Trần Thị Lan đã tham gia" in text for text in notices), notices
    roster = _members(chat.bot)
    assert roster["Trần Thị Lan"].person_id is not None
    assert roster["Trần Thị Lan"].status == MemberStatus.PROBATIONARY
    assert roster["Phạm Văn Đức"].person_id is None


async def test_used_token_and_joining_twice_change_nothing(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    keys = await chat.add_people(secretary, ["Trần Thị Lan"])
    lan = chat.add("Lan")
    impostor = chat.add("Kẻ Lạ")
    await chat.join(lan, keys["Trần Thị Lan"])

    again = await chat.say(lan, f"/start {keys['Trần Thị Lan']}")
    assert "đã là thành viên" in again.text
    stolen = await chat.say(impostor, f"/start {keys['Trần Thị Lan']}")
    assert "đã được sử dụng" in stolen.text
    # Telegram reads a link's token; Zalo reads a join code.
    invalid = "Link mời không hợp lệ" if chat.telegram else "Mã tham gia này không hợp lệ"
    garbage = await chat.say(impostor, "/start <script>alert(1)</script>")
    assert invalid in garbage.text
    unknown_key = "AAAAAAAAAAAAAAAAAAAAAA" if chat.telegram else "AAAA-BBBB"
    unknown = await chat.say(impostor, f"/start {unknown_key}")
    assert invalid in unknown.text

    with chat.bot.db.session() as session:
        count = len(session.exec(select(Member)).all())
    assert count == 2


async def test_start_without_token_explains_how_to_join(chat: Chat) -> None:
    stranger = chat.add("Khách")

    reply = await chat.say(stranger, "/start")

    if chat.telegram:
        assert "link mời do bí thư chi bộ gửi" in reply.text
    else:
        # No deep links on Zalo: the secretary's join code is typed.
        assert "mã tham gia mà bí thư chi bộ đưa" in reply.text
        assert "/start ABCD-EFGH" in reply.text


async def test_bad_names_are_refused_and_nfd_is_stored_nfc(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    menu = await chat.say(secretary, "/moi")
    await chat.choose(secretary, menu, "➕ Thêm người và tạo link mời riêng")

    reply = await chat.say(secretary, "Trần Văn A\n<b>Hacker</b>")
    assert "dòng 2 có ký tự không hợp lệ" in reply.text
    reply = await chat.say(secretary, "Nguyễn " + "A" * 130)
    assert "dài quá 120 ký tự" in reply.text
    reply = await chat.say(secretary, "Lê Văn Tám\nLê  Văn   Tám")
    assert "dòng 2 bị trùng" in reply.text

    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hồng")
    role_prompt = await chat.say(secretary, decomposed)
    status_prompt = await chat.choose(secretary, role_prompt, "Đảng viên")
    confirm = await chat.choose(secretary, status_prompt, "miễn sinh hoạt")
    await chat.choose(secretary, confirm, "✅ Xác nhận")

    roster = _members(chat.bot)
    assert "Nguyễn Thị Hồng" in roster
    assert roster["Nguyễn Thị Hồng"].status == MemberStatus.EXEMPT
    assert len(roster) == 2


async def test_cell_link_join_needs_approval(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    key = await _cell_key(chat, secretary)
    applicant, request = await _request_to_join(chat, secretary, key)

    outsider = chat.add("Người Ngoài")
    own = await chat.say(outsider, "/start")
    if chat.telegram:
        # Someone else forges the approve button's data in their own chat.
        assert request.raw is not None
        approve_data = request.raw["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        answer = await _tap_data(chat, outsider, own, approve_data)
        # Someone in no cell is told how to join rather than that it is the secretary's.
        assert answer.startswith("Đồng chí chưa tham gia chi bộ nào.")
    else:
        # On Zalo a typed number only ever picks from the typist's own chat.
        typed = await chat.say(outsider, str(request.number_of("✅ Duyệt")))
        assert "Hiện không có gì để chọn" in typed.text
    assert "Vũ Thị Hà" not in _members(chat.bot)

    decided = await chat.choose(secretary, request, "✅ Duyệt")
    assert "Đã duyệt" in decided.text
    assert "Bí thư đã duyệt" in chat.last(applicant)
    member = _members(chat.bot)["Vũ Thị Hà"]
    assert member.role == Role.MEMBER
    assert member.person_id is not None

    if chat.telegram:
        again = await _tap_data(chat, secretary, decided, approve_data)
    else:
        # The request's number typed again, after the decision.
        again = (await chat.say(secretary, str(request.number_of("✅ Duyệt")))).text
    assert "đã được xử lý" in again
    with chat.bot.db.session() as session:
        actions = [a.action for a in session.exec(select(AuditEntry))]
    assert actions.count("join.approve") == 1


async def test_cell_link_rejection(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    key = await _cell_key(chat, secretary)
    applicant, request = await _request_to_join(chat, secretary, key)

    await chat.choose(secretary, request, "✖️ Từ chối")

    assert "chưa được chấp thuận" in chat.last(applicant)
    assert "Vũ Thị Hà" not in _members(chat.bot)
    with chat.bot.db.session() as session:
        request_row = session.exec(select(JoinRequest)).one()
    assert request_row.status == "rejected"


async def test_members_and_strangers_cannot_invite(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    keys = await chat.add_people(secretary, ["Trần Thị Lan"])
    lan = chat.add("Lan")
    await chat.join(lan, keys["Trần Thị Lan"])
    stranger = chat.add("Khách")

    assert "Chỉ bí thư hoặc phó bí thư" in (await chat.say(lan, "/moi")).text
    assert "Chỉ chi ủy" in (await chat.say(lan, "/dangvien")).text
    # Someone in no cell is told how to join, not that the command is the committee's.
    for command in ("/invite", "/members"):
        told = (await chat.say(stranger, command)).text
        assert told.startswith("Đồng chí chưa tham gia chi bộ nào."), told


async def test_new_link_for_someone_on_the_roster(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    old = await chat.add_people(secretary, ["Trần Thị Lan"])
    menu = await chat.say(secretary, "/moi")
    pick = await chat.choose(
        secretary, menu, "🔁 Tạo lại link mời riêng cho người trong danh sách"
    )
    done = await chat.choose(secretary, pick, "Trần Thị Lan")
    fresh = chat.invitations(done.text, ["Trần Thị Lan"])["Trần Thị Lan"]
    assert fresh != old["Trần Thị Lan"]
    lan = chat.add("Lan")

    stale = await chat.say(lan, f"/start {old['Trần Thị Lan']}")
    assert "hết hạn" in stale.text
    welcome = await chat.join(lan, fresh)
    assert "Trần Thị Lan" in welcome.text

"""Roster identity: a name already on the roster (case and diacritics aside) is caught in
/moi; names typed all in lower or upper case are title-cased; a cell-link join under the name
of someone on the roster who has not joined claims that entry instead of adding another."""

from __future__ import annotations

from sqlmodel import select

from bot.models import Member
from tests.e2e.chat import Chat
from tests.e2e.test_invites import _cell_key, _request_to_join


def roster(chat: Chat) -> list[tuple[str, bool]]:
    with chat.bot.db.session() as session:
        found = session.exec(
            select(Member).where(Member.removed_at == None).order_by(Member.id)  # noqa: E711
        ).all()
        return [(m.full_name, m.person_id is not None) for m in found]


async def test_moi_catches_a_name_already_on_the_roster_and_tidies_capitals(chat: Chat) -> None:
    secretary, _ = await chat.cell_with_members(["Trần Thị Lan"])
    menu = await chat.say(secretary, "/moi")
    await chat.choose(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    refused = await chat.say(secretary, "tran thi  LAN\nLê Văn Hùng")
    assert "Đã có trong danh sách: Trần Thị Lan." in refused.text
    assert [name for name, _ in roster(chat)].count("Trần Thị Lan") == 1
    role = await chat.say(secretary, "lê văn hùng\nPHẠM THỊ MAI")
    status = await chat.choose(secretary, role, "Đảng viên")
    confirm = await chat.choose(secretary, status, "chính thức")
    await chat.choose(secretary, confirm, "✅ Xác nhận")
    names = [name for name, _ in roster(chat)]
    assert "Lê Văn Hùng" in names
    assert "Phạm Thị Mai" in names


async def test_a_cell_link_join_claims_the_roster_entry_of_the_same_name(chat: Chat) -> None:
    secretary = await chat.linked_cell()
    await chat.add_people(secretary, ["Vũ Thị Hà"])  # on the roster, has not joined
    key = await _cell_key(chat, secretary)
    _, request = await _request_to_join(chat, secretary, key)
    await chat.choose(secretary, request, "✅ Duyệt")
    # One Vũ Thị Hà, now joined: the request claimed her entry instead of adding another.
    assert [entry for entry in roster(chat) if entry[0] == "Vũ Thị Hà"] == [("Vũ Thị Hà", True)]

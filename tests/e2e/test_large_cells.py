"""Cells of 200 and more members end to end: the roll call, the roster, invite links and the
link picker page or split what they show, within each channel's limits, on Telegram and Zalo."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlmodel import select

from bot.models import (
    Attendance,
    AttendanceStatus,
    MeetingKind,
    Member,
    MemberStatus,
    Person,
    Role,
)
from bot.services import meetings, members, roster_reads
from bot.text import fold
from tests.e2e.chat import TELEGRAM_LINK, ZALO_CODE, Chat, Msg, Someone
from tests.e2e.conftest import Bot

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Sơn"]
LIMIT = {"telegram": 4096, "zalo": 2000}
AGAIN = "🔁 Tạo lại link mời riêng cho người trong danh sách"


def names(count: int, skip: int = 0) -> list[str]:
    """`count` different Vietnamese names (none is the secretary's, Nguyễn Văn Bình)."""
    every = (" ".join(parts) for parts in itertools.product(SURNAMES, MIDDLE, GIVEN))
    usable = (name for name in every if name != "Nguyễn Văn Bình")
    return list(itertools.islice(usable, skip, skip + count))


def _org_and_secretary(bot: Bot) -> tuple[int, Person]:
    with bot.db.session() as session:
        member = session.exec(select(Member).where(Member.role == Role.SECRETARY)).one()
        person = session.get(Person, member.person_id)
        assert person is not None
        return member.org_id, person


async def big_cell(chat: Chat, size: int) -> tuple[Someone, int]:
    """A linked cell whose roster holds `size` members with the secretary (the others are on
    the roster, not joined: a roll call and the roster count them all)."""
    secretary = await chat.linked_cell()
    org_id, boss = _org_and_secretary(chat.bot)
    with chat.bot.db.session() as session:
        members.add_members(
            session=session,
            org_id=org_id,
            names=names(size - 1),
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            actor=boss,
            now=chat.bot.clock.now(),
        )
    return secretary, org_id


def _within_limits(chat: Chat, msg: Msg) -> None:
    assert 0 < len(msg.text) <= LIMIT[chat.channel], len(msg.text)


def _page_names(msg: Msg) -> list[str]:
    """The member names a checklist page offers (icons and numbers dropped)."""
    return [label.split(" ", 1)[1] for label in msg.options if label[:1] in "⬜✅🟡❌"]


def _marks(bot: Bot) -> dict[int, AttendanceStatus]:
    with bot.db.session() as session:
        return {a.member_id: a.status for a in session.exec(select(Attendance))}


async def test_roll_call_of_205_members_is_paged_with_a_running_count(chat: Chat) -> None:
    secretary, org_id = await big_cell(chat, 205)
    _, boss = _org_and_secretary(chat.bot)
    with chat.bot.db.session() as session:
        meetings.create_meeting(
            session=session,
            org_id=org_id,
            draft=meetings.MeetingDraft(
                kind=MeetingKind.REGULAR,
                starts_at=chat.bot.clock.now() + timedelta(minutes=30),
                place="Hội trường",
            ),
            actor=boss,
            now=chat.bot.clock.now(),
        )

    first = await chat.say(secretary, "/diemdanh")
    _within_limits(chat, first)
    assert "Đã điểm danh 0/205: ✅ 0 · 🟡 0 · ❌ 0" in first.text
    assert "Trang 1/9" in first.text
    page_one = _page_names(first)
    assert len(page_one) == 24
    assert "Tiếp ▶" in first.options
    assert "◀ Trước" not in first.options

    second = await chat.choose(secretary, first, "Tiếp ▶")
    _within_limits(chat, second)
    assert "Trang 2/9" in second.text
    page_two = _page_names(second)
    assert len(page_two) == 24
    assert not set(page_one) & set(page_two)
    assert "◀ Trước" in second.options

    marked = await chat.choose(secretary, second, f"⬜ {page_two[3]}")
    assert "Trang 2/9" in marked.text  # the page the secretary was on
    assert "Đã điểm danh 1/205: ✅ 1 · 🟡 0 · ❌ 0" in marked.text
    assert f"✅ {page_two[3]}" in marked.options
    if not chat.telegram:
        # Typed numbers are those of the page shown.
        typed = await chat.say(secretary, "1 2 vắng có lý do")
        assert "Trang 2/9" in typed.text
        assert "Đã điểm danh 3/205: ✅ 1 · 🟡 2 · ❌ 0" in typed.text
        assert f"🟡 {page_two[0]}" in typed.options
        assert f"🟡 {page_two[1]}" in typed.options
    with chat.bot.db.session() as session:
        by_name = {m.full_name: m.id for m in session.exec(select(Member))}
    assert _marks(chat.bot)[by_name[page_two[3]] or 0] == AttendanceStatus.PRESENT

    last = second
    for _ in range(7):
        last = await chat.choose(secretary, last, "Tiếp ▶")
    assert "Trang 9/9" in last.text
    assert len(_page_names(last)) == 205 - 8 * 24
    assert "Tiếp ▶" not in last.options


def _roster_order(bot: Bot, org_id: int) -> list[str]:
    with bot.db.session() as session:
        return [e.member.full_name for e in roster_reads.roster(session=session, org_id=org_id)]


def _listed(msg: Msg) -> list[str]:
    """The names a roster page's text lists (its "🟢 12. <name> — …" lines)."""
    found = []
    for line in msg.text.splitlines():
        head, _, rest = line.partition(". ")
        if rest and " — " in rest and head[-1:].isdigit():
            found.append(rest.split(" — ")[0])
    return found


async def test_the_roster_text_is_the_page_its_buttons_are(chat: Chat) -> None:
    secretary, org_id = await big_cell(chat, 205)
    order = _roster_order(chat.bot, org_id)

    first = await chat.say(secretary, "/dangvien")
    _within_limits(chat, first)
    assert "205 đồng chí, 1 đã tham gia." in first.text
    assert "Trang 1/11" in first.text
    assert _listed(first) == order[:20]
    assert [o.split(". ", 1)[1] for o in first.options if o[0].isdigit()] == order[:20]

    second = await chat.choose(secretary, first, "Tiếp ▶")
    _within_limits(chat, second)
    assert "Trang 2/11" in second.text
    assert _listed(second) == order[20:40]
    assert [o.split(". ", 1)[1] for o in second.options if o[0].isdigit()] == order[20:40]
    assert f"21. {order[20]}" in second.options

    back = await chat.choose(secretary, second, "◀ Trước")
    assert _listed(back) == order[:20]


async def test_a_hundred_invite_links_all_arrive_each_message_within_the_limit(
    chat: Chat,
) -> None:
    secretary = await chat.linked_cell()
    hundred = names(100)
    before = len(chat.received(secretary))
    menu = await chat.say(secretary, "/moi")
    await chat.choose(secretary, menu, "➕ Thêm người và tạo link mời riêng")
    role_prompt = await chat.say(secretary, "\n".join(hundred))
    status_prompt = await chat.choose(secretary, role_prompt, "Đảng viên")
    confirm = await chat.choose(secretary, status_prompt, "chính thức")
    _within_limits(chat, confirm)
    await chat.choose(secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()

    sent = chat.received(secretary)[before:]
    assert all(len(text) <= LIMIT[chat.channel] for text in sent), [len(t) for t in sent]
    start = next(i for i, text in enumerate(sent) if text.startswith("Đã thêm vào danh sách"))
    results = "\n".join(sent[start:])
    keys = chat.invitations(results, hundred)
    assert len(set(keys.values())) == 100
    # Each name is followed by its own link or code, never cut from it by a split.
    pattern = TELEGRAM_LINK if chat.telegram else ZALO_CODE
    for text in sent[start:]:
        for block in text.split("\n\n"):
            if block.startswith("• "):
                assert pattern.search(block), block


def _picker_names(msg: Msg) -> list[str]:
    return [o for o in msg.options if o not in {"Tiếp ▶", "◀ Trước", "✖️ Thoát"}]


async def test_the_link_picker_pages_a_hundred_and_matches_a_typed_name(chat: Chat) -> None:
    secretary, org_id = await big_cell(chat, 101)
    with chat.bot.db.session() as session:
        unjoined = [
            m.full_name
            for m in members.active_members(session=session, org_id=org_id, joined=False)
        ]
    assert len(unjoined) == 100

    menu = await chat.say(secretary, "/moi")
    first = await chat.choose(
        secretary, menu, "🔁 Tạo lại link mời riêng cho người trong danh sách"
    )
    _within_limits(chat, first)
    assert "Trang 1/" in first.text
    assert _picker_names(first) == unjoined[:20]
    second = await chat.choose(secretary, first, "Tiếp ▶")
    assert "Trang 2/" in second.text
    assert _picker_names(second) == unjoined[20:40]
    if not chat.telegram:
        # The numbers are those of the page shown.
        assert second.number_of(unjoined[20]) == 1

    # A name far past the first pages, typed without accents or capitals.
    wanted = unjoined[87]
    typed = fold(wanted)
    assert typed != wanted
    issued = await chat.say(secretary, typed)
    assert issued.text.startswith("Link mời riêng mới"), issued.text
    assert wanted in issued.text
    assert len(chat.invitations(issued.text, [wanted])) == 1

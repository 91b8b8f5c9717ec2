"""The cell's giao ước thi đua end to end: the committee opens it with its targets, members are
told privately and register nothing, the committee records progress per target, the group sees
the figures, the pact is closed and its final figures stay in /camket; and the refusals.

Each scenario runs on Telegram (buttons, the cell's group) and on Zalo (typed numbers).
"""

from __future__ import annotations

from sqlmodel import select

from bot.models import AuditEntry, Campaign, CampaignStatus, Commitment, PactTarget
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.test_commitments import ask, cell, latest, lines_of, pick

TARGETS = "Kết nạp đảng viên mới: 2 người\n100% đảng viên hoàn thành tốt nhiệm vụ trở lên"
TITLE = "Giao ước thi đua năm 2027"


async def _to_targets(chat: Chat, secretary: Someone, *, title: str | None, period: str) -> Msg:
    """The secretary goes through "➕ Mở đợt đăng ký" up to the targets' question (vi)."""
    start = await ask(chat, secretary, "/camket")
    kind = await pick(chat, secretary, start, "➕ Mở đợt đăng ký")
    asked = await pick(chat, secretary, kind, "Giao ước thi đua")
    assert asked.text.startswith("Tên giao ước, ví dụ")
    assert "Bỏ qua" in asked.options
    if title is None:
        year = await pick(chat, secretary, asked, "Bỏ qua")
    else:
        year = await ask(chat, secretary, title)
    assert year.text.startswith("Cho năm nào?")
    periods = await pick(chat, secretary, year, "Năm 2027 (năm sau)")
    assert periods.text.startswith("Giao ước áp dụng trong thời gian nào?")
    assert periods.options[:3] == [
        "Cả năm 2027",
        "6 tháng đầu năm 2027 (1/1 – 30/6)",
        "6 tháng cuối năm 2027 (1/7 – 31/12)",
    ]
    targets = await pick(chat, secretary, periods, period)
    assert targets.text.startswith("Các chỉ tiêu của giao ước, gửi chung một tin")
    return targets


def _targets(chat: Chat) -> list[PactTarget]:
    with chat.bot.db.session() as session:
        return list(session.exec(select(PactTarget).order_by(PactTarget.position)).all())


def _pact(chat: Chat) -> Campaign:
    with chat.bot.db.session() as session:
        return session.exec(select(Campaign)).one()


async def test_a_pact_is_opened_followed_and_closed(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan, exempt = people["Trần Thị Lan"], people["Phạm Văn Miễn"]
    exempt_before = len(chat.received(exempt))

    # Opening: bad targets are explained line by line, and nothing is opened.
    await _to_targets(chat, secretary, title=None, period="Cả năm 2027")
    zero = await ask(chat, secretary, "Kết nạp đảng viên mới: 0 người")
    assert "Dòng 1: giá trị kế hoạch phải là một số lớn hơn 0." in zero.text
    unread = await ask(chat, secretary, "Kết nạp đảng viên mới: 2 người\nKhông vi phạm kỷ luật")
    assert "Không đọc được dòng 2: mỗi dòng cần đúng một giá trị kế hoạch." in unread.text
    words = await ask(chat, secretary, "Kết nạp đảng viên mới: hai người")
    assert "Dòng 1: giá trị kế hoạch sau dấu hai chấm phải là một con số" in words.text
    empty = await ask(chat, secretary, ": 2 người")
    assert "Dòng 1: chỉ tiêu đang để trống." in empty.text
    with chat.bot.db.session() as session:
        assert session.exec(select(Campaign)).all() == []

    summary = await ask(chat, secretary, TARGETS)
    lines = lines_of(summary)
    assert f"🤝 {TITLE}" in lines
    assert "Thời gian: 01/01/2027 – 31/12/2027" in lines
    assert "1) Kết nạp đảng viên mới — kế hoạch: 2 người" in lines
    assert "2) 100% đảng viên hoàn thành tốt nhiệm vụ trở lên — kế hoạch: 100%" in lines
    assert "Đây là giao ước của chi bộ: không ai phải đăng ký." in summary.text
    card = await pick(chat, secretary, summary, "✅ Xác nhận")
    assert "✅ Đã mở. 2 đồng chí đã được báo riêng." in card.text
    assert "1) Kết nạp đảng viên mới — chưa ghi nhận (kế hoạch: 2 người)" in card.text
    assert card.options == ["✏️ Chỉ tiêu 1", "✏️ Chỉ tiêu 2", "🏁 Kết thúc giao ước"]
    await chat.bot.settle()

    # Members are told privately, register nothing; the exempt member is not told.
    notice = latest(chat, lan)
    assert notice.text.startswith(
        f"🤝 Chi bộ Văn phòng đã ký kết giao ước thi đua: {TITLE} (01/01/2027 – 31/12/2027)."
    )
    assert "Đây là giao ước của cả chi bộ: các đồng chí không cần đăng ký gì." in notice.text
    assert notice.options == ["🤝 Xem giao ước"]
    assert not any("giao ước" in t for t in chat.received(exempt)[exempt_before:])
    seen = await pick(chat, lan, notice, "🤝 Xem giao ước")
    assert "Chỉ tiêu đã đạt: 0/2" in seen.text
    assert seen.options == []
    mine = await ask(chat, lan, "/camket")
    assert lines_of(mine)[0] == (
        "Hiện chi bộ của đồng chí chưa mở đợt đăng ký nào. "
        "Bấm 🤝 để theo dõi giao ước thi đua của chi bộ."
    )
    assert mine.options == [f"🤝 {TITLE}"]
    with chat.bot.db.session() as session:
        assert session.exec(select(Commitment)).all() == []

    # Progress: a negative or wordy value is refused; a number and a note are recorded.
    mine = await ask(chat, secretary, "/camket")
    assert f"🤝 {TITLE}" in mine.options
    card = await pick(chat, secretary, mine, f"🤝 {TITLE}")
    value = await pick(chat, secretary, card, "✏️ Chỉ tiêu 1")
    assert "Chỉ tiêu: Kết nạp đảng viên mới" in value.text
    assert "Kế hoạch: 2 người" in value.text
    negative = await ask(chat, secretary, "-1")
    assert "Số đã đạt không thể là số âm." in negative.text
    wordy = await ask(chat, secretary, "một")
    assert "Đồng chí vui lòng gõ kết quả đạt được bằng một con số" in wordy.text
    assert [t.achieved for t in _targets(chat)] == [None, None]
    note = await ask(chat, secretary, "1")
    assert "Bỏ qua" in note.options
    card = await ask(chat, secretary, "Đồng chí Hùng được kết nạp tháng 3")
    assert "✅ Đã ghi nhận tiến độ: Kết nạp đảng viên mới" in card.text
    assert "1) Kết nạp đảng viên mới — đạt 1/2 người (50%)" in card.text
    assert "Ghi chú: Đồng chí Hùng được kết nạp tháng 3" in card.text
    value = await pick(chat, secretary, card, "✏️ Chỉ tiêu 2")
    note = await ask(chat, secretary, "100")
    card = await pick(chat, secretary, note, "Bỏ qua")
    assert "2) ✅ 100% đảng viên hoàn thành tốt nhiệm vụ trở lên — đạt 100/100% (100%)" in (
        card.text
    )
    assert "Chỉ tiêu đã đạt: 1/2" in card.text
    first, second = _targets(chat)
    assert (first.achieved, first.note, second.achieved, second.note) == (
        1,
        "Đồng chí Hùng được kết nạp tháng 3",
        100,
        "",
    )
    with chat.bot.db.session() as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "pact.progress"))
        assert len(audited.all()) == 2

    pact = _pact(chat)
    group = chat.group
    if chat.telegram:
        # A plain member's forged ✏️, another cell's secretary's forged closing: refused.
        assert lan.tg is not None
        any_message = chat.api.last_message(lan.tg)
        assert any_message is not None
        answer = await chat.bot.tap_data(lan.tg, any_message, f"ge|{first.id}")
        assert answer["text"].startswith("Chỉ chi ủy mới ghi nhận tiến độ")
        stranger = await chat.linked_cell("Chi bộ Kho bạc")
        assert stranger.tg is not None
        await ask(chat, stranger, "/camket")
        own = chat.api.last_message(stranger.tg)
        assert own is not None
        answer = await chat.bot.tap_data(stranger.tg, own, f"gz|{pact.id}")
        assert answer["text"] == "Giao ước thi đua này thuộc chi bộ khác."
        answer = await chat.bot.tap_data(stranger.tg, own, f"ge|{first.id}")
        assert answer["text"] == "Giao ước thi đua này thuộc chi bộ khác."
        assert _pact(chat).status == CampaignStatus.OPEN
        assert [t.achieved for t in _targets(chat)] == [1, 100]

        # The group sees the figures of each target, no names.
        assert group is not None
        in_group = await chat.bot.say(lan.tg, "/camket", chat=group)
        assert f"🤝 {TITLE}: đạt 1/2 chỉ tiêu" in in_group["text"]
        assert "• Kết nạp đảng viên mới: đạt 1/2 người (50%)" in in_group["text"]
        assert "đã đăng ký" not in in_group["text"]

    # Closing at the tổng kết: asked first, then the figures are frozen and stay visible.
    asked = await pick(chat, secretary, card, "🏁 Kết thúc giao ước")
    assert "Kết thúc giao ước khi sơ kết / tổng kết?" in asked.text
    closed = await pick(chat, secretary, asked, "🏁 Đồng ý kết thúc")
    assert "🏁 Giao ước đã kết thúc." in closed.text
    assert "🏁 Đã kết thúc ngày 22/11/2026; số liệu cuối cùng:" in closed.text
    assert closed.options == []
    assert _pact(chat).status == CampaignStatus.CLOSED
    history = await ask(chat, lan, "/camket")
    assert history.options == [f"🤝 {TITLE} (đã kết thúc)"]
    final = await pick(chat, lan, history, f"🤝 {TITLE} (đã kết thúc)")
    assert "1) Kết nạp đảng viên mới — đạt 1/2 người (50%)" in final.text
    if chat.telegram:
        assert secretary.tg is not None
        any_message = chat.api.last_message(secretary.tg)
        assert any_message is not None
        answer = await chat.bot.tap_data(secretary.tg, any_message, f"ge|{first.id}")
        assert answer["text"] == "Giao ước này đã kết thúc; số liệu không sửa được nữa."
        assert [t.achieved for t in _targets(chat)] == [1, 100]


async def test_a_pact_read_in_english(chat: Chat) -> None:
    secretary, _ = await cell(chat)
    picker = await ask(chat, secretary, "/ngonngu")
    await pick(chat, secretary, picker, "English")
    start = await ask(chat, secretary, "/camket")
    kind = await pick(chat, secretary, start, "➕ Open a registration")
    asked = await pick(chat, secretary, kind, "Emulation pact")
    assert asked.text.startswith("The pact's title, for example")
    year = await ask(chat, secretary, "Giao ước khối cơ quan")
    periods = await pick(chat, secretary, year, "2027 (next year)")
    assert periods.options[:3] == [
        "The whole year 2027",
        "First half of 2027 (1/1 – 30/6)",
        "Second half of 2027 (1/7 – 31/12)",
    ]
    targets = await pick(chat, secretary, periods, "First half of 2027 (1/1 – 30/6)")
    assert targets.text.startswith("The pact's targets, all in one message, one per line")
    summary = await ask(chat, secretary, "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ: 100 %")
    assert "Period: 1 Jan 2027 – 30 Jun 2027" in summary.text
    card = await pick(chat, secretary, summary, "✅ Confirm")
    assert "🤝 Giao ước khối cơ quan" in card.text
    value = await pick(chat, secretary, card, "✏️ Target 1")
    assert "How much has been achieved so far?" in value.text
    note = await ask(chat, secretary, "95 %")
    card = await pick(chat, secretary, note, "Skip")
    assert "1) Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ — achieved 95/100% (95%)" in card.text
    assert "Targets met: 0/1" in card.text
    pact = _pact(chat)
    assert (str(pact.starts_on), str(pact.ends_on), pact.title) == (
        "2027-01-01",
        "2027-06-30",
        "Giao ước khối cơ quan",
    )

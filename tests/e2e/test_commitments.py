"""Commitments end to end: open a registration, write section by section, submit, return,
resubmit, approve, progress; and the refusals.

Each scenario runs on Telegram (buttons, the cell's group) and on Zalo (typed numbers, no
group). What the tests check is what each person receives: texts and the choices offered.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlmodel import col, select

from bot.models import (
    Campaign,
    CampaignKind,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    Member,
    Person,
    RatingLevel,
)
from bot.services import campaigns
from bot.services import commitments as commitment_service
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.conftest import Bot

# Sunday 22/11/2026 10:00 in Hà Nội: registration for 2027, deadline 15/12/2026.
HANOI_SUNDAY_10AM = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
TITLE = "Bản cam kết tu dưỡng, rèn luyện, phấn đấu năm 2027"
SECTIONS = [
    "1. Về tư tưởng chính trị",
    "2. Về đạo đức, lối sống",
    "3. Về tác phong, lề lối làm việc",
    "4. Về ý thức tổ chức kỷ luật",
    "5. Về thực hiện chức trách, nhiệm vụ được giao",
    "6. Việc làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "7. Mục tiêu xếp loại, danh hiệu thi đua",
]
TEXTS = {
    1: "Tuyệt đối trung thành với lý tưởng của Đảng; học tập đầy đủ các nghị quyết.",
    2: "Giữ gìn phẩm chất đạo đức, lối sống giản dị, gương mẫu ở cơ quan và nơi cư trú.",
    3: "Làm việc khoa học, đúng giờ, gần gũi quần chúng.",
    4: "Dự 100% buổi sinh hoạt chi bộ, đóng đảng phí đầy đủ, đúng hạn.",
}
NUMBERED = re.compile(r"^\d+\. ")


def set_clock(bot: Bot, instant: datetime) -> None:
    """Moves the bot's clock so that it reads `instant` now (time keeps flowing)."""
    bot.clock.offset = instant - datetime.now(UTC)


def _listed(text: str) -> tuple[list[str], list[str]]:
    """Splits a Zalo message into its body and the numbered choices listed under it (a card's
    own headings, "1. Về tư tưởng chính trị", are body, not choices)."""
    lines = [line.strip() for line in text.splitlines()]
    end = len(lines)
    words: list[str] = []
    if lines and lines[-1].startswith("• ✖️"):
        # A question that wants a number typed lists its choices as words ("• Bỏ qua").
        while end and lines[end - 1].startswith("• "):
            words.insert(0, lines[end - 1][2:])
            end -= 1
    while end and (NUMBERED.match(lines[end - 1]) or not lines[end - 1]):
        end -= 1
    choices = [NUMBERED.sub("", line, count=1) for line in lines[end:] if line]
    choices = [c for c in choices if not c.startswith("• ")]
    return lines[:end], [re.sub(r" \(\d+/\d+\)$", "", c) for c in choices] + words


def merged(replies: list[Msg]) -> Msg:
    """The messages of one answer as one (a long card comes in parts on Zalo): every text,
    and the choices of the last part."""
    last = replies[-1]
    options = last.options if last.raw is not None else _listed(last.text)[1]
    return Msg(
        text="\n".join(r.text for r in replies),
        options=options,
        raw=last.raw,
        toast=last.toast,
        words=last.words,
    )


async def ask(chat: Chat, who: Someone, text: str) -> Msg:
    """Sends text; returns everything the bot answered, as one message."""
    return merged(await chat.say_all(who, text))


async def pick(chat: Chat, who: Someone, msg: Msg, label: str) -> Msg:
    """Chooses `label`; returns everything the bot sent or edited for this person since."""
    before = len(chat.received(who))
    last = await chat.choose(who, msg, label)
    texts = chat.received(who)[before:]
    if not texts:
        return last  # a toast on Telegram
    options = last.options if last.raw is not None else _listed(last.text)[1]
    return Msg(text="\n".join(texts), options=options, raw=last.raw, words=last.words)


def lines_of(msg: Msg) -> list[str]:
    """The message's lines without the numbered choices Zalo writes under it."""
    if msg.raw is not None:
        return [line.strip() for line in msg.text.splitlines()]
    return _listed(msg.text)[0]


def latest(chat: Chat, who: Someone) -> Msg:
    """The newest message the bot sent this person privately, with its choices."""
    if who.tg is not None:
        message = chat.api.last_message(who.tg)
        assert message is not None
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        return Msg(
            text=str(message.get("text") or ""),
            options=[str(b["text"]) for row in rows for b in row],
            raw=message,
        )
    text = chat.last(who)
    return Msg(text=text, options=_listed(text)[1])


def stored(bot: Bot, name: str) -> list[Commitment]:
    """Every version of a member's commitment, oldest first."""
    with bot.db.session() as session:
        member = session.exec(select(Member).where(Member.full_name == name)).one()
        return list(
            session.exec(
                select(Commitment)
                .where(Commitment.member_id == member.id)
                .order_by(col(Commitment.version))
            )
        )


def stored_items(bot: Bot, commitment_id: int | None) -> list[CommitmentItem]:
    with bot.db.session() as session:
        return commitment_service.items(session=session, commitment_id=commitment_id or 0)


async def cell(chat: Chat) -> tuple[Someone, dict[str, Someone]]:
    """A cell: the secretary, Lan and Hùng (full members), Miễn (exempt); on Telegram they
    are all in the cell's group."""
    secretary, people = await chat.cell_with_members(["Trần Thị Lan", "Lê Văn Hùng"])
    keys = await chat.add_people(secretary, ["Phạm Văn Miễn"], status="miễn sinh hoạt")
    exempt = chat.add("Phạm Văn Miễn")
    await chat.join(exempt, keys["Phạm Văn Miễn"])
    people["Phạm Văn Miễn"] = exempt
    if chat.group is not None:
        for person in people.values():
            assert person.tg is not None
            chat.api.add_to_group(chat.group, person.tg, announce=False)
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    return secretary, people


async def open_pledge(chat: Chat, secretary: Someone) -> Msg:
    """The secretary opens the bản cam kết 2027 through /camket; returns the summary."""
    nothing = await ask(chat, secretary, "/camket")
    assert lines_of(nothing)[0] == "Hiện chi bộ của đồng chí chưa mở đợt đăng ký nào. " + (
        "Chọn “➕ Mở đợt đăng ký” để mở đợt mới."
    )
    assert nothing.options == ["➕ Mở đợt đăng ký"]
    kind = await pick(chat, secretary, nothing, "➕ Mở đợt đăng ký")
    assert kind.text.startswith("Đảng viên đăng ký nội dung gì?")
    assert kind.options[:4] == [
        "Cam kết tu dưỡng, rèn luyện, phấn đấu",
        "Đăng ký học tập và làm theo Bác",
        "Phong trào thi đua",
        "Giao ước thi đua",
    ]
    year = await pick(chat, secretary, kind, "Cam kết tu dưỡng, rèn luyện, phấn đấu")
    assert year.text.startswith("Cho năm nào?")
    assert year.options[:2] == ["Năm 2026 (năm nay)", "Năm 2027 (năm sau)"]
    deadline = await pick(chat, secretary, year, "Năm 2027 (năm sau)")
    assert deadline.text.startswith("Hạn đăng ký: gõ ngày")
    past = await ask(chat, secretary, "1/11/2026")
    assert past.text.startswith("⚠️ Ngày này đã qua.")
    cadence = await ask(chat, secretary, "15/12")
    assert cadence.options[:3] == ["Hằng tháng", "Hằng quý", "Không"]
    return await pick(chat, secretary, cadence, "Hằng quý")


# --- the whole journey ---------------------------------------------------------------------------


async def test_register_return_resubmit_and_approve(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan, exempt = people["Trần Thị Lan"], people["Phạm Văn Miễn"]
    exempt_before = len(chat.received(exempt))

    summary = await open_pledge(chat, secretary)
    for expected in (
        TITLE,
        "Hạn đăng ký: 15/12/2026",
        "Kiểm tra tiến độ: Hằng quý",
        *SECTIONS,
        "Khi xác nhận, 3 đồng chí thuộc diện đăng ký",
    ):
        assert expected in summary.text, (expected, summary.text)
    done = await pick(chat, secretary, summary, "✅ Xác nhận")
    assert f"✅ Đã mở đợt: {TITLE}. Đã nhắn riêng cho 3 đồng chí." in done.text
    await chat.bot.settle()

    # Each expected member is told privately; the exempt member is not.
    notice = latest(chat, lan)
    assert notice.text.startswith(f"📝 Chi bộ Văn phòng mở đợt đăng ký: {TITLE}.")
    assert "Hạn nộp: 15/12/2026" in notice.text
    assert notice.options == ["📝 Viết bản cam kết"]
    assert not any("mở đợt đăng ký" in t for t in chat.received(exempt)[exempt_before:])

    # The card, laid out like the document, nothing written yet.
    card = await pick(chat, lan, notice, "📝 Viết bản cam kết")
    lines = lines_of(card)
    assert lines[0] == f"📜 {TITLE}"
    assert lines[1] == "Chi bộ Văn phòng · đồng chí Trần Thị Lan"
    assert lines[2] == "Hạn nộp: 15/12/2026 · Trạng thái: chưa viết"
    for heading in SECTIONS:
        assert lines[lines.index(heading) + 1] == "— chưa viết"
    assert card.options[0] == "▶️ Viết tiếp: 1. Về tư tưởng chính trị"
    assert card.options[1:] == [f"✏️ {s}" for s in SECTIONS]

    # Section 1: an empty answer and a huge one are refused; the draft keeps nothing wrong.
    prompt = await pick(chat, lan, card, card.options[0])
    assert prompt.text.startswith("1. Về tư tưởng chính trị")
    assert "tối đa 2000 ký tự" in prompt.text
    empty = await ask(chat, lan, "   \n  ")
    assert empty.text.startswith("⚠️ Đồng chí hãy gõ nội dung")
    huge = await ask(chat, lan, "Tuyệt đối trung thành. " * 450)
    assert huge.text.startswith("⚠️ Nội dung quá dài: tối đa 2.000 ký tự.")
    assert "1. Về tư tưởng chính trị" in huge.text  # the same question again
    saved = await ask(chat, lan, TEXTS[1])
    assert lines_of(saved)[0] == "✅ Đã lưu."
    assert TEXTS[1] in saved.text
    assert saved.options[0] == "▶️ Viết tiếp: 2. Về đạo đức, lối sống"
    [draft] = stored(chat.bot, "Trần Thị Lan")
    assert draft.answers == {"politics": TEXTS[1]}

    # Section 2, then Lan leaves; /camket days later finds the draft where she left it.
    prompt = await pick(chat, lan, saved, saved.options[0])
    await ask(chat, lan, TEXTS[2])
    card = await ask(chat, lan, "/camket")
    lines = lines_of(card)
    assert lines[lines.index(SECTIONS[0]) + 1] == TEXTS[1]
    assert lines[lines.index(SECTIONS[1]) + 1] == TEXTS[2]
    assert lines[lines.index(SECTIONS[2]) + 1] == "— chưa viết"
    assert card.options[0] == "▶️ Viết tiếp: 3. Về tác phong, lề lối làm việc"
    for number in (3, 4):
        prompt = await pick(chat, lan, card, card.options[0])
        card = await ask(chat, lan, TEXTS[number])

    # Section 5: a task with a target and a deadline; bad ones are explained.
    items = await pick(chat, lan, card, card.options[0])
    assert SECTIONS[4] in items.text
    assert "Chưa có việc nào." in items.text
    assert items.options == ["➕ Thêm việc", "✅ Xong"]
    prompt = await pick(chat, lan, items, "➕ Thêm việc")
    assert "Đồng chí gõ một việc cụ thể" in prompt.text
    target = await ask(chat, lan, "Tham gia đầy đủ các buổi học tập nghị quyết")
    assert target.text.startswith("Chỉ tiêu, gồm số và đơn vị")
    assert "Bỏ qua" in target.options
    words = await ask(chat, lan, "mười hai")
    assert words.text.startswith("⚠️ Chỉ tiêu cần ghi bằng chữ số")
    deadline = await ask(chat, lan, "12 buổi")
    assert deadline.text.startswith("Thời hạn hoàn thành, trong khoảng 01/01/2027 đến 31/12/2027")
    outside = await ask(chat, lan, "30/6/2028")
    assert outside.text.startswith("⚠️ Thời hạn phải nằm trong kỳ, từ 01/01/2027 đến 31/12/2027.")
    items = await ask(chat, lan, "30/6")
    assert lines_of(items)[0] == "✅ Đã lưu."
    assert (
        "1) Tham gia đầy đủ các buổi học tập nghị quyết (chỉ tiêu: 12 buổi; hạn 30/06/2027)"
        in (items.text)
    )
    assert items.text.rstrip().endswith("Thêm việc khác?") or "Thêm việc khác?" in items.text
    assert items.options == ["➕ Thêm việc", "🗑 Xóa 1", "✅ Xong"]
    card = await pick(chat, lan, items, "✅ Xong")
    assert card.options[0] == f"▶️ Viết tiếp: {SECTIONS[5]}"

    # Section 6: a task with no target and no deadline.
    items = await pick(chat, lan, card, card.options[0])
    prompt = await pick(chat, lan, items, "➕ Thêm việc")
    target = await ask(chat, lan, "Đi làm đúng giờ, giữ gìn trật tự nơi làm việc")
    deadline = await pick(chat, lan, target, "Bỏ qua")
    items = await pick(chat, lan, deadline, "Bỏ qua")
    assert "1) Đi làm đúng giờ, giữ gìn trật tự nơi làm việc" in items.text
    card = await pick(chat, lan, items, "✅ Xong")
    assert card.options[0] == f"▶️ Viết tiếp: {SECTIONS[6]}"
    assert "📤 Gửi duyệt" not in card.options

    # Section 7: the rating level aimed for, then an emulation title.
    level = await pick(chat, lan, card, card.options[0])
    assert "Năm nay đồng chí phấn đấu đạt mức xếp loại nào?" in level.text
    assert level.options[:3] == [
        "Hoàn thành xuất sắc nhiệm vụ",
        "Hoàn thành tốt nhiệm vụ",
        "Hoàn thành nhiệm vụ",
    ]
    title = await pick(chat, lan, level, "Hoàn thành tốt nhiệm vụ")
    assert title.options[:3] == ["Lao động tiên tiến", "Chiến sĩ thi đua cơ sở", "Không đăng ký"]
    card = await pick(chat, lan, title, "Lao động tiên tiến")
    assert "Phấn đấu đạt: Hoàn thành tốt nhiệm vụ" in card.text
    assert "Danh hiệu thi đua: Lao động tiên tiến" in card.text
    assert "— chưa viết" not in card.text
    assert card.options[0] == "📤 Gửi duyệt"

    # Submit: the committee is told privately.
    secretary_before = len(chat.received(secretary))
    sent = await pick(chat, lan, card, "📤 Gửi duyệt")
    assert "📤 Đã gửi bản cam kết cho chi ủy duyệt." in sent.text
    assert "Trạng thái: đã gửi, chờ chi ủy duyệt" in sent.text
    assert sent.options == []
    await chat.bot.settle()
    told = chat.received(secretary)[secretary_before:]
    assert told == ["📨 Đồng chí Trần Thị Lan đã gửi bản cam kết năm 2027 — gõ /duyet để xem."]

    # The secretary returns it with a comment; Lan is told, with the comment.
    review = await ask(chat, secretary, "/duyet")
    assert "🔎 Bản cam kết chờ duyệt (phiên bản 1)" in review.text
    assert "Chi bộ Văn phòng · đồng chí Trần Thị Lan" in review.text
    assert TEXTS[4] in review.text
    assert review.options == ["✅ Duyệt", "↩️ Trả lại"]
    comment = await pick(chat, secretary, review, "↩️ Trả lại")
    assert comment.text.startswith("Đồng chí Trần Thị Lan cần sửa gì?")
    returned = await ask(chat, secretary, "Mục 5 cần thêm chỉ tiêu công việc chuyên môn.")
    assert returned.text.startswith("↩️ Đã trả lại bản cam kết cho đồng chí Trần Thị Lan")
    await chat.bot.settle()
    assert chat.last(lan) == (
        "↩️ Chi ủy đã trả lại bản cam kết năm 2027 của đồng chí để sửa.\n"
        "Nhận xét: Mục 5 cần thêm chỉ tiêu công việc chuyên môn.\n"
        "Đồng chí gõ /camket để sửa và gửi lại."
    )

    # Lan edits section 5 and submits again.
    card = await ask(chat, lan, "/camket")
    assert "Trạng thái: chi ủy trả lại để sửa" in card.text
    assert "↩️ Nhận xét của chi ủy: Mục 5 cần thêm chỉ tiêu công việc chuyên môn." in card.text
    assert card.options[0] == "📤 Gửi duyệt"
    items = await pick(chat, lan, card, f"✏️ {SECTIONS[4]}")
    prompt = await pick(chat, lan, items, "➕ Thêm việc")
    await ask(chat, lan, "Hoàn thành kế hoạch công tác chuyên môn")
    await ask(chat, lan, "100%")
    items = await ask(chat, lan, "31/12")
    assert "2) Hoàn thành kế hoạch công tác chuyên môn (chỉ tiêu: 100%; hạn 31/12/2027)" in (
        items.text
    )
    card = await pick(chat, lan, items, "✅ Xong")
    sent = await pick(chat, lan, card, "📤 Gửi duyệt")
    assert "📤 Đã gửi bản cam kết cho chi ủy duyệt." in sent.text
    await chat.bot.settle()
    assert chat.last(secretary).startswith("📨 Đồng chí Trần Thị Lan đã gửi bản cam kết năm 2027")

    # The secretary approves; Lan is told; her card now offers only a new version.
    review = await ask(chat, secretary, "/duyet")
    assert "Hoàn thành kế hoạch công tác chuyên môn" in review.text
    approved = await pick(chat, secretary, review, "✅ Duyệt")
    assert "✅ Đã duyệt bản cam kết của đồng chí Trần Thị Lan" in approved.text
    assert "Không còn bản nào chờ duyệt." in approved.text
    await chat.bot.settle()
    assert (
        chat.last(lan)
        == "✅ Chi ủy đã duyệt bản cam kết năm 2027 của đồng chí. Gõ /camket để xem."
    )
    card = await ask(chat, lan, "/camket")
    assert "Trạng thái: đã duyệt" in card.text
    assert card.options == ["✏️ Sửa (tạo bản mới)"]
    [version] = stored(chat.bot, "Trần Thị Lan")
    assert (version.status, version.rating_goal, version.late) == (
        CommitmentStatus.APPROVED,
        "good",
        False,
    )
    assert [(i.section_key, i.target, i.unit) for i in stored_items(chat.bot, version.id)] == [
        ("duties", 12, "buổi"),
        ("follow", None, ""),
        ("duties", 100, "%"),
    ]

    # Progress, committee only and by name; in the group only the figure.
    mine = await ask(chat, secretary, "/camket")
    assert mine.options[-2:] == ["📋 Tiến độ", "➕ Mở đợt đăng ký"]
    progress = await pick(chat, secretary, mine, "📋 Tiến độ")
    lines = lines_of(progress)
    assert "Phải đăng ký: 3 · đã gửi: 1 (33%)" in lines
    assert lines[lines.index("✅ Đã duyệt (1):") + 1] == "Trần Thị Lan"
    assert lines[lines.index("⏳ Chưa viết (2):") + 1] == "Nguyễn Văn Bình, Lê Văn Hùng"
    assert "Phạm Văn Miễn" not in progress.text
    if chat.group is not None:
        assert lan.tg is not None
        in_group = await chat.bot.say(lan.tg, "/camket", chat=chat.group)
        assert in_group["text"].startswith("📊 1/3 đồng chí đã đăng ký bản cam kết năm 2027.")
        for name in ("Trần Thị Lan", "Lê Văn Hùng", "Nguyễn Văn Bình"):
            assert name not in in_group["text"]

    # Editing the approved commitment starts version 2; version 1 stays in force.
    draft = await pick(chat, lan, card, "✏️ Sửa (tạo bản mới)")
    assert "✏️ Đã tạo phiên bản 2 từ bản đã duyệt." in draft.text
    assert "Bản đã duyệt (phiên bản 1) vẫn có hiệu lực cho đến khi bản này được duyệt." in (
        draft.text
    )
    assert draft.options[0] == "📤 Gửi duyệt"
    first, second = stored(chat.bot, "Trần Thị Lan")
    assert (first.status, second.status) == (CommitmentStatus.APPROVED, CommitmentStatus.DRAFT)


# --- refusals ------------------------------------------------------------------------------------


async def test_the_exempt_member_is_not_asked(chat: Chat) -> None:
    secretary, people = await cell(chat)
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    exempt = people["Phạm Văn Miễn"]
    assert not any("mở đợt đăng ký" in t for t in chat.received(exempt))

    reply = await ask(chat, exempt, "/camket")
    assert reply.text.startswith("Đồng chí không thuộc diện phải đăng ký")
    assert reply.options == []


def written(bot: Bot, name: str) -> int:
    """Writes every section of a member's commitment through the services (the chat has its
    own test); returns its id."""
    now = bot.clock.now()
    with bot.db.session() as session:
        member = session.exec(select(Member).where(Member.full_name == name)).one()
        person = session.get(Person, member.person_id)
        assert person is not None
        [campaign] = campaigns.open_campaigns(session=session, org_id=member.org_id)
        draft = commitment_service.draft_for(
            session=session, campaign_id=campaign.id or 0, person=person, now=now
        )
        assert draft.id is not None
        for key, text in zip(
            ("politics", "ethics", "style", "discipline"), TEXTS.values(), strict=True
        ):
            commitment_service.set_answer(
                session=session,
                commitment_id=draft.id,
                section_key=key,
                text=text,
                person=person,
                now=now,
            )
        for key in ("duties", "follow"):
            commitment_service.add_item(
                session=session,
                commitment_id=draft.id,
                section_key=key,
                text="Hoàn thành đúng hạn mọi việc được giao",
                person=person,
                now=now,
            )
        commitment_service.set_goal(
            session=session,
            commitment_id=draft.id,
            person=person,
            now=now,
            level=RatingLevel.EXCELLENT,
        )
        return draft.id


def submitted(bot: Bot, name: str) -> int:
    """Writes and submits a member's commitment through the services; returns its id."""
    commitment_id = written(bot, name)
    with bot.db.session() as session:
        member = session.exec(select(Member).where(Member.full_name == name)).one()
        person = session.get(Person, member.person_id)
        assert person is not None
        commitment_service.submit(
            session=session, commitment_id=commitment_id, person=person, now=bot.clock.now()
        )
    return commitment_id


async def test_review_is_for_the_committee_and_happens_once(chat: Chat) -> None:
    secretary, people = await cell(chat)
    keys = await chat.add_people(secretary, ["Đỗ Thị Phó"], role="Phó bí thư")
    deputy = chat.add("Đỗ Thị Phó")
    await chat.join(deputy, keys["Đỗ Thị Phó"])
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    commitment_id = submitted(chat.bot, "Trần Thị Lan")
    hung = people["Lê Văn Hùng"]

    # A member typing /duyet is told it is for the committee.
    refused = await ask(chat, hung, "/duyet")
    assert refused.text == ("Chỉ chi ủy (bí thư, phó bí thư, chi ủy viên) mới dùng được lệnh này.")

    # Someone else's review button, forged by a member: refused, nothing changes.
    if chat.telegram:
        assert hung.tg is not None
        any_message = chat.api.last_message(hung.tg)
        assert any_message is not None
        answer = await chat.bot.tap_data(hung.tg, any_message, f"kv|{commitment_id}")
        assert answer["text"].startswith("Chỉ chi ủy")
        assert answer["show_alert"] is True
        [version] = stored(chat.bot, "Trần Thị Lan")
        assert version.status == CommitmentStatus.SUBMITTED

    # Both reviewers open it; the first approves; the second's tap changes nothing.
    for_secretary = await ask(chat, secretary, "/duyet")
    for_deputy = await ask(chat, deputy, "/duyet")
    assert for_deputy.options == ["✅ Duyệt", "↩️ Trả lại"]
    approved = await pick(chat, secretary, for_secretary, "✅ Duyệt")
    assert "✅ Đã duyệt bản cam kết của đồng chí Trần Thị Lan" in approved.text
    late = await pick(chat, deputy, for_deputy, "✅ Duyệt")
    assert late.text.startswith(
        "Bản cam kết này đã được đồng chí khác trong chi ủy duyệt hoặc trả lại."
    )
    returning = await pick(chat, deputy, for_deputy, "↩️ Trả lại")
    assert returning.text.startswith("Bản cam kết này đã được đồng chí khác")
    await chat.bot.settle()
    lan = people["Trần Thị Lan"]
    approvals = [t for t in chat.received(lan) if t.startswith("✅ Chi ủy đã duyệt")]
    assert len(approvals) == 1
    [version] = stored(chat.bot, "Trần Thị Lan")
    assert version.status == CommitmentStatus.APPROVED

    nothing = await ask(chat, deputy, "/duyet")
    assert nothing.text.startswith("Không có bản cam kết nào đang chờ duyệt.")

    # Two waiting: the oldest first, and "another one" goes round them.
    submitted(chat.bot, "Lê Văn Hùng")
    submitted(chat.bot, "Đỗ Thị Phó")
    first = await ask(chat, secretary, "/duyet")
    assert "Có 2 bản cam kết đang chờ duyệt." in first.text
    assert "đồng chí Lê Văn Hùng" in first.text
    assert first.options == ["✅ Duyệt", "↩️ Trả lại", "⏭ Bản khác"]
    other = await pick(chat, secretary, first, "⏭ Bản khác")
    assert "đồng chí Đỗ Thị Phó" in other.text
    again = await pick(chat, secretary, other, "⏭ Bản khác")
    assert "đồng chí Lê Văn Hùng" in again.text


async def test_submitting_with_empty_sections_names_them(chat: Chat) -> None:
    secretary, people = await cell(chat)
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    lan = people["Trần Thị Lan"]
    card = await ask(chat, lan, "/camket")
    prompt = await pick(chat, lan, card, card.options[0])
    await ask(chat, lan, TEXTS[1])
    # A stale submit (e.g. typed from an old list) is refused with the empty sections named.
    with chat.bot.db.session() as session:
        campaign_id = session.exec(select(Campaign.id)).one()
    if chat.telegram:
        assert lan.tg is not None
        message = chat.api.last_message(lan.tg)
        assert message is not None
        answer = await chat.bot.tap_data(lan.tg, message, f"ku|{campaign_id}")
        await chat.bot.settle()
        said = chat.last(lan)
        assert answer["text"].startswith("Chưa gửi được: các mục sau còn trống: 2. Về đạo đức")
        assert said.startswith("Chưa gửi được")
        assert "7. Mục tiêu xếp loại, danh hiệu thi đua" in said
    else:
        # Zalo lists only what the card offers: no submit while sections are empty.
        assert "📤 Gửi duyệt" not in latest(chat, lan).options
    [draft] = stored(chat.bot, "Trần Thị Lan")
    assert draft.status == CommitmentStatus.DRAFT
    assert prompt is not None


async def test_late_submission_is_accepted_and_marked(chat: Chat) -> None:
    secretary, people = await cell(chat)
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    lan = people["Trần Thị Lan"]
    written(chat.bot, "Trần Thị Lan")
    card = await ask(chat, lan, "/camket")
    assert card.options[0] == "📤 Gửi duyệt"
    # 16/12/2026 in Hà Nội: the day after the deadline.
    set_clock(chat.bot, datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
    sent = await pick(chat, lan, card, "📤 Gửi duyệt")
    assert "Hạn nộp là 15/12/2026, nên bản cam kết được ghi là nộp muộn." in sent.text
    assert "Trạng thái: đã gửi, chờ chi ủy duyệt (nộp muộn)" in sent.text
    await chat.bot.settle()
    assert chat.last(secretary) == (
        "📨 Đồng chí Trần Thị Lan đã gửi bản cam kết năm 2027 (nộp muộn) — gõ /duyet để xem."
    )
    [version] = stored(chat.bot, "Trần Thị Lan")
    assert (version.status, version.late) == (CommitmentStatus.SUBMITTED, True)


async def test_stopping_keeps_what_was_typed_and_tasks_can_be_deleted(chat: Chat) -> None:
    secretary, people = await cell(chat)
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    lan = people["Trần Thị Lan"]
    card = await ask(chat, lan, "/camket")

    # /huy in a text section goes back to the card; nothing was written.
    await pick(chat, lan, card, card.options[0])
    back = await ask(chat, lan, "/huy")
    assert lines_of(back)[0] == "Đã dừng. Mọi câu trả lời trước đó đều đã được lưu."
    assert back.options[0] == "▶️ Viết tiếp: 1. Về tư tưởng chính trị"

    # A task stopped after its text is kept with no target; it can be deleted.
    items = await pick(chat, lan, back, f"✏️ {SECTIONS[4]}")
    prompt = await pick(chat, lan, items, "➕ Thêm việc")
    target = await ask(chat, lan, "Việc viết nhầm")
    assert target.text.startswith("Chỉ tiêu, gồm số và đơn vị")
    stopped = await pick(chat, lan, target, "✖️ Thoát")
    assert lines_of(stopped)[0] == "Đã dừng. Mọi câu trả lời trước đó đều đã được lưu."
    assert "1) Việc viết nhầm" in stopped.text
    [draft] = stored(chat.bot, "Trần Thị Lan")
    assert [i.text for i in stored_items(chat.bot, draft.id)] == ["Việc viết nhầm"]
    deleted = await pick(chat, lan, stopped, "🗑 Xóa 1")
    assert "🗑 Đã xóa: Việc viết nhầm" in deleted.text
    assert "Chưa có việc nào." in deleted.text
    assert deleted.options == ["➕ Thêm việc", "✅ Xong"]
    assert stored_items(chat.bot, draft.id) == []
    assert prompt is not None


async def test_english_member_writes_in_english(chat: Chat) -> None:
    secretary, people = await cell(chat)
    hung = people["Lê Văn Hùng"]
    picker = await ask(chat, hung, "/ngonngu")
    await pick(chat, hung, picker, "English")
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()

    notice = latest(chat, hung)
    assert notice.text.startswith(
        "📝 Chi bộ Văn phòng has opened the registration: Commitment to self-cultivation, "
        "training and striving for 2027. Deadline: 15 Dec 2026."
    )
    assert notice.options == ["📝 Write my commitment"]
    card = await pick(chat, hung, notice, "📝 Write my commitment")
    lines = lines_of(card)
    assert lines[0] == "📜 Commitment to self-cultivation, training and striving for 2027"
    assert lines[1] == "Chi bộ Văn phòng · comrade Lê Văn Hùng"
    assert lines[2] == "Deadline: 15 Dec 2026 · Status: not started yet"
    assert card.options[0] == "▶️ Continue: 1. On political ideology"
    prompt = await pick(chat, hung, card, card.options[0])
    huge = await ask(chat, hung, "x" * 10_000)
    assert huge.text.startswith("⚠️ That is too long: at most 2,000 characters.")
    saved = await ask(chat, hung, "Loyal to the Party's ideals.")
    assert lines_of(saved)[0] == "✅ Saved."
    assert saved.options[0] == "▶️ Continue: 2. On ethics and lifestyle"
    assert prompt is not None


async def test_help_and_menus_name_the_commands_for_each_role(chat: Chat) -> None:
    secretary, people = await cell(chat)
    for_member = await ask(chat, people["Trần Thị Lan"], "/trogiup")
    for_secretary = await ask(chat, secretary, "/trogiup")
    assert "/camket — bản cam kết của đồng chí: viết, gửi duyệt, xem lại" in for_member.text
    assert "/duyet" not in for_member.text
    assert "/duyet — duyệt các bản cam kết đã gửi; tiến độ đăng ký" in for_secretary.text
    if chat.telegram:
        private = {
            c["command"]: c["description"] for c in chat.api.commands("all_private_chats", "")
        }
        english = {
            c["command"]: c["description"] for c in chat.api.commands("all_private_chats", "en")
        }
        groups = {c["command"] for c in chat.api.commands("all_group_chats", "")}
        assert private["camket"] == "Bản cam kết của tôi: viết, gửi, xem"
        # The committee's commands are in the committee's own chats only.
        assert "duyet" not in private
        assert secretary.tg is not None
        own = {
            c["command"]: c["description"] for c in chat.api.commands("chat", chat=secretary.tg.id)
        }
        assert own["duyet"] == "Duyệt bản cam kết (chi ủy)"
        assert english["camket"] == "My commitment: write, submit, view"
        assert "camket" in groups
        assert "duyet" not in groups


async def test_several_open_registrations_are_picked_first(chat: Chat) -> None:
    secretary, people = await cell(chat)
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    with chat.bot.db.session() as session:
        org_id = session.exec(select(Campaign.org_id)).one()
        opener = session.exec(
            select(Person).where(Person.display_name == "Nguyễn Văn Bình")
        ).first()
        assert opener is not None
        campaigns.open_campaign(
            session=session,
            org_id=org_id,
            draft=campaigns.CampaignDraft(
                kind=CampaignKind.FOLLOW, year=2027, deadline=date(2026, 12, 20)
            ),
            actor=opener,
            now=chat.bot.clock.now(),
        )
    lan = people["Trần Thị Lan"]
    picker = await ask(chat, lan, "/camket")
    assert lines_of(picker)[0] == "Đang có nhiều đợt đăng ký. Đồng chí chọn đợt nào?"
    assert picker.options == [
        "📝 Bản đăng ký học tập và làm theo Bác năm 2027",
        f"📝 {TITLE}",
    ]
    card = await pick(chat, lan, picker, "📝 Bản đăng ký học tập và làm theo Bác năm 2027")
    lines = lines_of(card)
    assert lines[0] == "📜 Bản đăng ký học tập và làm theo Bác năm 2027"
    assert lines[
        lines.index("1. Việc làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh") + 1
    ] == ("— chưa viết")
    assert card.options == [
        "▶️ Viết tiếp: 1. Việc làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
        "✏️ 1. Việc làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    ]

    # The committee sees the progress of each.
    mine = await ask(chat, secretary, "/camket")
    assert mine.options[-3:] == [
        "📋 Tiến độ: bản đăng ký học tập và làm theo Bác năm 2027",
        "📋 Tiến độ: bản cam kết năm 2027",
        "➕ Mở đợt đăng ký",
    ]

    # Editing a written text section shows what is there now.
    picker = await ask(chat, lan, "/camket")
    pledge = await pick(chat, lan, picker, f"📝 {TITLE}")
    prompt = await pick(chat, lan, pledge, pledge.options[0])
    card = await ask(chat, lan, TEXTS[1])
    prompt = await pick(chat, lan, card, f"✏️ {SECTIONS[0]}")
    assert "Nội dung hiện tại:" in prompt.text
    assert TEXTS[1] in prompt.text
    assert "nội dung mới sẽ thay nội dung trên" in prompt.text


async def test_a_long_commitment_comes_whole_in_parts(chat: Chat) -> None:
    secretary, people = await cell(chat)
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    commitment_id = written(chat.bot, "Trần Thị Lan")
    long_texts = {
        key: f"Mục {key}: " + "rèn luyện phẩm chất, " * 90 + "hết mục."
        for key in ("politics", "ethics", "style", "discipline")
    }
    with chat.bot.db.session() as session:
        member = session.exec(select(Member).where(Member.full_name == "Trần Thị Lan")).one()
        lan_person = session.get(Person, member.person_id)
        assert lan_person is not None
        for key, text in long_texts.items():
            commitment_service.set_answer(
                session=session,
                commitment_id=commitment_id,
                section_key=key,
                text=text,
                person=lan_person,
                now=chat.bot.clock.now(),
            )
    lan = people["Trần Thị Lan"]
    card = await ask(chat, lan, "/camket")
    items = await pick(chat, lan, card, f"✏️ {SECTIONS[4]}")
    # "Xong" would edit the list into the card; the card is longer than one message can be.
    again = await pick(chat, lan, items, "✅ Xong")
    for text in long_texts.values():
        assert text in again.text
    assert again.options[0] == "📤 Gửi duyệt"
    parts = re.findall(r"\((\d+)/(\d+)\)", again.text)
    assert len(parts) >= 2


async def test_the_committee_exports_the_register(chat: Chat) -> None:
    """From the committee's progress screen: the register as XLSX and DOCX on Telegram (read
    back here); on Zalo, which takes no files from the bot, how to get them instead."""
    import io

    from docx import Document
    from openpyxl import load_workbook

    secretary, people = await cell(chat)
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    mine = await ask(chat, secretary, "/camket")
    progress = await pick(chat, secretary, mine, "📋 Tiến độ")
    assert progress.options[0] == "📄 Xuất sổ đăng ký"

    # The button forged by a plain member: refused, no file made.
    lan = people["Trần Thị Lan"]
    if lan.tg is not None:
        with chat.bot.db.session() as session:
            [campaign] = session.exec(select(Campaign)).all()
        any_message = chat.api.last_message(lan.tg)
        assert any_message is not None
        answer = await chat.bot.tap_data(lan.tg, any_message, f"kq|{campaign.id}")
        assert answer["text"].startswith("Chỉ chi ủy")
        assert not [c for c in chat.api.calls if c.method == "sendDocument"]

    if chat.telegram:
        assert secretary.tg is not None
        secretary_id = secretary.tg.id
        await pick(chat, secretary, progress, "📄 Xuất sổ đăng ký")
        sent = [
            await chat.api.next_call(
                "sendDocument", where=lambda c: c.params["chat_id"] == secretary_id
            )
            for _ in range(2)
        ]
        by_name = {}
        for call in sent:
            assert call.result is not None
            document = call.result["document"]
            by_name[document["file_name"].rsplit(".", 1)[1]] = chat.api.file_bytes(
                document["file_id"]
            )
            assert call.result["caption"].startswith(TITLE)
        sheet = load_workbook(io.BytesIO(by_name["xlsx"])).worksheets[0]
        names = [row[1].value for row in sheet.iter_rows(min_row=4)]
        assert sorted(names) == sorted(["Nguyễn Văn Bình", "Trần Thị Lan", "Lê Văn Hùng"])
        assert {row[2].value for row in sheet.iter_rows(min_row=4)} == {"chưa đăng ký"}
        paragraphs = [p.text for p in Document(io.BytesIO(by_name["docx"])).paragraphs]
        assert "Họ và tên: Trần Thị Lan" in paragraphs
        assert "Phạm Văn Miễn" not in "\n".join(paragraphs)  # exempt: not in the register
    else:
        told = await pick(chat, secretary, progress, "📄 Xuất sổ đăng ký")
        assert told.text.startswith("Zalo không nhận được tệp từ tôi.")
        assert "chibot report commitments “Chi bộ Văn phòng” --year 2027" in told.text

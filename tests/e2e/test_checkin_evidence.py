"""Evidence on check-ins end to end: a member sends a photo with an item's answer and the
committee sees it; a refused file (an executable, one over 10 MB) or a typed answer where a
file is asked for changes nothing. On Telegram (files and photos) and on Zalo (photos)."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import col, select

from bot.models import FlowState
from bot.models.commitments import CheckIn, ItemStatus
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.test_checkins import Q1_OPENS, TASK_1, TASK_2, at, open_pledge, submit
from tests.e2e.test_commitments import ask, cell, latest, lines_of, pick

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2048
ZALO_PHOTO = "https://photo.zalo.example/evidence/buoi-hoc-nghi-quyet.jpg"
EVIDENCE_PROMPT = "📎 Gửi ảnh"


async def send_photo(chat: Chat, who: Someone) -> list[Msg]:
    """The person sends a photo privately; returns what the bot answered."""
    since = time.monotonic()
    if who.tg is not None:
        await chat.api.user_sends_photo(who.tg, JPEG)
    else:
        assert who.zalo is not None
        await chat.zapi.user_sends_image(who.zalo, ZALO_PHOTO)
    await chat._first_reply(who, since)
    return chat._sent_since(who, since)


async def send_document(chat: Chat, who: Someone, name: str, data: bytes, mime: str) -> str:
    """The person sends a file on Telegram; returns the first line of the bot's answer."""
    assert who.tg is not None
    since = time.monotonic()
    await chat.api.user_sends_document(who.tg, name, data, mime_type=mime)
    await chat._first_reply(who, since)
    return chat._sent_since(who, since)[0].text.split("\n")[0]


async def at_evidence_step(chat: Chat) -> tuple[Someone, Someone, Msg]:
    """Lan's round is open; she answers item 1 (status, number, no note) and is asked for
    evidence. Returns the secretary, Lan and the evidence question."""
    secretary, people = await cell(chat)
    lan = people["Trần Thị Lan"]
    campaign_id = open_pledge(chat.bot)
    for name in ("Trần Thị Lan", "Nguyễn Văn Bình"):
        submit(chat.bot, campaign_id, name)
    await at(chat, Q1_OPENS + timedelta(minutes=1))
    status = await pick(chat, lan, latest(chat, lan), "📝 Báo cáo tiến độ")
    await pick(chat, lan, status, "Đang thực hiện")
    note = await ask(chat, lan, "8")
    proof = await pick(chat, lan, note, "Bỏ qua")
    assert proof.text.startswith(EVIDENCE_PROMPT), proof.text
    assert "Bỏ qua" in proof.options
    return secretary, lan, proof


async def test_a_photo_as_evidence_is_kept_and_the_committee_sees_it(chat: Chat) -> None:
    secretary, lan, proof = await at_evidence_step(chat)
    if chat.telegram:
        assert "tối đa 10 MB" in proof.text
    replies = await send_photo(chat, lan)
    # The photo answers the question: the form goes on to item 2.
    assert lines_of(replies[-1])[0] == f"Việc 2/2: {TASK_2}", replies[-1].text
    note = await pick(chat, lan, replies[-1], "Hoàn thành")
    proof = await pick(chat, lan, note, "Bỏ qua")
    summary = await pick(chat, lan, proof, "Bỏ qua")
    lines = lines_of(summary)
    assert lines[lines.index(f"1) {TASK_1}") + 1] == (
        "→ Đang thực hiện, đạt 8/12 buổi; 📎 minh chứng: anh.jpg"
    )
    assert lines[lines.index(f"2) {TASK_2}") + 1] == "→ Hoàn thành"

    with chat.bot.db.session() as session:
        found = session.exec(select(CheckIn).order_by(col(CheckIn.item_id))).all()
    assert [(a.status, a.value, a.evidence_name) for a in found] == [
        (ItemStatus.IN_PROGRESS, 8, "anh.jpg"),
        (ItemStatus.DONE, None, None),
    ]
    assert found[0].evidence_channel == chat.channel
    if chat.telegram:
        # The id Telegram gave the photo, to send it on again without a copy of its bytes.
        assert found[0].evidence_ref
        assert found[0].evidence_ref != ZALO_PHOTO
    else:
        assert found[0].evidence_ref == ZALO_PHOTO

    # Lan's own card shows it …
    card = await ask(chat, lan, "/camket")
    assert f"1) {TASK_1}: Đang thực hiện, đạt 8/12 buổi; 📎 minh chứng: anh.jpg" in card.text
    # … and so does the committee's follow-up.
    mine = await ask(chat, secretary, "/camket")
    progress = await pick(chat, secretary, mine, "📋 Tiến độ")
    lines = lines_of(progress)
    assert "📎 Minh chứng đã gửi (1):" in lines
    assert lines[lines.index("📎 Minh chứng đã gửi (1):") + 1] == (
        f"Trần Thị Lan — {TASK_1}: 📎 anh.jpg"
    )


async def test_refused_evidence_changes_nothing_and_the_question_stays(chat: Chat) -> None:
    _, lan, _ = await at_evidence_step(chat)
    with chat.bot.db.session() as session:
        before = [(a.item_id, a.status, a.value) for a in session.exec(select(CheckIn))]
    if chat.telegram:
        over = await send_document(
            chat, lan, "bao-cao.pdf", b"%" * (10 * 1024 * 1024 + 1), "application/pdf"
        )
        assert over == "⚠️ Tệp quá lớn: tối đa 10 MB."
        program = await send_document(chat, lan, "tien-do.exe", b"MZ", "application/x-msdownload")
        assert program.startswith("⚠️ Tôi chỉ chuyển được tài liệu PDF, Word"), program
    # Typed words are no evidence: the question is asked again, saying what to send.
    typed = await ask(chat, lan, "ảnh em gửi sau")
    expected = (
        "⚠️ Đồng chí vui lòng gửi ảnh hoặc tệp, hoặc bấm Bỏ qua."
        if chat.telegram
        else "⚠️ Đồng chí vui lòng gửi ảnh, hoặc chọn Bỏ qua."
    )
    assert typed.text.startswith(expected), typed.text
    assert EVIDENCE_PROMPT in typed.text
    with chat.bot.db.session() as session:
        rows = session.exec(select(CheckIn)).all()
        [state] = session.exec(select(FlowState)).all()
    assert [(a.item_id, a.status, a.value) for a in rows] == before
    assert all(a.evidence_ref is None and a.evidence_name is None for a in rows)
    assert (state.flow, state.step) == ("checkin", "e0")
    # The form is still there: a photo now is taken.
    replies = await send_photo(chat, lan)
    assert lines_of(replies[-1])[0] == f"Việc 2/2: {TASK_2}"

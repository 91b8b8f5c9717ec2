"""Meeting documents: a committee member sends a file, members get it and tap "Đã đọc"."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.models import DocumentRead, Meeting, MeetingDocument
from tests.e2e.conftest import Bot
from tests.e2e.flows import add_people, join, linked_cell
from tests.e2e.test_meetings import HANOI_SUNDAY_10AM, schedule, set_clock

PDF = b"%PDF-1.4\n% bien ban\n" + b"0" * 2000


async def _cell_with_meeting(bot: Bot):  # type: ignore[no-untyped-def]
    secretary, group = await linked_cell(bot)
    tokens = await add_people(bot, secretary, ["Trần Thị Lan", "Phạm Văn Đức"])
    lan = bot.api.add_user("Lan")
    await join(bot, lan, tokens["Trần Thị Lan"])
    set_clock(bot, HANOI_SUNDAY_10AM)
    preview = await schedule(bot, secretary)
    await bot.tap_edit(secretary, preview, "✅ Xác nhận")
    await bot.settle()
    return secretary, group, lan


async def test_document_goes_out_and_the_committee_sees_who_read_it(bot: Bot) -> None:
    secretary, _, lan = await _cell_with_meeting(bot)

    await bot.api.user_sends_document(
        secretary, "de-cuong-chuyen-de.pdf", PDF, mime_type="application/pdf"
    )
    pick = await bot.api.next_call(
        "sendMessage", where=lambda c: "dùng cho cuộc họp nào" in c.params["text"]
    )
    assert pick.result is not None
    confirm = await bot.tap_edit(
        secretary,
        pick.result,
        pick.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
    )
    sent = await bot.tap_edit(secretary, confirm, "✅ Xác nhận")
    assert sent["text"].startswith("Đã gửi tới 2 đồng chí.")
    assert "42-HD/BTCTW" not in sent["text"]

    received = await bot.api.next_call(
        "sendDocument", where=lambda c: c.params["chat_id"] == lan.id
    )
    assert received.result is not None
    assert received.result["document"]["file_name"] == "de-cuong-chuyen-de.pdf"
    assert bot.api.file_bytes(received.result["document"]["file_id"]) == PDF
    answer = await bot.tap(lan, received.result, "📖 Đã đọc")
    assert answer["text"] == "Đã ghi nhận đồng chí đã đọc tài liệu. Cảm ơn đồng chí."
    await bot.tap(lan, received.result, "📖 Đã đọc")

    listing = await bot.say(secretary, "/lichhop")
    assert "📎 de-cuong-chuyen-de.pdf (đã đọc 1/3)" in listing["text"]
    await bot.api.user_taps(secretary, listing, "👥 Tình hình đăng ký")
    answers = await bot.api.next_call(
        "sendMessage", where=lambda c: "Tình hình đăng ký" in c.params["text"]
    )
    assert answers.result is not None
    assert "📎 de-cuong-chuyen-de.pdf: đã đọc 1/3." in answers.result["text"]
    assert "Chưa đọc: Nguyễn Văn Bình, Phạm Văn Đức" in answers.result["text"]
    with bot.db.session() as session:
        assert len(session.exec(select(DocumentRead)).all()) == 1


async def test_short_notice_warns_and_bad_files_are_refused(bot: Bot) -> None:
    secretary, _, lan = await _cell_with_meeting(bot)
    with bot.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
    set_clock(bot, meeting.starts_at - timedelta(hours=5))

    await bot.api.user_sends_document(
        secretary, "virus.exe", b"MZ" * 100, mime_type="application/x-msdownload"
    )
    refused = await bot.api.next_call(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == secretary.id and "PDF" in c.params["text"],
    )
    assert refused.result is not None
    await bot.api.user_sends_document(lan, "bao-cao.pdf", PDF, mime_type="application/pdf")
    member_try = await bot.api.next_call(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == lan.id and "chi ủy" in c.params["text"],
    )
    assert member_try.result is not None

    await bot.api.user_sends_document(secretary, "bien-ban.pdf", PDF, mime_type="application/pdf")
    pick = await bot.api.next_call(
        "sendMessage", where=lambda c: "dùng cho cuộc họp nào" in c.params["text"]
    )
    assert pick.result is not None
    confirm = await bot.tap_edit(
        secretary,
        pick.result,
        pick.result["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
    )
    sent = await bot.tap_edit(secretary, confirm, "✅ Xác nhận")
    assert "Hướng dẫn 42-HD/BTCTW ngày 28/10/2025" in sent["text"]
    with bot.db.session() as session:
        assert [d.file_name for d in session.exec(select(MeetingDocument))] == ["bien-ban.pdf"]

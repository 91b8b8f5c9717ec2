"""Meeting documents: a committee member sends a file, members get it and tap "Đã đọc".

Only Telegram lets a committee member send the bot a file, so the secretary uploads there; the
members read on the chat's channel (on Zalo the document comes as a note "📎 <file name>").
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.models import DocumentRead, Meeting, MeetingDocument
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.conftest import Bot
from tests.e2e.test_meetings import (
    HANOI_SUNDAY_10AM,
    choose_all,
    on_telegram,
    schedule_meeting,
    set_clock,
    telegram_only,
)

PDF = b"%PDF-1.4\n% bien ban\n" + b"0" * 2000
READ = "Đã ghi nhận đồng chí đã đọc tài liệu. Cảm ơn đồng chí."


async def _cell_with_meeting(chat: Chat) -> tuple[Chat, Someone, Someone]:
    """A cell whose secretary works on Telegram (to upload files) and whose member Lan joined
    on the chat's channel, with a meeting scheduled; returns the secretary's driver, the
    secretary and Lan."""
    office = chat if chat.telegram else Chat(chat.bot, chat.zapi, "telegram")
    secretary = await office.linked_cell()
    keys = await chat.add_people(secretary, ["Trần Thị Lan", "Phạm Văn Đức"])
    lan = chat.add("Trần Thị Lan")
    await chat.join(lan, keys["Trần Thị Lan"])
    set_clock(chat.bot, HANOI_SUNDAY_10AM)
    preview = await schedule_meeting(office, secretary)
    done = await choose_all(office, secretary, preview, "✅ Xác nhận")
    assert any("Đã lên lịch" in t for t in done), done
    await chat.bot.settle()
    return office, secretary, lan


async def _upload(office: Chat, secretary: Someone, file_name: str) -> list[str]:
    """The secretary sends a PDF, picks the first meeting and confirms; returns the texts the
    bot sent or edited for the secretary on confirming."""
    assert secretary.tg is not None
    secretary_id = secretary.tg.id
    await office.api.user_sends_document(secretary.tg, file_name, PDF, mime_type="application/pdf")
    pick = await office.api.next_call(
        "sendMessage",
        where=lambda c: (
            c.params["chat_id"] == secretary_id and "dùng cho cuộc họp nào" in c.params["text"]
        ),
    )
    assert pick.result is not None
    pick_msg = on_telegram(pick.result)
    confirm = await office.choose(secretary, pick_msg, pick_msg.options[0])
    return await choose_all(office, secretary, confirm, "✅ Xác nhận")


async def test_document_goes_out_and_the_committee_sees_who_read_it(chat: Chat) -> None:
    office, secretary, lan = await _cell_with_meeting(chat)

    sent = await _upload(office, secretary, "de-cuong-chuyen-de.pdf")
    [report] = [t for t in sent if t.startswith("Đã gửi")]
    assert report.startswith("Đã gửi tới 2 đồng chí.")
    assert "42-HD/BTCTW" not in report

    if lan.tg is not None:
        lan_id = lan.tg.id
        received = await chat.api.next_call(
            "sendDocument", where=lambda c: c.params["chat_id"] == lan_id
        )
        assert received.result is not None
        assert received.result["document"]["file_name"] == "de-cuong-chuyen-de.pdf"
        assert chat.api.file_bytes(received.result["document"]["file_id"]) == PDF
        document = on_telegram(received.result)
    else:
        # Zalo takes no files from the bot: a note names the file, "Đã đọc" has a number.
        await chat.bot.settle()
        [note] = [t for t in chat.received(lan) if t.startswith("📎 de-cuong-chuyen-de.pdf")]
        assert "Đồng chí vui lòng đọc trước cuộc họp" in note
        assert "\n1. 📖 Đã đọc" in note
        assert lan.zalo is not None
        assert not [
            c
            for c in chat.zapi.calls
            if c.method != "sendMessage" and c.params.get("chat_id") == lan.zalo.id
        ]
        document = Msg(note)
    answer = await chat.choose(lan, document, "📖 Đã đọc")
    assert answer.text == READ
    # Reading twice counts once.
    again = await chat.choose(lan, document, "📖 Đã đọc")
    assert again.text == READ

    listing = await office.say(secretary, "/lichhop")
    # Counted against those it was sent to (Đức has not joined: he got nothing to read).
    assert "📎 de-cuong-chuyen-de.pdf (đã đọc 1/2)" in listing.text
    answers = await office.choose(secretary, listing, "👥 Tình hình đăng ký")
    assert "Tình hình đăng ký" in answers.text
    assert "📎 de-cuong-chuyen-de.pdf: đã đọc 1/2." in answers.text
    assert "Chưa đọc: Nguyễn Văn Bình" in answers.text
    assert "Chưa tham gia nên chưa nhận được tài liệu: Phạm Văn Đức" in answers.text
    with chat.bot.db.session() as session:
        assert len(session.exec(select(DocumentRead)).all()) == 1


async def test_short_notice_warns_and_bad_files_are_refused(bot: Bot) -> None:
    # Telegram only: both the committee member's and the member's uploads are files.
    office, secretary, lan = await _cell_with_meeting(telegram_only(bot))
    assert secretary.tg is not None
    assert lan.tg is not None
    secretary_id, lan_id = secretary.tg.id, lan.tg.id
    with bot.db.session() as session:
        meeting = session.exec(select(Meeting)).one()
    set_clock(bot, meeting.starts_at - timedelta(hours=5))

    await bot.api.user_sends_document(
        secretary.tg, "virus.exe", b"MZ" * 100, mime_type="application/x-msdownload"
    )
    refused = await bot.api.next_call(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == secretary_id and "PDF" in c.params["text"],
    )
    assert refused.result is not None
    await bot.api.user_sends_document(lan.tg, "bao-cao.pdf", PDF, mime_type="application/pdf")
    member_try = await bot.api.next_call(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == lan_id and "chi ủy" in c.params["text"],
    )
    assert member_try.result is not None

    sent = await _upload(office, secretary, "bien-ban.pdf")
    assert any("Hướng dẫn 42-HD/BTCTW ngày 28/10/2025" in t for t in sent), sent
    with bot.db.session() as session:
        assert [d.file_name for d in session.exec(select(MeetingDocument))] == ["bien-ban.pdf"]


async def test_the_caption_written_under_a_document_reaches_members(chat: Chat) -> None:
    office, secretary, lan = await _cell_with_meeting(chat)
    assert secretary.tg is not None
    secretary_id = secretary.tg.id
    await office.api.user_sends_document(
        secretary.tg,
        "de-cuong.pdf",
        PDF,
        mime_type="application/pdf",
        caption="Các đồng chí đọc kỹ phần <II> trước buổi họp",
    )
    pick = await office.api.next_call(
        "sendMessage",
        where=lambda c: (
            c.params["chat_id"] == secretary_id and "dùng cho cuộc họp nào" in c.params["text"]
        ),
    )
    assert pick.result is not None
    pick_msg = on_telegram(pick.result)
    confirm = await office.choose(secretary, pick_msg, pick_msg.options[0])
    await choose_all(office, secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()
    if lan.tg is not None:
        lan_id = lan.tg.id
        received = await chat.api.next_call(
            "sendDocument", where=lambda c: c.params["chat_id"] == lan_id
        )
        assert received.result is not None
        caption = received.result["caption"]
    else:
        [caption] = [t for t in chat.received(lan) if t.startswith("📎 de-cuong.pdf")]
    # Shown as written (escaped on Telegram, plain on Zalo), under the bot's own lines.
    assert "💬 Các đồng chí đọc kỹ phần <II> trước buổi họp" in caption

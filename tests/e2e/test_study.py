"""Study campaigns end to end: the committee sends study material with a deadline and a
reflection; members confirm reading, submit, change and are refused when too short or late; the
committee's participation figures, reminders to those missing, the exports, and refusals; an
officer of a đảng bộ sending to two cells and seeing counts per cell, never names.

The scenarios run on Telegram (buttons, files) and on Zalo (typed numbers, links, no files).
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.models import Announcement, StudySubmission
from tests.e2e.chat import Chat, Msg, Someone
from tests.e2e.test_announcements import cell
from tests.e2e.test_meetings import choose_all, latest, set_clock, shown

TEXT = "Quán triệt Nghị quyết Hội nghị lần thứ mười Ban Chấp hành Trung ương."
LINK = "https://example.org/nghi-quyet-10.pdf"
READ = "📖 Đã đọc / đã học"
SUBMIT = "✍️ Nộp bài thu hoạch"
CHANGE = "✏️ Sửa bài thu hoạch"
REFLECTION = (
    "Qua học tập nghị quyết, tôi nhận thức rõ hơn trách nhiệm nêu gương của đảng viên, "
    "sẽ tham gia đầy đủ sinh hoạt chi bộ và vận động gia đình thực hiện tốt nơi cư trú."
)
MINIMUM = 100
# 23:59 on Tuesday 12 January 2027 in Hà Nội.
DEADLINE = datetime(2027, 1, 12, 16, 59, tzinfo=UTC)


async def open_study(
    chat: Chat,
    secretary: Someone,
    *,
    reflection: str = "Viết bài thu hoạch",
    when: str = "📤 Gửi ngay",
) -> Msg:
    """Runs /thongbao → new study material through its questions; returns the preview."""
    menu = await chat.say(secretary, "/thongbao")
    form = await chat.choose(secretary, menu, "📖 Gửi tài liệu học tập mới")
    assert form.text.startswith("📖 Gõ nội dung các đồng chí cần học tập"), form.text
    attach = await chat.say(secretary, TEXT)
    assert attach.text.startswith("📎"), attach.text
    more = await chat.say(secretary, LINK)
    assert shown(more).startswith("📎 G"), more.text
    who = await chat.choose(secretary, more, "✅ Xong")
    assert shown(who) == "Gửi cho ai?", who.text
    deadline = await chat.choose(secretary, who, "👥 Toàn chi bộ")
    assert deadline.text.startswith("⏳ Hạn hoàn thành học tập"), deadline.text
    early = await chat.say(secretary, "8h")  # 08:00 today; it is 10:00
    assert early.text.startswith("⚠️ Hạn hoàn thành phải sau thời điểm gửi tài liệu."), early.text
    kind = await chat.say(secretary, "12/1")
    assert shown(kind) == "Mỗi đồng chí cần gửi lại gì?", kind.text
    nxt = await chat.choose(secretary, kind, reflection)
    if reflection == "Viết bài thu hoạch":
        bad = await chat.say(secretary, "không")
        assert bad.text.startswith("⚠️ Đề nghị gõ độ dài tối thiểu"), bad.text
        nxt = await chat.say(secretary, str(MINIMUM))
    timing = nxt
    assert timing.text.startswith("Khi nào gửi?"), timing.text
    if when == "📤 Gửi ngay":
        nxt = await chat.choose(secretary, timing, when)
    else:
        nxt = await chat.say(secretary, when)
    if chat.telegram:
        nxt = await chat.choose(secretary, nxt, "Không")
    return nxt


def studies_of(chat: Chat, who: Someone) -> list[str]:
    return [t for t in chat.received(who) if t.startswith("📖 Tài liệu học tập của")]


def study_message(chat: Chat, who: Someone) -> Msg:
    """The newest study material this person got, with its buttons."""
    found = [m for m in chat._sent_since(who, 0.0) if m.text.startswith("📖 Tài liệu học tập của")]
    assert found
    return found[-1]


async def view_study(chat: Chat, secretary: Someone) -> Msg:
    menu = await chat.say(secretary, "/thongbao")
    return await chat.choose(secretary, menu, menu.options[1])


async def sent_study(chat: Chat) -> tuple[Someone, dict[str, Someone]]:
    secretary, people = await cell(chat)
    preview = await open_study(chat, secretary)
    assert preview.text.startswith("👀 Xem trước — mỗi đồng chí sẽ nhận được:"), preview.text
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    return secretary, people


async def test_members_read_submit_change_and_are_refused_when_short_or_late(chat: Chat) -> None:
    secretary, people = await sent_study(chat)
    lan, hung, duc = people["Trần Thị Lan"], people["Lê Văn Hùng"], people["Phạm Văn Đức"]

    [message] = studies_of(chat, lan)
    assert TEXT in message
    assert LINK in message
    assert "⏳ Hạn hoàn thành: " in message
    assert f"✍️ Mỗi đồng chí viết bài thu hoạch: tối thiểu {MINIMUM} ký tự." in message
    if not chat.telegram:
        assert message.endswith(f"1. {READ}\n2. {SUBMIT}"), message

    thanks = await chat.choose(lan, latest(chat, lan), READ)
    assert thanks.text == "📖 Đã ghi nhận: đồng chí đã đọc / đã học tài liệu. Cảm ơn đồng chí."

    prompt = await chat.choose(hung, latest(chat, hung), SUBMIT)
    assert prompt.text.startswith(f"✍️ Mỗi đồng chí viết bài thu hoạch: tối thiểu {MINIMUM}")
    short = "Tôi đã học tập nghị quyết."
    refused = await chat.say(hung, short)
    assert refused.text.startswith(
        f"⚠️ Bài thu hoạch quá ngắn: {len(short)} ký tự, chi ủy yêu cầu tối thiểu {MINIMUM}. "
        f"Còn thiếu {MINIMUM - len(short)} ký tự;"
    ), refused.text
    received = await chat.say(hung, REFLECTION)
    assert received.text.startswith("✅ Đã nhận bài thu hoạch của đồng chí."), received.text
    again = await chat.choose(hung, received, CHANGE)
    assert "Bài đồng chí đã nộp:" in again.text
    assert REFLECTION in again.text
    changed = await chat.say(hung, REFLECTION + " Bổ sung.")
    assert changed.text.startswith("✏️ Đã cập nhật bài thu hoạch của đồng chí."), changed.text

    view = await view_study(chat, secretary)
    assert "📖 Đã đọc: 3/4" in view.text  # the author, Lan, Hùng (submitting is reading)
    assert "✍️ Bài thu hoạch: 1/4" in view.text
    assert "📊 Tỷ lệ tham gia: 25% — chưa đạt mức trên 95%." in view.text
    assert "Chưa đọc: Phạm Văn Đức" in view.text
    assert "Chưa nộp thu hoạch: Nguyễn Văn Bình, Trần Thị Lan" in view.text

    # The author owes the reflection too, so gets the reminder as well as the note.
    reminded = await choose_all(chat, secretary, view, "🔔 Nhắc người chưa hoàn thành")
    assert [t for t in reminded if t.startswith("🔔 Đã gửi lời nhắc tới 3 đồng chí.")], reminded
    await chat.bot.settle()
    nudge = "🔔 Nhắc: đề nghị đồng chí học tập tài liệu của Chi bộ Văn phòng"
    assert [t for t in chat.received(duc) if t.startswith(nudge)] != []
    assert [t for t in chat.received(lan) if t.startswith(nudge)] != []  # owes the reflection
    assert [t for t in chat.received(hung) if t.startswith(nudge)] == []  # done

    # After the deadline, changing the reflection is refused and nothing changes.
    set_clock(chat.bot, DEADLINE + timedelta(minutes=5))
    late = await chat.choose(hung, changed, CHANGE)
    # A refused tap is a toast on Telegram, a message on Zalo.
    assert late.text.removeprefix("⚠️ ").startswith("Đã quá hạn (12/01/2027): không thể nộp")
    with chat.bot.db.session() as session:
        [kept] = session.exec(select(StudySubmission)).all()
        assert kept.text == REFLECTION + " Bổ sung."


async def test_the_committee_exports_the_reflections(chat: Chat) -> None:
    from docx import Document
    from openpyxl import load_workbook

    secretary, people = await sent_study(chat)
    hung = people["Lê Văn Hùng"]
    await chat.choose(hung, latest(chat, hung), SUBMIT)
    await chat.say(hung, REFLECTION)
    view = await view_study(chat, secretary)
    if not chat.telegram:
        told = await chat.choose(secretary, view, "📥 Xuất bài thu hoạch")
        assert told.text.startswith("Zalo không nhận được tệp từ tôi."), told.text
        with chat.bot.db.session() as session:
            [study] = session.exec(select(Announcement)).all()
        assert f"chibot report study “Chi bộ Văn phòng” {study.id} --format docx" in told.text
        return
    assert secretary.tg is not None
    secretary_id = secretary.tg.id
    await chat.choose(secretary, view, "📥 Xuất bài thu hoạch")
    sent = [
        await chat.api.next_call(
            "sendDocument", where=lambda c: c.params["chat_id"] == secretary_id
        )
        for _ in range(2)
    ]
    files = {}
    for call in sent:
        assert call.result is not None
        document = call.result["document"]
        files[document["file_name"].rsplit(".", 1)[1]] = chat.api.file_bytes(document["file_id"])
        assert call.result["caption"] == "Bài thu hoạch: 1/4 đồng chí"
    paragraphs = [p.text for p in Document(io.BytesIO(files["docx"])).paragraphs]
    assert "1. Lê Văn Hùng" in paragraphs
    assert REFLECTION in paragraphs
    assert "Trần Thị Lan" not in "\n".join(paragraphs)  # nothing submitted: no section
    sheet = load_workbook(io.BytesIO(files["xlsx"])).worksheets[0]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert set(rows) == {"Nguyễn Văn Bình", "Trần Thị Lan", "Lê Văn Hùng", "Phạm Văn Đức"}
    assert (rows["Lê Văn Hùng"][5], rows["Lê Văn Hùng"][7]) == (len(REFLECTION), REFLECTION)
    assert rows["Phạm Văn Đức"][2] is None  # not read


async def test_refusals_change_nothing(chat: Chat) -> None:
    secretary, people = await sent_study(chat)
    lan = people["Trần Thị Lan"]
    refused = await chat.say(lan, "/thongbao")
    assert refused.text.startswith("Chỉ chi ủy"), refused.text
    if chat.telegram:
        assert lan.tg is not None
        message = chat.api.last_message(lan.tg)
        assert message is not None
        answer = await chat.bot.tap_data(lan.tg, message, "sn")
        assert answer["text"].startswith("Chỉ chi ủy"), answer
        # A reflection sent as a file of a refused type: refused, nothing stored.
        await chat.choose(lan, study_message(chat, lan), SUBMIT)
        since = time.monotonic()
        await chat.api.user_sends_document(
            lan.tg, "virus.exe", b"MZ", mime_type="application/x-msdownload"
        )
        call = await chat.api.next_call(
            "sendMessage", where=lambda c: c.params["chat_id"] == lan.chat_id and c.at >= since
        )
        assert str(call.params["text"]).startswith("⚠️ "), call.params
        since = time.monotonic()
        await chat.api.user_sends_document(
            lan.tg, "thu-hoach.pdf", b"%PDF-1.4", mime_type="application/pdf"
        )
        thanks = await chat.api.next_call(
            "sendMessage", where=lambda c: c.params["chat_id"] == lan.chat_id and c.at >= since
        )
        assert str(thanks.params["text"]).startswith("✅ Đã nhận bài thu hoạch"), thanks.params
        with chat.bot.db.session() as session:
            [kept] = session.exec(select(StudySubmission)).all()
        assert (kept.file_name, kept.text) == ("thu-hoach.pdf", "")
    else:
        with chat.bot.db.session() as session:
            assert session.exec(select(StudySubmission)).all() == []
    # Study material scheduled for later, then cancelled: nothing goes out, and a button
    # naming it is answered politely.
    preview = await open_study(chat, secretary, reflection="Chỉ cần đọc", when="mai 8h")
    scheduled = await chat.choose(secretary, preview, "✅ Xác nhận")
    assert scheduled.text.startswith("⏰ Đã hẹn gửi lúc"), scheduled.text
    ask = await chat.choose(secretary, scheduled, "🗑 Hủy thông báo")
    cancelled = await chat.choose(secretary, ask, "🗑 Đồng ý hủy")
    assert "🔔" not in "".join(cancelled.options), cancelled.options
    with chat.bot.db.session() as session:
        newest = session.exec(select(Announcement).order_by(col(Announcement.id).desc())).first()
    assert newest is not None
    assert newest.status == "cancelled"
    set_clock(chat.bot, datetime(2027, 1, 6, 2, 0, tzinfo=UTC))  # 09:00 the next day
    await chat.bot.tick()
    assert len(studies_of(chat, lan)) == 1  # only the first one
    if lan.tg is not None:
        message = chat.api.last_message(lan.tg)
        assert message is not None
        for data in (f"sw|{newest.id}", f"aa|{newest.id}"):
            answer = await chat.bot.tap_data(lan.tg, message, data)
            assert answer["text"] == "Thông báo này đã bị hủy.", answer


# --- an officer of the đảng bộ -------------------------------------------------------------------

PARTY = "Đảng bộ Khối Cơ quan"


async def officer_over_two_cells(
    chat: Chat,
) -> tuple[Someone, Someone, dict[str, Someone]]:
    """A đảng bộ with two cells (Văn phòng: Bình, Lan; Tài vụ: Bình, Đức) and an officer made
    as the operator does, who joined with their link (Telegram) or code (Zalo)."""
    from bot.services import officers, orgs

    set_clock(chat.bot, datetime(2027, 1, 5, 3, 0, tzinfo=UTC))
    chat.bot.new_cell(PARTY)
    first, people = await chat.cell_with_members(["Trần Thị Lan"])
    second = await chat.linked_cell("Chi bộ Tài vụ")
    keys = await chat.add_people(second, ["Phạm Văn Đức"])
    people["Phạm Văn Đức"] = chat.add("Phạm Văn Đức")
    await chat.join(people["Phạm Văn Đức"], keys["Phạm Văn Đức"])
    with chat.bot.db.session() as session:
        party = orgs.find_org(session=session, name=PARTY)
        assert party is not None
        for name in ("Chi bộ Văn phòng", "Chi bộ Tài vụ"):
            cell = orgs.find_org(session=session, name=name)
            assert cell is not None
            cell.parent_id = party.id
            session.add(cell)
        session.flush()
        _, issued = officers.add_officer(
            session=session, org=party, full_name="Hoàng Văn Thanh", now=chat.bot.clock.now()
        )
        session.commit()
    officer = chat.add("Hoàng Văn Thanh")
    welcome = await chat.join(officer, issued.token if chat.telegram else issued.code)
    assert "Hoàng Văn Thanh" in welcome.text, welcome.text
    return officer, first, people


async def test_an_officer_announces_to_two_cells_and_sees_counts_but_no_names(
    chat: Chat,
) -> None:
    officer, secretary, people = await officer_over_two_cells(chat)
    lan, duc = people["Trần Thị Lan"], people["Phạm Văn Đức"]

    menu = await chat.say(officer, "/thongbao")
    form = await chat.choose(officer, menu, "➕ Soạn thông báo mới")
    assert form.text.startswith("✍️ Gõ nội dung thông báo"), form.text  # the đảng bộ is theirs
    attach = await chat.say(officer, TEXT)
    who = await chat.choose(officer, attach, "Không đính kèm")
    assert "🏛 Tất cả chi bộ trực thuộc" in who.options, who.options
    cells = await chat.choose(officer, who, "✍️ Chọn chi bộ theo tên")
    assert cells.text.startswith("Gõ tên các chi bộ"), cells.text
    unknown = await chat.say(officer, "Chi bộ Không Có")
    assert unknown.text.startswith("⚠️ Đề nghị chọn các chi bộ trực thuộc đảng bộ này."), unknown
    ack = await chat.say(officer, "Văn phòng, Tài vụ")
    timing = await chat.choose(officer, ack, "Có: yêu cầu “✅ Đã nắm”")
    preview = await chat.choose(officer, timing, "📤 Gửi ngay")
    assert "🏛 Đảng viên mỗi chi bộ nhận như thông báo của chi bộ mình: " in preview.text
    assert "(4 đồng chí)" in preview.text, preview.text
    sent = await chat.choose(officer, preview, "✅ Xác nhận")
    assert sent.text.startswith("📤 Đã gửi tới 2 chi bộ."), sent.text
    await chat.bot.settle()

    # Each cell's members get it as their own cell's announcement.
    assert [t for t in chat.received(lan) if t.startswith("📢 Thông báo của Chi bộ Văn phòng")]
    assert [t for t in chat.received(duc) if t.startswith("📢 Thông báo của Chi bộ Tài vụ")]
    await chat.choose(lan, latest(chat, lan), "✅ Đã nắm")

    menu = await chat.say(officer, "/thongbao")
    figures = await chat.choose(officer, menu, menu.options[1])
    assert "• Chi bộ Tài vụ: đã gửi tới 2/2 · đã nắm 0 (0%)" in figures.text, figures.text
    assert "• Chi bộ Văn phòng: đã gửi tới 2/2 · đã nắm 1 (50%)" in figures.text
    assert "📊 Toàn đảng bộ: 1/4 đồng chí (25%)" in figures.text
    for name in ("Trần Thị Lan", "Phạm Văn Đức", "Nguyễn Văn Bình"):
        assert name not in figures.text

    # The cell's own secretary sees the names of their cell.
    menu = await chat.say(secretary, "/thongbao")
    view = await chat.choose(secretary, menu, menu.options[1])
    assert "đã nắm: 1 · chưa xác nhận: 1" in view.text, view.text
    assert "Chưa xác nhận: Nguyễn Văn Bình" in view.text

    # The officer naming a cell's announcement is refused: counts only.
    with chat.bot.db.session() as session:
        in_cell = session.exec(
            select(Announcement).where(col(Announcement.batch_id).is_not(None))
        ).first()
    assert in_cell is not None
    if officer.tg is not None:
        answer = await chat.bot.tap_data(officer.tg, figures.raw or {}, f"av|{in_cell.id}")
        assert answer["text"].startswith("Đồng chí là đảng ủy viên nên chỉ xem được số liệu"), (
            answer
        )


async def test_a_member_in_english_studies_and_submits_in_english(chat: Chat) -> None:
    secretary, people = await cell(chat)
    hung = people["Lê Văn Hùng"]
    picker = await chat.say(hung, "/ngonngu")
    await chat.choose(hung, picker, "English")
    preview = await open_study(chat, secretary)
    await chat.choose(secretary, preview, "✅ Xác nhận")
    await chat.bot.settle()
    message = latest(chat, hung)
    assert message.text.startswith("📖 Study material from Chi bộ Văn phòng")
    prompt = await chat.choose(hung, message, "✍️ Submit the reflection")
    assert prompt.text
    short = "I have studied the resolution."
    refused = await chat.say(hung, short)
    assert refused.text.startswith(
        f"⚠️ The reflection is too short: {len(short)} characters, the committee asks for at "
        f"least {MINIMUM}. {MINIMUM - len(short)} characters are missing;"
    ), refused.text
    received = await chat.say(hung, REFLECTION)
    assert received.text.startswith("✅ Your reflection was received. Thank you, comrade.")

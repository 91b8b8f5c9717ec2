"""Sơ kết / tổng kết and commendations end to end, on Telegram (buttons) and Zalo (numbers):
the committee starts the year-end review, a member writes, rates and submits their
self-review, the committee commends a member and finds the closed registration again."""

from __future__ import annotations

from sqlmodel import select

from bot.models import Member, Person
from bot.models.commitments import Campaign, CampaignStatus, SelfReview, SelfReviewStatus
from bot.services import commitments, reviews
from tests.e2e.chat import Chat
from tests.e2e.test_commitments import ask, cell, latest, lines_of, open_pledge, pick

YEAR_END = "🏁 Tổng kết năm"
MINE = "📝 Viết bản tự kiểm điểm"
SUBMIT = "📤 Nộp bản tự kiểm điểm"


def approve_for(chat: Chat, name: str) -> None:
    """Gives `name` an approved commitment (written, submitted and approved through the
    services: the journey itself is tested in test_commitments)."""
    with chat.bot.db.session() as session:
        campaign = session.exec(select(Campaign)).one()
        member = session.exec(select(Member).where(Member.full_name == name)).one()
        who = session.get(Person, member.person_id)
        secretary = session.exec(
            select(Person)
            .join(Member, Member.person_id == Person.id)
            .where(Member.full_name == "Nguyễn Văn Bình")
        ).one()
        assert who is not None
        draft = commitments.draft_for(
            session=session, campaign_id=campaign.id or 0, person=who, now=chat.bot.clock.now()
        )
        now = chat.bot.clock.now()
        for key in ("politics", "ethics", "style", "discipline"):
            commitments.set_answer(
                session=session,
                commitment_id=draft.id or 0,
                section_key=key,
                text="Thực hiện nghiêm túc.",
                person=who,
                now=now,
            )
        for key, text in (("duties", "Hoàn thành 12 chuyên đề"), ("follow", "Đi làm đúng giờ")):
            commitments.add_item(
                session=session,
                commitment_id=draft.id or 0,
                section_key=key,
                text=text,
                person=who,
                now=now,
            )
        commitments.set_goal(
            session=session, commitment_id=draft.id or 0, level="good", person=who, now=now
        )
        commitments.submit(session=session, commitment_id=draft.id or 0, person=who, now=now)
        reviews.approve(session=session, commitment_id=draft.id or 0, actor=secretary, now=now)


async def test_year_end_review_self_review_and_commendation(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan, hung = people["Trần Thị Lan"], people["Lê Văn Hùng"]
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    approve_for(chat, "Trần Thị Lan")

    # The committee commends Lan for one of her tasks: typed name, task, reason, confirm.
    mine = await ask(chat, secretary, "/camket")
    progress = await pick(chat, secretary, mine, "📋 Tiến độ")
    assert progress.options == [
        "📄 Xuất sổ đăng ký",
        "🏁 Sơ kết 6 tháng",
        YEAR_END,
        "🏅 Biểu dương đồng chí",
    ]
    who = await pick(chat, secretary, progress, "🏅 Biểu dương đồng chí")
    assert who.text.startswith("Chi bộ biểu dương đồng chí nào trong bản cam kết năm 2027?")
    unknown = await ask(chat, secretary, "Hoàng Văn Không")
    assert "Không có đồng chí nào thuộc diện đăng ký tên “Hoàng Văn Không”" in unknown.text
    ambiguous = await ask(chat, secretary, "văn")
    assert ambiguous.text.startswith("⚠️ Có nhiều đồng chí trùng:")
    task = await ask(chat, secretary, "tran thi lan")
    assert task.text.startswith("Biểu dương cả bản cam kết hay một việc cụ thể?")
    assert task.options[:3] == [
        "Cả bản cam kết",
        "1) Hoàn thành 12 chuyên đề",
        "2) Đi làm đúng giờ",
    ]
    reason = await pick(chat, secretary, task, "2) Đi làm đúng giờ")
    assert reason.text.startswith("Lý do biểu dương đồng chí Trần Thị Lan?")
    confirm = await ask(chat, secretary, "Gương mẫu <b>đúng giờ</b> cả năm")
    assert "Lý do: Gương mẫu <b>đúng giờ</b> cả năm" in confirm.text
    done = await pick(chat, secretary, confirm, "✅ Xác nhận")
    assert done.text == "🏅 Đã biểu dương đồng chí Trần Thị Lan. Đồng chí đó đã được báo."
    await chat.bot.settle()
    told = latest(chat, lan)
    assert told.text.startswith(
        "🏅 Chi bộ biểu dương đồng chí trong bản cam kết năm 2027: Gương mẫu <b>đúng giờ</b>"
    )
    assert "Về việc: Đi làm đúng giờ" in told.text

    # The year-end review: asked first, then started; members are told privately.
    mine = await ask(chat, secretary, "/camket")
    progress = await pick(chat, secretary, mine, "📋 Tiến độ")
    asked = await pick(chat, secretary, progress, YEAR_END)
    assert asked.text.startswith("Bắt đầu tổng kết năm (bản cam kết năm 2027)?")
    assert "không còn báo cáo tiến độ hay lời nhắc" in asked.text
    started = await pick(chat, secretary, asked, "✅ Bắt đầu tổng kết năm")
    assert started.text.startswith(
        "✅ Đã bắt đầu tổng kết năm: đã nhắn 3 đồng chí viết bản tự kiểm điểm."
    )
    await chat.bot.settle()
    notice = latest(chat, lan)
    assert notice.text.startswith("📝 Chi bộ bắt đầu tổng kết năm (bản cam kết năm 2027).")
    assert notice.options == [MINE]

    # Lan's self-review: results from her commitment; submitting too early is refused.
    review = await pick(chat, lan, notice, MINE)
    lines = lines_of(review)
    assert lines[0] == "📝 Bản tự kiểm điểm — tổng kết năm, bản cam kết năm 2027"
    assert "1) Hoàn thành 12 chuyên đề: chưa báo cáo" in lines
    assert "Tự đề xuất xếp loại: — chưa chọn" in lines
    assert review.options[0] == "✏️ Viết phần tự đánh giá"
    assert review.options[-1] == SUBMIT
    early = await pick(chat, lan, review, SUBMIT)
    assert "Trước khi nộp, đồng chí hãy viết phần tự đánh giá" in early.text
    prompt = await pick(chat, lan, review, "✏️ Viết phần tự đánh giá")
    assert prompt.text.startswith("Phần tự đánh giá: ưu điểm, hạn chế")
    empty = await ask(chat, lan, "   ")
    assert "Đồng chí hãy gõ" in empty.text
    saved = await ask(chat, lan, "Hoàn thành tốt nhiệm vụ; cần học thêm tin học.")
    assert saved.text.startswith("✅ Đã lưu.")
    assert "Hoàn thành tốt nhiệm vụ; cần học thêm tin học." in saved.text
    rated = await pick(chat, lan, saved, "⭐ Hoàn thành tốt nhiệm vụ")
    assert rated.text.startswith("✅ Đã đề xuất: Hoàn thành tốt nhiệm vụ.")
    submitted = await pick(chat, lan, rated, SUBMIT)
    assert submitted.text.startswith("📤 Đã nộp. Cảm ơn đồng chí.")
    with chat.bot.db.session() as session:
        stored = session.exec(
            select(SelfReview)
            .join(Member, Member.id == SelfReview.member_id)
            .where(Member.full_name == "Trần Thị Lan")
        ).one()
        assert (stored.status, stored.proposed_level) == (SelfReviewStatus.SUBMITTED, "good")
        campaign = session.exec(select(Campaign)).one()
        assert campaign.status == CampaignStatus.CLOSED

    # Hùng finds his self-review in /camket although the registration is closed.
    waiting = await ask(chat, hung, "/camket")
    assert waiting.text.startswith("Đồng chí có bản tự kiểm điểm đang chờ viết.")
    assert waiting.options == ["📝 Tự kiểm điểm: tổng kết năm, bản cam kết năm 2027"]

    # The committee still reaches the closed registration: figures, export, commendation.
    mine = await ask(chat, secretary, "/camket")
    assert "📋 Tiến độ" in mine.options
    progress = await pick(chat, secretary, mine, "📋 Tiến độ")
    assert "Tự kiểm điểm (tổng kết năm): 1/3 đã nộp" in lines_of(progress)
    assert progress.options == ["📄 Xuất sổ đăng ký", "🏅 Biểu dương đồng chí"]


async def test_a_member_cannot_start_a_review(chat: Chat) -> None:
    secretary, people = await cell(chat)
    summary = await open_pledge(chat, secretary)
    await pick(chat, secretary, summary, "✅ Xác nhận")
    await chat.bot.settle()
    lan = people["Trần Thị Lan"]
    if lan.tg is None:
        return  # Zalo members only ever see their own numbered choices
    with chat.bot.db.session() as session:
        campaign = session.exec(select(Campaign)).one()
    message = chat.api.last_message(lan.tg)
    assert message is not None
    for data in (f"kw|{campaign.id}|year", f"kt|{campaign.id}|mid", f"kb|{campaign.id}"):
        answer = await chat.bot.tap_data(lan.tg, message, data)
        assert answer["text"].startswith("Chỉ chi ủy")
    with chat.bot.db.session() as session:
        assert session.exec(select(SelfReview)).all() == []
        assert session.exec(select(Campaign)).one().status == CampaignStatus.OPEN

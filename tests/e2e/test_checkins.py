"""Check-ins end to end: registration reminders, rounds opened by the tick, answering item by
item, changing an answer, being away, a closed round refused, the committee's figures, nudges.

Each scenario runs on Telegram (buttons) and on Zalo (typed numbers). The campaign and the
approved commitments are made through the services (their chat journey has its own tests);
what is checked is what each person receives.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.models import Member, Person
from bot.models.commitments import (
    Cadence,
    CampaignKind,
    CheckIn,
    CheckInLeave,
    CheckInRound,
    ItemStatus,
    LeaveReason,
    RatingLevel,
)
from bot.services import campaigns, commitments, reviews
from tests.e2e.chat import Chat, Someone
from tests.e2e.conftest import Bot
from tests.e2e.test_commitments import ask, cell, latest, lines_of, pick, set_clock

TITLE = "bản cam kết năm 2027"
TASK_1 = "Tham gia đầy đủ các buổi học tập nghị quyết"
TASK_2 = "Đi làm đúng giờ, giữ gìn trật tự nơi làm việc"
STATUSES = ["Chưa thực hiện", "Đang thực hiện", "Hoàn thành", "Gặp khó khăn"]
ROUND_NOTICE = "📊 Đến kỳ báo cáo tiến độ"
NUDGE = "⏰ Nhắc: đồng chí chưa báo cáo tiến độ"


def local(y: int, m: int, d: int, hour: int, minute: int = 0) -> datetime:
    """An instant given in Hà Nội's time."""
    return datetime(y, m, d, hour, minute, tzinfo=UTC) - timedelta(hours=7)


Q1_OPENS = local(2027, 1, 1, 8)


def _person(session: Session, name: str) -> Person:
    member = session.exec(select(Member).where(Member.full_name == name)).one()
    found = session.get(Person, member.person_id)
    assert found is not None
    return found


def open_pledge(bot: Bot, secretary_name: str = "Nguyễn Văn Bình") -> int:
    """The secretary's bản cam kết 2027 (quarterly check-ins), opened through the service."""
    with bot.db.session() as session:
        secretary = _person(session, secretary_name)
        member = session.exec(select(Member).where(Member.person_id == secretary.id)).one()
        campaign = campaigns.open_campaign(
            session=session,
            org_id=member.org_id,
            draft=campaigns.CampaignDraft(
                kind=CampaignKind.PLEDGE,
                year=2027,
                deadline=date(2026, 12, 15),
                cadence=Cadence.QUARTERLY,
            ),
            actor=secretary,
            now=bot.clock.now(),
        )
        assert campaign.id is not None
        return campaign.id


def submit(bot: Bot, campaign_id: int, name: str, *, approve: bool = True) -> None:
    """`name` writes every section (one task with a target of 12 buổi, one without) and
    submits; the secretary approves it."""
    now = bot.clock.now()
    with bot.db.session() as session:
        who = _person(session, name)
        draft = commitments.draft_for(
            session=session, campaign_id=campaign_id, person=who, now=now
        )
        cid = draft.id or 0
        for key in ("politics", "ethics", "style", "discipline"):
            commitments.set_answer(
                session=session,
                commitment_id=cid,
                section_key=key,
                text="Nội dung",
                person=who,
                now=now,
            )
        commitments.add_item(
            session=session,
            commitment_id=cid,
            section_key="duties",
            text=TASK_1,
            target=12,
            unit="buổi",
            person=who,
            now=now,
        )
        commitments.add_item(
            session=session,
            commitment_id=cid,
            section_key="follow",
            text=TASK_2,
            person=who,
            now=now,
        )
        commitments.set_goal(
            session=session, commitment_id=cid, level=RatingLevel.GOOD, person=who, now=now
        )
        commitments.submit(session=session, commitment_id=cid, person=who, now=now)
        if approve:
            reviews.approve(
                session=session,
                commitment_id=cid,
                actor=_person(session, "Nguyễn Văn Bình"),
                now=now,
            )


def received_with(chat: Chat, who: Someone, start: str) -> list[str]:
    return [text for text in chat.received(who) if text.startswith(start)]


async def at(chat: Chat, instant: datetime) -> None:
    """Moves the clock and runs the tick."""
    set_clock(chat.bot, instant)
    await chat.bot.tick()


def rounds(bot: Bot) -> list[tuple[int, int]]:
    with bot.db.session() as session:
        return [
            (r.seq, r.id or 0)
            for r in session.exec(select(CheckInRound).order_by(col(CheckInRound.seq)))
        ]


# --- registration reminders ----------------------------------------------------------------------


async def test_registration_reminder_goes_to_non_submitters_by_day(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan, hung, exempt = people["Trần Thị Lan"], people["Lê Văn Hùng"], people["Phạm Văn Miễn"]
    campaign_id = open_pledge(chat.bot)
    submit(chat.bot, campaign_id, "Trần Thị Lan", approve=False)
    reminder = "⏰ Nhắc: đồng chí chưa gửi"

    await at(chat, local(2026, 11, 24, 22))  # night: nobody
    assert received_with(chat, hung, reminder) == []
    await at(chat, local(2026, 11, 25, 9))
    await at(chat, local(2026, 11, 25, 9, 5))  # a second tick sends nothing more
    assert received_with(chat, hung, reminder) == [
        f"⏰ Nhắc: đồng chí chưa gửi {TITLE}. Hạn nộp: 15/12/2026.\n"
        "Mỗi câu trả lời được lưu ngay, đồng chí có thể viết từng mục một."
        + ("" if chat.telegram else "\n\n1. 📝 Viết bản cam kết")
    ]
    assert len(received_with(chat, secretary, reminder)) == 1
    assert received_with(chat, lan, reminder) == []  # submitted
    assert received_with(chat, exempt, reminder) == []  # not expected
    await at(chat, local(2026, 11, 26, 10))  # one every two days at most
    assert len(received_with(chat, hung, reminder)) == 1

    card = await pick(chat, hung, latest(chat, hung), "📝 Viết bản cam kết")
    assert lines_of(card)[0] == "📜 Bản cam kết tu dưỡng, rèn luyện, phấn đấu năm 2027"


# --- a round: answering, changing, leave, figures ------------------------------------------------


async def test_a_round_opens_once_and_members_answer_change_and_take_leave(chat: Chat) -> None:
    secretary, people = await cell(chat)
    lan, hung = people["Trần Thị Lan"], people["Lê Văn Hùng"]
    campaign_id = open_pledge(chat.bot)
    for name in ("Trần Thị Lan", "Lê Văn Hùng", "Nguyễn Văn Bình"):
        submit(chat.bot, campaign_id, name)
    await at(chat, Q1_OPENS - timedelta(minutes=5))
    assert rounds(chat.bot) == []

    await at(chat, Q1_OPENS + timedelta(minutes=1))
    await at(chat, Q1_OPENS + timedelta(minutes=2))
    assert [seq for seq, _ in rounds(chat.bot)] == [1]
    [notice_text] = received_with(chat, lan, ROUND_NOTICE)
    assert notice_text.startswith(f"{ROUND_NOTICE} quý I/2027: {TITLE}.")
    assert "Kỳ báo cáo mở đến 08:00 01/04/2027." in notice_text
    assert received_with(chat, people["Phạm Văn Miễn"], ROUND_NOTICE) == []
    notice = latest(chat, lan)
    assert notice.options == ["📝 Báo cáo tiến độ", "🏖 Vắng kỳ này"]

    # Item 1: a status, the number reached, a note.
    status = await pick(chat, lan, notice, "📝 Báo cáo tiến độ")
    assert lines_of(status)[:2] == [f"Việc 1/2: {TASK_1}", "Đồng chí đã thực hiện đến đâu?"]
    assert status.options[:4] == STATUSES
    value = await pick(chat, lan, status, "Đang thực hiện")
    assert value.text.startswith("Đã đạt bao nhiêu buổi? (chỉ tiêu: 12 buổi)")
    assert "Bỏ qua" in value.options
    words = await ask(chat, lan, "tám")
    assert words.text.startswith("⚠️ Đồng chí gõ số đã đạt bằng chữ số")
    note = await ask(chat, lan, "8 buổi")
    assert note.text.startswith("Ghi chú ngắn nếu có (tối đa 500 ký tự)")
    proof = await ask(chat, lan, "Còn 4 chuyên đề")
    # Evidence is optional: skipped here (tests/e2e/test_checkin_evidence.py sends some).
    assert proof.text.startswith("📎 Gửi ảnh")
    second = await pick(chat, lan, proof, "Bỏ qua")
    # Item 2 (no target): a status, a note and evidence only.
    assert lines_of(second)[0] == f"Việc 2/2: {TASK_2}"
    note = await pick(chat, lan, second, "Hoàn thành")
    assert note.text.startswith("Ghi chú ngắn nếu có")
    proof = await pick(chat, lan, note, "Bỏ qua")
    summary = await pick(chat, lan, proof, "Bỏ qua")
    lines = lines_of(summary)
    assert lines[0] == "✅ Đã lưu."
    assert f"1) {TASK_1}" in lines
    assert lines[lines.index(f"1) {TASK_1}") + 1] == (
        "→ Đang thực hiện, đạt 8/12 buổi; ghi chú: Còn 4 chuyên đề"
    )
    assert lines[lines.index(f"2) {TASK_2}") + 1] == "→ Hoàn thành"
    assert summary.options == ["✏️ 1", "✏️ 2", "🏖 Vắng kỳ này"]

    # Changing the first answer.
    status = await pick(chat, lan, summary, "✏️ 1")
    assert lines_of(status)[0] == f"Việc 1/2: {TASK_1}"
    value = await pick(chat, lan, status, "Hoàn thành")
    note = await ask(chat, lan, "12")
    proof = await pick(chat, lan, note, "Bỏ qua")
    summary = await pick(chat, lan, proof, "Bỏ qua")
    lines = lines_of(summary)
    assert lines[lines.index(f"1) {TASK_1}") + 1] == (
        "→ Hoàn thành, đạt 12/12 buổi; ghi chú: Còn 4 chuyên đề"
    )
    with chat.bot.db.session() as session:
        answers = session.exec(select(CheckIn).order_by(col(CheckIn.item_id))).all()
        assert [(a.status, a.value) for a in answers] == [
            (ItemStatus.DONE, 12),
            (ItemStatus.DONE, None),
        ]

    # The member's card shows the latest answer against the target.
    card = await ask(chat, lan, "/camket")
    assert "📊 Tiến độ thực hiện (lần báo cáo gần nhất)" in card.text
    assert f"1) {TASK_1}: Hoàn thành, đạt 12/12 buổi; ghi chú: Còn 4 chuyên đề" in card.text

    # Hùng is away this round (on a work trip): /tiendo, then the reason.
    mine = await ask(chat, hung, "/tiendo")
    assert lines_of(mine)[0] == f"📊 Báo cáo tiến độ quý I/2027: {TITLE}"
    assert "→ chưa báo cáo" in mine.text
    assert mine.options[0] == "▶️ Bắt đầu báo cáo"
    reasons = await pick(chat, hung, mine, "🏖 Vắng kỳ này")
    assert reasons.options == ["Nghỉ phép", "Đi công tác", "Ốm", "↩️ Quay lại"]
    away = await pick(chat, hung, reasons, "Đi công tác")
    assert lines_of(away)[0] == (
        "🏖 Đã ghi nhận: đồng chí vắng kỳ này (Đi công tác). "
        "Đồng chí không bị tính là chưa báo cáo."
    )
    with chat.bot.db.session() as session:
        [leave] = session.exec(select(CheckInLeave)).all()
        assert leave.reason == LeaveReason.TRIP

    # The committee's progress: the rate against 95% and names; the group sees no name.
    mine = await ask(chat, secretary, "/camket")
    progress = await pick(chat, secretary, mine, "📋 Tiến độ")
    lines = lines_of(progress)
    assert "📊 Báo cáo tiến độ quý I/2027 (đến 08:00 01/04/2027)" in lines
    assert "Tỷ lệ báo cáo: 1/2 (50%) — chưa đạt 95%" in lines
    assert lines[lines.index("✅ Đã báo cáo (1):") + 1] == "Trần Thị Lan"
    assert lines[lines.index("🏖 Vắng kỳ này (1):") + 1] == "Lê Văn Hùng"
    assert lines[lines.index("⏳ Chưa báo cáo (1):") + 1] == "Nguyễn Văn Bình"
    if chat.group is not None:
        assert lan.tg is not None
        in_group = await chat.bot.say(lan.tg, "/camket", chat=chat.group)
        assert "📊 Báo cáo tiến độ quý I/2027: 1/2 đồng chí đã báo cáo." in in_group["text"]
        for name in ("Trần Thị Lan", "Lê Văn Hùng", "Nguyễn Văn Bình"):
            assert name not in in_group["text"]


# --- downtime, a closed round, nudges ------------------------------------------------------------


async def test_a_closed_round_is_refused_and_downtime_opens_one_late_round(chat: Chat) -> None:
    _, people = await cell(chat)
    lan = people["Trần Thị Lan"]
    campaign_id = open_pledge(chat.bot)
    submit(chat.bot, campaign_id, "Trần Thị Lan")
    await at(chat, Q1_OPENS + timedelta(hours=1))
    old_notice = latest(chat, lan)
    set_clock(chat.bot, local(2027, 3, 25, 9))
    status = await pick(chat, lan, old_notice, "📝 Báo cáo tiến độ")
    assert status.options[:4] == STATUSES

    # The first round closes when the second opens; its question is refused, nothing saved.
    await at(chat, local(2027, 4, 1, 8, 5))
    assert [seq for seq, _ in rounds(chat.bot)] == [1, 2]
    refused = await pick(chat, lan, status, "Hoàn thành")
    assert "Kỳ báo cáo này đã đóng, không có gì thay đổi." in refused.text
    if chat.telegram:
        again = await pick(chat, lan, old_notice, "📝 Báo cáo tiến độ")
        assert again.text.startswith("Kỳ báo cáo này đã đóng")
    with chat.bot.db.session() as session:
        assert session.exec(select(CheckIn)).all() == []
    await ask(chat, lan, "/huy")
    mine = await ask(chat, lan, "/tiendo")
    assert lines_of(mine)[0] == f"📊 Báo cáo tiến độ quý II/2027: {TITLE}"

    # The bot is down from April until mid-October; two ticks after it comes back open the
    # latest round only, once, saying it is late.
    await at(chat, local(2027, 10, 15, 10))
    await at(chat, local(2027, 10, 15, 10, 1))
    assert [seq for seq, _ in rounds(chat.bot)] == [1, 2, 4]
    notices = received_with(chat, lan, ROUND_NOTICE)
    assert len(notices) == 3
    assert notices[2].startswith(f"{ROUND_NOTICE} quý IV/2027")
    assert "(Kỳ báo cáo này mở muộn do hệ thống tạm ngừng hoạt động.)" in notices[2]


async def test_nudges_go_to_the_silent_at_most_twice(chat: Chat) -> None:
    _, people = await cell(chat)
    lan, hung = people["Trần Thị Lan"], people["Lê Văn Hùng"]
    campaign_id = open_pledge(chat.bot)
    submit(chat.bot, campaign_id, "Trần Thị Lan")
    submit(chat.bot, campaign_id, "Lê Văn Hùng")
    await at(chat, Q1_OPENS)
    status = await pick(chat, lan, latest(chat, lan), "📝 Báo cáo tiến độ")
    await pick(chat, lan, status, "Đang thực hiện")  # one answer is enough

    await at(chat, local(2027, 1, 2, 10))  # too soon
    await at(chat, local(2027, 1, 3, 22))  # night
    assert received_with(chat, hung, NUDGE) == []
    await at(chat, local(2027, 1, 4, 7, 30))
    await at(chat, local(2027, 1, 6, 9))
    await at(chat, local(2027, 1, 9, 9))
    await at(chat, local(2027, 1, 20, 9))
    nudges = received_with(chat, hung, NUDGE)
    assert len(nudges) == 2
    assert nudges[0].startswith(f"{NUDGE} quý I/2027 ({TITLE}).")
    assert received_with(chat, lan, NUDGE) == []

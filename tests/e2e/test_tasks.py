"""Tasks from a conclusion end to end: each owner is told privately with "✅ Xong", the tap
marks the task done (audited), someone else's tap is refused, and the digest stops listing a
done task as overdue while the period report counts it."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.models import AuditEntry, MeetingTask
from tests.e2e.chat import Chat
from tests.e2e.test_roll_call import _choose_all, _got, _meeting_under_way

TASK = "📌 Nhiệm vụ của đồng chí"


async def test_the_owner_marks_a_task_done_from_its_private_message(chat: Chat) -> None:
    secretary, lan, duc, meeting = await _meeting_under_way(chat)
    checklist = await chat.say(secretary, "/diemdanh")
    for name in ("Nguyễn Văn Bình", "Trần Thị Lan", "Phạm Văn Đức"):
        checklist = await chat.choose(secretary, checklist, f"⬜ {name}")
    await chat.choose(secretary, checklist, "🔒 Kết thúc điểm danh")
    await chat.bot.settle()
    [report] = _got(chat, secretary, "✅ Buổi sinh hoạt đạt yêu cầu")
    await chat.choose(secretary, report, "📝 Ghi kết luận")
    await chat.say(secretary, "Chi bộ thống nhất triển khai chuyên đề.")
    due = (meeting.starts_at + timedelta(days=12)).strftime("%d/%m")
    confirm = await chat.say(secretary, f"Lan: chuẩn bị báo cáo <quý IV> — {due}")
    await _choose_all(chat, secretary, confirm, "✅ Xác nhận")
    await chat.bot.settle()

    [told] = _got(chat, lan, TASK)
    assert (
        "chuẩn bị báo cáo &lt;quý IV&gt;" in told.text or "chuẩn bị báo cáo <quý IV>" in told.text
    )
    assert "Hạn: " in told.text
    assert told.options == ["✅ Xong"]
    assert _got(chat, duc, TASK) == []  # only the owner is told

    if chat.telegram:
        # Đức forges Lan's button: refused, nothing recorded.
        assert duc.tg is not None
        with chat.bot.db.session() as session:
            task = session.exec(select(MeetingTask)).one()
        own = chat.api.last_message(duc.tg)
        assert own is not None
        answer = await chat.bot.tap_data(duc.tg, own, f"td|{task.id}")
        assert answer["text"] == "Chỉ đồng chí được giao nhiệm vụ hoặc chi ủy mới đánh dấu được."
    with chat.bot.db.session() as session:
        assert session.exec(select(MeetingTask)).one().done_at is None

    shown = await chat.choose(lan, told, "✅ Xong")
    assert "✅ Đã xong ngày " in shown.text
    with chat.bot.db.session() as session:
        task = session.exec(select(MeetingTask)).one()
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "task.done")).all()
    assert task.done_at is not None
    assert [a.actor_label for a in audited] == ["Trần Thị Lan"]

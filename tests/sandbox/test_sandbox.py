"""The sandbox without a browser: seeding, restarts, reset, the lock, the port, the page's API.

The Zalo side of the page has its own tests in test_zalo.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlmodel import col, select

from bot.models import (
    Account,
    AuditEntry,
    FlowState,
    Meeting,
    MeetingKind,
    MeetingReminder,
    Member,
    MemberStatus,
    Organisation,
    Reachability,
    Role,
    RsvpAnswer,
)
from sandbox import seed, seed_history
from sandbox.runtime import AlreadyRunning, PortInUse, Sandbox
from sandbox.seed import DEPUTY, GROUP_ID, NEWCOMER, SECRETARY
from sandbox.seed_zalo import MAI
from tests.sandbox.helpers import ATTENDING, roster, rsvps, send, send_zalo, zalo_marks

REPO = Path(__file__).resolve().parents[2]


async def run_sandbox(*args: str) -> tuple[int, str]:
    """Runs `python -m sandbox ARGS` (it is expected to refuse and exit); returns code, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_seed_builds_the_demo_cell_through_the_bot(sandbox: Sandbox) -> None:
    assert sandbox.db is not None
    with sandbox.db.session() as session:
        cells = {o.name: o for o in session.exec(select(Organisation))}
        actions = [(a.action, a.actor_label) for a in session.exec(select(AuditEntry))]
    cell = cells[seed.CELL_NAME]
    assert cells[seed.PARENT_NAME].id == cell.parent_id
    assert cell.group_chat_id == str(GROUP_ID)
    # Linked by the real /thietlap command, as the group's creator: the audit names him.
    assert ("org.link_group", SECRETARY.full_name) in actions
    assert actions.count(("member.join", "Lê Văn Hùng")) == 1

    members = roster(sandbox)
    assert members[SECRETARY.full_name].role == Role.SECRETARY
    assert members[DEPUTY.full_name].role == Role.DEPUTY
    assert len([m for m in members.values() if m.role == Role.MEMBER]) == 9
    assert members["Đỗ Minh Khoa"].status == MemberStatus.PROBATIONARY
    assert members["Ngô Văn Thành"].status == MemberStatus.EXEMPT
    assert members["Ngô Văn Thành"].person_id is None
    assert NEWCOMER.full_name not in members
    joined = [m for m in members.values() if m.person_id is not None]
    assert len(joined) == 10

    in_group = sandbox.api.messages_in(GROUP_ID)
    assert "đồng chí Nguyễn Văn Bình là bí thư" in in_group[0]["text"]
    welcome = sandbox.api.messages_in(7_100_000_003)[0]
    assert welcome["text"].startswith("Chào mừng đồng chí Lê Văn Hùng!")

    # One upcoming thematic meeting, announced in the group and to each member; three past
    # regular ones, held, give the digest's chart a history.
    with sandbox.db.session() as session:
        found = session.exec(select(Meeting).order_by(col(Meeting.starts_at))).all()
    *past, meeting = found
    assert [m.kind for m in past] == [MeetingKind.REGULAR] * 3
    assert all(m.roll_call_closed_at is not None for m in past)
    assert meeting.kind == MeetingKind.THEMATIC
    assert meeting.topic == seed.MEETING_TOPIC
    local = meeting.starts_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (local.hour, local.minute) == (14, 0)
    assert timedelta(days=3) < meeting.starts_at - sandbox.clock.now() < timedelta(days=5)
    notice = in_group[-1]
    assert notice["text"].startswith("Thông báo sinh hoạt")
    assert seed.MEETING_TOPIC in notice["text"]
    buttons = [b["text"] for b in notice["reply_markup"]["inline_keyboard"][0]]
    assert buttons == ["✅ Tham dự", "🙏 Vắng có lý do"]
    private = sandbox.api.last_message(7_100_000_003)
    assert private is not None
    assert seed.MEETING_TOPIC in private["text"]


async def test_restart_keeps_the_data_and_the_bot_still_answers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Sandbox(data, port=0)
    await first.start()
    async with aiohttp.ClientSession() as http:
        assert (await send_zalo(first, http, "1")).startswith(ATTENDING)
    handled = zalo_marks(first)
    await first.advance(timedelta(days=1))
    await first.stop()

    again = Sandbox(data, port=0)
    await again.start()
    try:
        assert again.clock.offset == timedelta(days=1)
        assert len(roster(again)) == 11
        async with aiohttp.ClientSession() as http:
            # Update ids continue after the last handled one, so nothing is skipped as seen.
            reply = await send(again, http, SECRETARY.user_id, SECRETARY.user_id, "/dangvien")
        assert "Danh sách đảng viên" in reply["text"]
        assert "11 đồng chí, 10 đã tham gia" in reply["text"]
        assert again.db is not None
        with again.db.session() as session:
            # The upcoming meeting and the history: nothing seeded twice.
            assert len(session.exec(select(Meeting)).all()) == 1 + seed_history.MONTHS

        # Lê Thị Mai is still a member on Zalo with her answer; nothing of hers was handled or
        # sent again (no second join, no second notice), and the bot may still write to her.
        mai = roster(again)[MAI.full_name]
        assert mai.person_id is not None
        assert [r.answer for r in rsvps(again, mai)] == [RsvpAnswer.ATTENDING]
        assert zalo_marks(again) == handled
        assert again.zalo.messages_to(MAI.user_id) == []
        # Before she writes again, the next reminder reaches her (Zalo remembers she wrote):
        # the meeting's, or the registration's of the demo's "làm theo Bác", whichever is due.
        assert await again.advance_to_next()
        [reminder] = again.zalo.messages_to(MAI.user_id)
        assert reminder.startswith(("⏰ Nhắc lịch", "⏰ Nhắc: đồng chí chưa gửi bản đăng ký"))
        with again.db.session() as session:
            account = session.exec(select(Account).where(Account.external_id == MAI.user_id)).one()
        assert account.reachability == Reachability.OK
        async with aiohttp.ClientSession() as http:
            # A new message gets a fresh id: handled, not skipped as one seen before.
            meetings = await send_zalo(again, http, "/lichhop")
        assert seed.MEETING_TOPIC in meetings
        assert zalo_marks(again) == handled + 1
        offset = again.clock.offset
    finally:
        await again.stop()
    assert offset > timedelta(days=1)
    assert (
        json.loads((data / "clock.json").read_text())["offset_seconds"] == offset.total_seconds()
    )


async def test_reset_forgets_everything_and_seeds_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = Sandbox(data, port=0)
    await first.start()
    await first.advance(timedelta(hours=5))
    assert first.db is not None
    with first.db.session() as session:
        cell = session.exec(select(Organisation).where(Organisation.name == seed.CELL_NAME)).one()
        assert cell.id is not None
        session.add(Member(org_id=cell.id, full_name="Người Thừa", created_at=first.clock.now()))
    assert "Người Thừa" in roster(first)
    await first.stop()

    fresh = Sandbox(data, port=0)
    await fresh.start(reset=True)
    try:
        assert fresh.clock.offset == timedelta()
        assert "Người Thừa" not in roster(fresh)
        assert len(roster(fresh)) == 11
    finally:
        await fresh.stop()


async def test_a_second_sandbox_on_the_same_data_is_refused(sandbox: Sandbox) -> None:
    second = Sandbox(sandbox.data_dir, port=0)
    with pytest.raises(AlreadyRunning) as caught:
        await second.start()
    message = str(caught.value)
    assert "đang chạy" in message
    assert "--data" in message
    assert "already running" in message

    code, stderr = await run_sandbox("--port", "0", "--data", str(sandbox.data_dir))
    assert code == 2, stderr
    assert "Một sandbox khác đang chạy" in stderr
    # The running sandbox is untouched.
    assert len(roster(sandbox)) == 11


async def test_a_port_in_use_gives_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sandbox = Sandbox(tmp_path / "data", port=port)
        with pytest.raises(PortInUse):
            await sandbox.start()

        code, stderr = await run_sandbox("--port", str(port), "--data", str(tmp_path / "d"))
    assert code == 2, stderr
    assert f"Cổng {port} đang được dùng" in stderr
    assert "--port 8090" in stderr
    assert f"Port {port} is already in use" in stderr
    # Nothing was seeded: the port is checked before the bot starts.
    assert not (tmp_path / "d" / "sandbox.db").exists()


async def test_page_and_api_refuse_bad_input(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{sandbox.url}/") as page:
        body = await page.text()
        assert "Đang dùng với tư cách" in body
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    member = 7_100_000_003
    cases = [
        ({"user": member, "chat": member, "text": "x" * 4097}, 400, "tối đa 4096"),
        ({"user": member, "chat": member, "text": "   "}, 400, "trống"),
        ({"user": member, "chat": SECRETARY.user_id, "text": "hi"}, 403, "không ở trong"),
        ({"user": NEWCOMER.user_id, "chat": GROUP_ID, "text": "hi"}, 403, "không ở trong"),
        ({"user": 42, "chat": 42, "text": "hi"}, 404, "Không có người dùng"),
    ]
    for payload, status, error in cases:
        async with http.post(f"{sandbox.url}/api/send", json=payload) as response:
            assert response.status == status, payload
            assert error in (await response.json())["error"]

    # Another web site cannot act in the sandbox, nor reach it under another host name.
    hello = {"user": member, "chat": member, "text": "hi"}
    evil = {"Origin": "http://evil.example"}
    async with http.post(f"{sandbox.url}/api/send", json=hello, headers=evil) as response:
        assert response.status == 403
    async with http.get(f"{sandbox.url}/", headers={"Host": "evil.example"}) as response:
        assert response.status == 403

    script = "<script>alert(1)</script> <b>x</b>"
    long_text = "Nhận xét dài. " * 292  # 4088 characters: fine for a user to send
    for text in (script, long_text):
        async with http.post(
            f"{sandbox.url}/api/send", json={"user": member, "chat": GROUP_ID, "text": text}
        ) as response:
            assert response.status == 200
    async with http.get(
        f"{sandbox.url}/api/messages", params={"user": str(member), "chat": str(GROUP_ID)}
    ) as response:
        shown = [m["text"] for m in await response.json()]
    # Stored and served as plain text; the page draws text with text nodes only.
    assert shown[-2:] == [script, long_text]


async def test_files_go_both_ways_and_only_safe_images_are_inline(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    member = 7_100_000_004
    form = aiohttp.FormData()
    form.add_field("user", str(member))
    form.add_field("chat", str(member))
    svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    form.add_field("file", svg, filename="báo cáo.svg", content_type="image/svg+xml")
    async with http.post(f"{sandbox.url}/api/upload", data=form) as response:
        assert response.status == 200, await response.text()
        sent = await response.json()
    message = sandbox.api.world.chat_state(member).messages[sent["id"]]
    file_id = message["document"]["file_id"]
    async with http.get(f"{sandbox.url}/api/files/{file_id}", params={"inline": "1"}) as got:
        assert await got.read() == svg
        assert got.headers["Content-Type"] == "application/octet-stream"
        assert "attachment" in got.headers["Content-Disposition"]
        assert "b%C3%A1o%20c%C3%A1o.svg" in got.headers["Content-Disposition"]

    empty = aiohttp.FormData()
    empty.add_field("user", str(member))
    empty.add_field("chat", str(member))
    empty.add_field("file", b"", filename="rong.txt")
    async with http.post(f"{sandbox.url}/api/upload", data=empty) as response:
        assert response.status == 400


async def test_the_digest_shows_its_chart_in_the_sandbox(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    secretary = SECRETARY.user_id
    since = time.monotonic()
    await send(sandbox, http, secretary, secretary, "/tonghop")
    photo = await sandbox.api.next_call(
        "sendPhoto", where=lambda c: c.at >= since and c.params["chat_id"] == secretary
    )
    assert photo.result is not None
    assert photo.result["caption"].startswith("📊 Chi bộ Văn phòng: tỷ lệ dự họp")
    [size] = photo.result["photo"]
    async with http.get(
        f"{sandbox.url}/api/files/{size['file_id']}", params={"inline": "1"}
    ) as got:
        assert got.headers["Content-Type"] == "image/png"
        assert (await got.read()).startswith(b"\x89PNG")


async def test_buttons_and_commands_work_through_the_page_api(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    secretary = SECRETARY.user_id
    async with http.get(
        f"{sandbox.url}/api/commands", params={"user": str(secretary), "chat": str(secretary)}
    ) as response:
        commands = [c["command"] for c in await response.json()]
    assert "moi" in commands
    assert "thietlap" not in commands
    async with http.get(
        f"{sandbox.url}/api/commands", params={"user": str(secretary), "chat": str(GROUP_ID)}
    ) as response:
        assert "thietlap" in [c["command"] for c in await response.json()]

    menu = await send(sandbox, http, secretary, secretary, "/moi")
    button = menu["reply_markup"]["inline_keyboard"][0][0]
    since = time.monotonic()
    payload = {
        "user": secretary,
        "chat": secretary,
        "message": menu["message_id"],
        "data": button["callback_data"],
    }
    async with http.post(f"{sandbox.url}/api/tap", json=payload) as response:
        assert response.status == 200
    edit = await sandbox.api.next_call(
        "editMessageText", where=lambda c: c.at >= since and c.params["chat_id"] == secretary
    )
    assert "họ và tên" in edit.result["text"]

    payload["data"] = "no-such-button"
    async with http.post(f"{sandbox.url}/api/tap", json=payload) as response:
        assert response.status == 409


async def test_clock_moves_and_runs_the_real_tick(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    secretary, member = SECRETARY.user_id, 7_100_000_003
    await send(sandbox, http, secretary, secretary, "/moi")
    assert sandbox.db is not None
    with sandbox.db.session() as session:
        assert session.exec(select(FlowState)).all(), "the /moi form should be open"
        first_reminder = session.exec(
            select(MeetingReminder)
            .where(col(MeetingReminder.done_at).is_(None))
            .order_by(col(MeetingReminder.due_at))
        ).first()
    assert first_reminder is not None
    assert first_reminder.offset_minutes == 3 * 24 * 60
    before = sandbox.clock.now()

    async with http.post(f"{sandbox.url}/api/clock", json={"action": "hour"}) as response:
        shown = await response.json()
    assert shown["offset_seconds"] == 3600
    assert shown["now"] - before.timestamp() >= 3600
    assert shown["next"]["at"] == first_reminder.due_at.timestamp()

    # "Next item": just past the first reminder; the tick sends it at once.
    async with http.post(f"{sandbox.url}/api/clock", json={"action": "next"}) as response:
        assert response.status == 200
        shown = await response.json()
    assert 0 < sandbox.clock.now().timestamp() - first_reminder.due_at.timestamp() < 60
    reminder = sandbox.api.last_message(member)
    assert reminder is not None
    assert reminder["text"].startswith("⏰ Nhắc lịch: còn 3 ngày")
    # The same tick serves both channels: Lê Thị Mai gets hers on Zalo, as plain text.
    on_zalo = sandbox.zalo.last_message(MAI.user_id)
    assert on_zalo is not None
    assert on_zalo.startswith("⏰ Nhắc lịch: còn 3 ngày")
    assert seed.MEETING_TOPIC in on_zalo
    assert shown["next"]["at"] > first_reminder.due_at.timestamp()

    # 31 days on, the tick has closed the abandoned form and every reminder is done.
    for _ in range(31):
        async with http.post(f"{sandbox.url}/api/clock", json={"action": "day"}) as response:
            assert response.status == 200
            shown = await response.json()
    assert shown["next"] is None
    with sandbox.db.session() as session:
        assert session.exec(select(FlowState)).all() == []
    async with http.post(f"{sandbox.url}/api/clock", json={"action": "next"}) as response:
        assert response.status == 409
        assert "Chưa có mục nào" in (await response.json())["error"]
    async with http.post(f"{sandbox.url}/api/clock", json={"action": "back"}) as response:
        assert response.status == 400
    saved = json.loads((sandbox.data_dir / "clock.json").read_text())
    assert saved["offset_seconds"] == sandbox.clock.offset.total_seconds()
    # The clock went to the first reminder, then 31 days on (the test's own seconds aside).
    to_first = first_reminder.due_at - before
    assert sandbox.clock.offset > timedelta(days=31) + to_first - timedelta(minutes=5)


async def test_events_tell_the_page_about_new_messages(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    member = 7_100_000_005
    async with http.get(f"{sandbox.url}/api/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await stream.content.readuntil(b"\n\n")  # retry: … (the stream is open)
        async with http.post(
            f"{sandbox.url}/api/send", json={"user": member, "chat": member, "text": "/trogiup"}
        ) as response:
            assert response.status == 200
        # One event for the member's message, one for the bot's answer.
        chats: list[int] = []
        while len(chats) < 2:
            line = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 10)
            event = json.loads(line.decode().removeprefix("data: "))
            if event["type"] == "chat":
                chats.append(event["chat_id"])
    assert chats == [member, member]
    help_text = sandbox.api.last_message(member)
    assert help_text is not None
    assert "/dangvien" not in help_text["text"]  # a member's help, not the committee's

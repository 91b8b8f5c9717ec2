"""The sandbox's Zalo side without a browser: the seeded Zalo member, and the page's API for her
Zalo chat (plain text, numbered choices, typed answers, live events)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
from sqlmodel import select

from bot.models import Account, AuditEntry, MemberStatus, Role, RsvpAnswer
from sandbox import seed
from sandbox.runtime import Sandbox
from sandbox.seed import GROUP_ID, SECRETARY
from sandbox.seed_zalo import MAI
from sandbox.zalo import page_id
from tests.sandbox.helpers import (
    ATTENDING,
    MAI_PAGE,
    messages,
    roster,
    rsvps,
    send_zalo,
)


async def test_seed_joins_the_zalo_member_with_her_join_code(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    mai = roster(sandbox)[MAI.full_name]
    assert (mai.role, mai.status) == (Role.MEMBER, MemberStatus.FULL)
    assert sandbox.db is not None
    with sandbox.db.session() as session:
        accounts = session.exec(select(Account).where(Account.person_id == mai.person_id)).all()
        actions = [(a.action, a.actor_label) for a in session.exec(select(AuditEntry))]
    assert [(a.channel, a.external_id) for a in accounts] == [("zalo", MAI.user_id)]
    assert actions.count(("member.join", MAI.full_name)) == 1

    # She sent the code of the secretary's invite, then "1" to confirm, all on Zalo.
    typed = [e["message"]["text"] for e in sandbox.zalo.world.chat_state(MAI.user_id).events]
    assert len(typed) == 2
    assert re.fullmatch(r"/start [A-Z2-9]{4}-[A-Z2-9]{4}", typed[0])
    assert typed[1] == "1"
    # Then the demo's announcement and study material, then the meeting notice, newest.
    prompt, welcome, announcement, material, notice = sandbox.zalo.messages_to(MAI.user_id)
    assert "1. ✅ Xác nhận" in prompt
    assert welcome.startswith(f"Chào mừng đồng chí {MAI.full_name}!")
    assert announcement.startswith("📢 Thông báo của Chi bộ Văn phòng")
    assert material.startswith("📖 Tài liệu học tập của Chi bộ Văn phòng")
    # The meeting notice as numbered text: no buttons, no HTML.
    assert notice.startswith("Thông báo sinh hoạt")
    assert seed.MEETING_TOPIC in notice
    assert "\n1. ✅ Tham dự\n2. 🙏 Vắng có lý do" in notice
    assert "<b>" not in notice
    told = [m.get("text", "") for m in sandbox.api.messages_in(SECRETARY.user_id)]
    assert f"Đồng chí {MAI.full_name} đã tham gia Chi bộ Văn phòng." in told

    # The page offers her, marked as a Zalo user, with her one chat: Zalo's, in plain text.
    async with http.get(f"{sandbox.url}/api/state") as response:
        people = {p["id"]: p for p in (await response.json())["people"]}
    assert people[MAI_PAGE]["name"] == MAI.full_name
    assert people[MAI_PAGE]["channel"] == "zalo"
    assert people[MAI_PAGE]["label"] == "Đảng viên · Zalo"
    assert people[SECRETARY.user_id]["channel"] == "telegram"
    async with http.get(f"{sandbox.url}/api/chats", params={"user": MAI_PAGE}) as response:
        [chat] = await response.json()
    assert (chat["id"], chat["channel"], chat["max_text"]) == (MAI_PAGE, "zalo", 2000)
    assert chat["preview"].startswith("Thông báo sinh hoạt")
    shown = await messages(sandbox, http, MAI_PAGE, MAI_PAGE)
    assert [m["from_id"] == MAI_PAGE for m in shown] == [True, False, True] + [False] * 4
    assert shown[-1]["text"] == notice
    assert shown[-1]["is_bot"]
    assert all(m["buttons"] == [] and m["entities"] == [] for m in shown)
    async with http.get(
        f"{sandbox.url}/api/commands", params={"user": MAI_PAGE, "chat": MAI_PAGE}
    ) as response:
        assert await response.json() == []


async def test_the_zalo_member_answers_by_number_from_the_page(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    mai = roster(sandbox)[MAI.full_name]
    assert rsvps(sandbox, mai) == []
    async with http.get(f"{sandbox.url}/api/events") as stream:
        await stream.content.readuntil(b"\n\n")  # retry: … (the stream is open)
        answer = await send_zalo(sandbox, http, "1")
        # Live: one event for her "1", one for the bot's answer, both naming her Zalo chat.
        chats: list[Any] = []
        while len(chats) < 2:
            line = await asyncio.wait_for(stream.content.readuntil(b"\n\n"), 10)
            event = json.loads(line.decode().removeprefix("data: "))
            if event["type"] == "chat":
                chats.append(event["chat_id"])
    assert chats == [MAI_PAGE, MAI_PAGE]
    assert answer.startswith(ATTENDING)
    [rsvp] = rsvps(sandbox, mai)
    assert rsvp.answer == RsvpAnswer.ATTENDING
    shown = await messages(sandbox, http, MAI_PAGE, MAI_PAGE)
    [(typed_by, typed), (answered_by, answered)] = [(m["from_id"], m["text"]) for m in shown[-2:]]
    assert (typed_by, typed) == (MAI_PAGE, "1")
    assert answered_by == page_id(sandbox.zalo.bot_user.id)
    assert answered.startswith(ATTENDING)

    # Typed markup stays text; Zalo has no buttons or files here, and its own length limit.
    markup = "<b>2</b><script>alert(1)</script>"
    await send_zalo(sandbox, http, markup)
    assert markup in [m["text"] for m in await messages(sandbox, http, MAI_PAGE, MAI_PAGE)]
    [rsvp] = rsvps(sandbox, mai)
    assert rsvp.answer == RsvpAnswer.ATTENDING
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("send", {"user": MAI_PAGE, "chat": MAI_PAGE, "text": "x" * 2001}, 400, "tối đa 2000"),
        ("send", {"user": MAI_PAGE, "chat": GROUP_ID, "text": "hi"}, 403, "không ở trong"),
        ("send", {"user": SECRETARY.user_id, "chat": MAI_PAGE, "text": "hi"}, 403, "Zalo"),
        ("send", {"user": "zalo:nobody", "chat": "zalo:nobody", "text": "hi"}, 404, "Zalo"),
        ("tap", {"user": MAI_PAGE, "chat": MAI_PAGE, "message": 1, "data": "x"}, 400, "gõ số"),
    ]
    for route, payload, status, error in cases:
        async with http.post(f"{sandbox.url}/api/{route}", json=payload) as response:
            assert response.status == status, payload
            assert error in (await response.json())["error"]
    form = aiohttp.FormData()
    form.add_field("user", MAI_PAGE)
    form.add_field("chat", MAI_PAGE)
    form.add_field("file", b"x", filename="a.txt")
    async with http.post(f"{sandbox.url}/api/upload", data=form) as response:
        assert response.status == 400

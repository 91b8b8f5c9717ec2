"""Steps the sandbox tests take through the page's HTTP API, and what they read back."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from sqlmodel import col, select

from bot.models import Member, ProcessedUpdate, Rsvp
from sandbox.runtime import Sandbox
from sandbox.seed_zalo import MAI
from sandbox.zalo import page_id


def roster(sandbox: Sandbox) -> dict[str, Member]:
    assert sandbox.db is not None
    with sandbox.db.session() as session:
        rows = session.exec(select(Member).where(col(Member.removed_at).is_(None))).all()
    return {m.full_name: m for m in rows}


async def send(
    sandbox: Sandbox, http: aiohttp.ClientSession, user: int, chat: int, text: str
) -> dict[str, Any]:
    """Sends through the page's API and returns the bot's next message in that chat."""
    since = time.monotonic()
    async with http.post(
        f"{sandbox.url}/api/send", json={"user": user, "chat": chat, "text": text}
    ) as response:
        assert response.status == 200, await response.text()
    call = await sandbox.api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == chat and c.at >= since
    )
    assert call.result is not None, call.error
    return call.result  # type: ignore[no-any-return]


MAI_PAGE = page_id(MAI.user_id)  # how the page names Lê Thị Mai and her Zalo chat
ATTENDING = "Đã ghi nhận: đồng chí tham dự. Cảm ơn đồng chí."


async def send_zalo(sandbox: Sandbox, http: aiohttp.ClientSession, text: str) -> str:
    """Sends as Lê Thị Mai in her Zalo chat through the page's API; returns the bot's answer."""
    since = time.monotonic()
    async with http.post(
        f"{sandbox.url}/api/send", json={"user": MAI_PAGE, "chat": MAI_PAGE, "text": text}
    ) as response:
        assert response.status == 200, await response.text()
    call = await sandbox.zalo.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == MAI.user_id and c.at >= since
    )
    assert call.ok, call.error
    return str(call.params["text"])


def rsvps(sandbox: Sandbox, member: Member) -> list[Rsvp]:
    assert sandbox.db is not None
    with sandbox.db.session() as session:
        return list(session.exec(select(Rsvp).where(Rsvp.member_id == member.id)))


def zalo_marks(sandbox: Sandbox) -> int:
    """How many Zalo events the bot has recorded as handled."""
    assert sandbox.db is not None
    with sandbox.db.session() as session:
        marks = session.exec(select(ProcessedUpdate).where(ProcessedUpdate.channel == "zalo"))
        return len(marks.all())


async def messages(
    sandbox: Sandbox, http: aiohttp.ClientSession, user: int | str, chat: int | str
) -> list[dict[str, Any]]:
    async with http.get(
        f"{sandbox.url}/api/messages", params={"user": str(user), "chat": str(chat)}
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()  # type: ignore[no-any-return]

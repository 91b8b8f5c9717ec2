"""The digest's chart end to end: a PNG after the digest on Telegram (privately and in the
group), none on Zalo unless the operator publishes files, and then the photo by its public URL,
written once into the public directory."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from bot.services.digest_schedule import CHART_FILE
from fake_telegram import FakeTelegram
from tests.e2e.chat import Chat, Someone
from tests.e2e.conftest import OffsetClock, launch, zalo_overrides
from tests.e2e.test_commitments import ask, cell, set_clock
from tests.e2e.test_digests import hold_meeting, local

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CAPTION = "📊 Chi bộ Văn phòng: tỷ lệ dự họp và trả lời báo cáo tiến độ"
PUBLIC_URL = "https://files.example.org/chibot"


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height a PNG declares (its IHDR chunk)."""
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def telegram_photos(chat: Chat, chat_id: int) -> list[dict[str, Any]]:
    """The photos the bot sent to a Telegram chat, with their bytes, in order."""
    found = []
    for call in chat.api.calls:
        if call.method == "sendPhoto" and call.params.get("chat_id") == chat_id and call.result:
            [size] = call.result["photo"]
            data = chat.api.world.files[size["file_id"]].data
            found.append({"caption": call.result.get("caption"), "data": data})
    return found


def zalo_photos(chat: Chat, who: Someone) -> list[dict[str, Any]]:
    assert who.zalo is not None
    return [m for m in chat.zapi.sent_messages(who.zalo) if m["kind"] == "photo"]


async def held_cell(chat: Chat) -> Someone:
    secretary, _ = await cell(chat)
    set_clock(chat.bot, local(2026, 11, 1, 9))
    hold_meeting(chat, local(2026, 11, 10, 19))  # 2 of 3 present (67%), one unexcused
    set_clock(chat.bot, local(2026, 12, 2, 9))
    return secretary


async def test_the_chart_follows_the_digest_on_telegram_and_not_on_plain_zalo(
    chat: Chat,
) -> None:
    secretary = await held_cell(chat)
    answer = await ask(chat, secretary, "/tonghop")
    assert answer.text.startswith("📰 Bản tin tuần — Chi bộ Văn phòng (dành cho chi ủy)")
    await chat.bot.settle()
    if chat.telegram:
        assert secretary.tg is not None
        [photo] = telegram_photos(chat, secretary.tg.id)
        assert photo["caption"] == CAPTION
        width, height = png_size(photo["data"])
        assert width <= 1280
        assert height > 200
        # /tonghop also posted the digest in the group: the chart follows it there.
        assert chat.group is not None
        [posted] = telegram_photos(chat, chat.group.id)
        assert posted["caption"] == CAPTION
        group_posts = [
            (c.method, str((c.result or {}).get("text", "")))
            for c in chat.api.calls
            if c.params.get("chat_id") == chat.group.id
            and c.method in {"sendMessage", "sendPhoto"}
        ]
        assert group_posts[-2][1].startswith("📰 Bản tin tuần — Chi bộ Văn phòng\n")
        assert group_posts[-1][0] == "sendPhoto"
    else:
        # Zalo takes photos by URL only, and no public directory is configured: the figures
        # are in the text, and no photo (nor a note about one) is sent.
        assert zalo_photos(chat, secretary) == []
        assert not any(CHART_FILE in text for text in chat.received(secretary))


async def test_a_new_cell_gets_no_chart(chat: Chat) -> None:
    secretary, _ = await cell(chat)
    await ask(chat, secretary, "/tonghop")
    await chat.bot.settle()
    if chat.telegram:
        assert secretary.tg is not None
        assert telegram_photos(chat, secretary.tg.id) == []


async def test_zalo_gets_the_chart_by_its_public_url(
    api: FakeTelegram, zalo_api: Any, database_url: str, tmp_path: Path
) -> None:
    public = tmp_path / "public"
    overrides = zalo_overrides(
        zalo_api, CHIBOT_PUBLIC_FILES_DIR=str(public), CHIBOT_PUBLIC_FILES_URL=PUBLIC_URL + "/"
    )
    running = await launch(api, database_url, OffsetClock(), **overrides)
    try:
        chat = Chat(running, zalo_api, "zalo")
        secretary = await held_cell(chat)
        await ask(chat, secretary, "/tonghop")
        await running.settle()
        [photo] = zalo_photos(chat, secretary)
        assert photo["caption"] == CAPTION
        assert photo["photo"].startswith(PUBLIC_URL + "/")
        name = photo["photo"].rsplit("/", 1)[1]
        assert name.endswith(".png")
        [written] = list(public.iterdir())
        assert written.name == name
        assert png_size(written.read_bytes())[0] <= 1280
    finally:
        await running.stop()
        running.db.dispose()

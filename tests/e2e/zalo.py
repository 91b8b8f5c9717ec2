"""Steps people take on Zalo while the secretary works on Telegram, shared by e2e tests."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.clock import OffsetClock
from bot.i18n import translator
from fake_telegram import FakeTelegram, FakeUser
from fake_zalo import FakeZalo, FakeZaloUser
from handlers.webhooks import hook_url
from tests.e2e.conftest import Bot, launch, zalo_overrides
from tests.e2e.flows import LINK, invite_screen

ZALO_LIMIT = 2000
# Sunday 22/11/2026 10:00 in Hà Nội: "thứ 5 tuần sau" is Thursday 26/11.
HANOI_SUNDAY_10AM = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
CODE = re.compile(r"Zalo:[^\n]*?\b([A-Z2-9]{4}-[A-Z2-9]{4})\b")
VI = translator("vi")


@dataclass(frozen=True)
class Invitation:
    """What the secretary was given for one person: the Telegram link token and the Zalo code."""

    token: str
    code: str


def invitations(text: str) -> dict[str, Invitation]:
    """Reads the invite form's final screen: per name, its link token and join code."""
    found: dict[str, Invitation] = {}
    for block in text.split("• ")[1:]:
        name, _, rest = block.partition("\n")
        tokens = LINK.findall(rest)
        codes = CODE.findall(rest)
        assert len(tokens) == 1, block
        assert len(codes) == 1, block
        found[name.strip()] = Invitation(tokens[0], codes[0])
    return found


async def invite_people(
    bot: Bot,
    secretary: FakeUser,
    names: list[str],
    role: str = "Đảng viên",
    status: str = "chính thức",
) -> dict[str, Invitation]:
    """Runs /moi → add people on Telegram; returns each name's link token and Zalo code."""
    done = await invite_screen(bot, secretary, names, role, status)
    found = invitations(done["text"])
    assert sorted(found) == sorted(names), done["text"]
    return found


async def invite_again(bot: Bot, secretary: FakeUser, label: str) -> tuple[Invitation, str]:
    """Runs /moi → a new personal link for the roster entry `label`; returns it and the text."""
    menu = await bot.say(secretary, "/moi")
    pick = await bot.tap_edit(
        secretary, menu, "🔁 Tạo lại link mời riêng cho người trong danh sách"
    )
    done = await bot.tap_edit(secretary, pick, label)
    [found] = invitations(done["text"]).values()
    return found, str(done["text"])


def joined_label(name: str) -> str:
    """The invite form's label for someone who joined already (a link for another app)."""
    return VI.gettext("{name} (joined — for another app)", name=name)


async def say_zalo(bot: Bot, zapi: FakeZalo, user: FakeZaloUser, text: str) -> str:
    """Sends text on Zalo; returns the next message the bot sends that user."""
    since = time.monotonic()
    await zapi.user_sends(user, text)
    call = await zapi.next_call(
        "sendMessage", where=lambda c: c.params.get("chat_id") == user.id and c.at >= since
    )
    assert call.ok, call.error
    return str(call.params["text"])


async def replies_zalo(bot: Bot, zapi: FakeZalo, user: FakeZaloUser, text: str) -> list[str]:
    """Sends text on Zalo; returns every message the bot sent that user for it, in order."""
    since = time.monotonic()
    await zapi.user_sends(user, text)
    await zapi.next_call(
        "sendMessage", where=lambda c: c.params.get("chat_id") == user.id and c.at >= since
    )
    await bot.settle()
    return sent_since(zapi, user, since)


def sent_since(zapi: FakeZalo, user: FakeZaloUser, since: float) -> list[str]:
    """The texts of the bot's sendMessage calls to a Zalo user since `since`, in order."""
    calls = [
        c
        for c in zapi.calls_of("sendMessage")
        if c.params.get("chat_id") == user.id and c.at >= since
    ]
    assert all(c.ok for c in calls), [c.error for c in calls if not c.ok]
    return [str(c.params["text"]) for c in calls]


async def join_zalo(bot: Bot, zapi: FakeZalo, user: FakeZaloUser, code: str) -> str:
    """Sends `/start CODE` on Zalo and confirms with "1"; returns the welcome."""
    prompt = await say_zalo(bot, zapi, user, f"/start {code}")
    assert "1. ✅ Xác nhận" in prompt, prompt
    welcome = await say_zalo(bot, zapi, user, "1")
    await bot.settle()
    return welcome


def free_port() -> int:
    """Returns a TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def launch_zalo_webhook(
    api: FakeTelegram, zapi: FakeZalo, database_url: str, secret: str
) -> tuple[Bot, str]:
    """Starts the runtime with Zalo in webhook mode on a free port; returns it and the URL
    registered with Zalo (the base URL and the path derived from the secret)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bot = await launch(
        api,
        database_url,
        OffsetClock(),
        **zalo_overrides(
            zapi,
            CHIBOT_ZALO_WEBHOOK_URL=base,
            CHIBOT_ZALO_WEBHOOK_SECRET=secret,
            CHIBOT_ZALO_LISTEN=f"127.0.0.1:{port}",
        ),
    )
    return bot, hook_url(base, "zalo", secret)


def set_clock(bot: Bot, instant: datetime) -> None:
    """Moves the bot's clock so that it reads `instant` now (time keeps flowing)."""
    bot.clock.offset = instant - datetime.now(UTC)


def _first_button(message: dict[str, Any]) -> str:
    return str(message["reply_markup"]["inline_keyboard"][0][0]["callback_data"])


async def schedule_on_telegram(
    bot: Bot, secretary: FakeUser, when: str = "thứ 5 tuần sau 19h30"
) -> dict[str, Any]:
    """Runs /taohop on Telegram through the buttons; returns the confirmation preview.

    A thematic meeting in "Hội trường tầng 2", presented by Trần Thị Lan (on the roster).
    """
    menu = await bot.say(secretary, "/taohop")
    topic_prompt = await bot.tap_edit(secretary, menu, "Sinh hoạt chuyên đề")
    assert topic_prompt["text"].startswith("Chủ đề"), topic_prompt["text"]
    day_prompt = await bot.say(
        secretary, "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
    )
    assert day_prompt["text"].startswith("Ngày nào?"), day_prompt["text"]
    duration = await bot.say(secretary, when)
    place_prompt = await bot.tap_edit(secretary, duration, _first_button(duration))
    assert place_prompt["text"].startswith("Ở đâu?"), place_prompt["text"]
    chair = await bot.say(secretary, "Hội trường tầng 2")
    presenter = await bot.tap_edit(secretary, chair, "Nguyễn Văn Bình")
    agenda_prompt = await bot.tap_edit(secretary, presenter, "Trần Thị Lan")
    assert agenda_prompt["text"].startswith("Chương trình"), agenda_prompt["text"]
    recurrence = await bot.say(secretary, "Khai mạc\nBáo cáo chuyên đề\nThảo luận")
    reminders = await bot.tap_edit(secretary, recurrence, "Chỉ một lần")
    return await bot.tap_edit(secretary, reminders, _first_button(reminders))

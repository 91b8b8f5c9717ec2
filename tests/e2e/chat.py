"""People driving the bot on one channel: Telegram with buttons, or Zalo with typed numbers.

Tests written against `Chat` run on both channels (parametrize `channel`): `say` sends text and
returns the bot's first reply, `choose` taps a button on Telegram or types its number on Zalo.
A cell made with `linked_cell` has a Telegram group on Telegram; on Zalo the secretary takes the
cell privately with the setup code (Zalo has no usable groups), so group posts reach members
privately.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from fake_telegram import FakeChat, FakeTelegram, FakeUser
from fake_zalo import FakeZalo, FakeZaloUser
from tests.e2e.conftest import Bot

CHANNELS = ["telegram", "zalo"]
TELEGRAM_LINK = re.compile(r"https://t\.me/chibot_test_bot\?start=([\w-]+)")
ZALO_CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b")
_OPTION = re.compile(r"^(\d+)\. (.+?)(?: \(\d+/\d+\))?$")


@dataclass
class Msg:
    """A message from the bot: its text and the choices it offers, in order."""

    text: str
    options: list[str] = field(default_factory=list)
    raw: dict[str, Any] | None = None
    # A tap's answer on Telegram (a toast), when no message came.
    toast: bool = False
    # Zalo: choices listed as "• label" under a question that wants a number typed; a
    # member types the label itself.
    words: list[str] = field(default_factory=list)

    def number_of(self, label: str) -> int:
        """Returns the number a Zalo member types for `label` (0 is a form's cancel)."""
        for line in reversed(self.text.splitlines()):
            found = _OPTION.match(line.strip())
            if found and found.group(2) == label:
                return int(found.group(1))
        raise AssertionError(f"no option {label!r} in:\n{self.text}")


@dataclass
class Someone:
    """A person in the test, on the chat's channel."""

    name: str
    tg: FakeUser | None = None
    zalo: FakeZaloUser | None = None

    @property
    def chat_id(self) -> Any:
        """Returns the id of this person's private chat on their channel."""
        return self.tg.id if self.tg is not None else self.zalo.id  # type: ignore[union-attr]


def _telegram_msg(message: dict[str, Any]) -> Msg:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return Msg(
        text=str(message.get("text") or message.get("caption") or ""),
        options=[str(button["text"]) for row in rows for button in row],
        raw=message,
    )


def _zalo_msg(text: str) -> Msg:
    options = []
    lines = [line.strip() for line in text.splitlines()]
    for line in lines:
        found = _OPTION.match(line)
        if found:
            options.append(found.group(2))
    words: list[str] = []
    # A form's word-only choices end with its cancel, listed the same way.
    if lines and lines[-1].startswith("• ✖️"):
        for line in reversed(lines):
            if not line.startswith("• "):
                break
            words.insert(0, line[2:])
    return Msg(text=text, options=options + words, words=words)


class Chat:
    """Drives the running bot as people would, on `channel`."""

    def __init__(self, bot: Bot, zapi: FakeZalo, channel: str) -> None:
        self.bot = bot
        self.api: FakeTelegram = bot.api
        self.zapi = zapi
        self.channel = channel
        self.group: FakeChat | None = None

    @property
    def telegram(self) -> bool:
        """Tells whether people here use Telegram (buttons, groups)."""
        return self.channel == "telegram"

    def add(self, name: str) -> Someone:
        """Adds a person who uses this chat's channel."""
        if self.telegram:
            return Someone(name, tg=self.api.add_user(name))
        return Someone(name, zalo=self.zapi.add_user(name))

    # --- sending and choosing ---------------------------------------------------------------

    def _sent_since(self, who: Someone, since: float) -> list[Msg]:
        if who.tg is not None:
            calls = [
                c
                for c in self.api.calls
                if c.method in {"sendMessage", "editMessageText", "sendDocument"}
                and c.params.get("chat_id") == who.tg.id
                and c.at >= since
                and c.result is not None
            ]
            return [_telegram_msg(c.result) for c in calls]  # type: ignore[arg-type]
        assert who.zalo is not None
        calls = [
            c
            for c in self.zapi.calls_of("sendMessage")
            if c.params.get("chat_id") == who.zalo.id and c.at >= since
        ]
        assert all(c.ok for c in calls), [c.error for c in calls if not c.ok]
        return [_zalo_msg(str(c.params["text"])) for c in calls]

    async def _first_reply(self, who: Someone, since: float) -> None:
        if who.tg is not None:
            user_id = who.tg.id
            await self.api.next_call(
                "sendMessage", where=lambda c: c.params["chat_id"] == user_id and c.at >= since
            )
        else:
            assert who.zalo is not None
            zalo_id = who.zalo.id
            await self.zapi.next_call(
                "sendMessage",
                where=lambda c: c.params.get("chat_id") == zalo_id and c.at >= since,
            )
        await self.bot.settle()

    async def say_all(self, who: Someone, text: str) -> list[Msg]:
        """Sends text privately; returns every message the bot sent back, in order."""
        since = time.monotonic()
        if who.tg is not None:
            await self.api.user_sends(who.tg, text)
        else:
            assert who.zalo is not None
            await self.zapi.user_sends(who.zalo, text)
        await self._first_reply(who, since)
        return self._sent_since(who, since)

    async def say(self, who: Someone, text: str) -> Msg:
        """Sends text privately; returns the bot's first reply."""
        return (await self.say_all(who, text))[0]

    async def choose(self, who: Someone, msg: Msg, label: str) -> Msg:
        """Taps `label` (Telegram) or types its number (Zalo); returns what the bot answered:
        the last message it sent or edited, or the tap's toast when it sent none."""
        if who.zalo is not None:
            typed = label if label in msg.words else str(msg.number_of(label))
            replies = await self.say_all(who, typed)
            return replies[-1]
        assert who.tg is not None
        assert msg.raw is not None, msg
        since = time.monotonic()
        query_id = await self.api.user_taps(who.tg, msg.raw, label)
        answer = await self.api.next_call(
            "answerCallbackQuery", where=lambda c: c.params["callback_query_id"] == query_id
        )
        await self.bot.settle()
        sent = self._sent_since(who, since)
        if sent:
            return sent[-1]
        return Msg(text=str(answer.params.get("text") or ""), toast=True)

    def last(self, who: Someone) -> str:
        """Returns the text of the newest message the bot sent this person."""
        if who.tg is not None:
            message = self.api.last_message(who.tg)
            return str((message or {}).get("text") or "")
        assert who.zalo is not None
        return self.zapi.last_message(who.zalo) or ""

    def received(self, who: Someone) -> list[str]:
        """Returns the texts of every message the bot sent this person, in order."""
        return [m.text for m in self._sent_since(who, 0.0)]

    # --- a cell and its members -------------------------------------------------------------

    async def linked_cell(self, name: str = "Chi bộ Văn phòng") -> Someone:
        """Creates a cell and makes its secretary; on Telegram the cell's group is linked."""
        secretary = self.add("Nguyễn Văn Bình")
        code = self.bot.new_cell(name)
        if self.telegram:
            assert secretary.tg is not None
            self.group = self.api.add_group(name, members=[secretary.tg], admins=[secretary.tg])
            await self.bot.say(secretary.tg, f"/thietlap {code}", chat=self.group)
        else:
            reply = await self.say(secretary, f"/thietlap {code}")
            assert "bí thư" in reply.text, reply.text
        return secretary

    async def add_people(
        self,
        secretary: Someone,
        names: list[str],
        role: str = "Đảng viên",
        status: str = "chính thức",
    ) -> dict[str, str]:
        """Runs /moi → add people; returns what each person uses to join on this channel
        (the link's token on Telegram, the join code on Zalo)."""
        menu = await self.say(secretary, "/moi")
        await self.choose(secretary, menu, "➕ Thêm người và tạo link mời riêng")
        role_prompt = await self.say(secretary, "\n".join(names))
        status_prompt = await self.choose(secretary, role_prompt, role)
        confirm = await self.choose(secretary, status_prompt, status)
        done = await self.choose(secretary, confirm, "✅ Xác nhận")
        return self.invitations(done.text, names)

    def invitations(self, text: str, names: list[str]) -> dict[str, str]:
        """Reads each person's token (Telegram) or join code (Zalo) from the invite screen."""
        pattern = TELEGRAM_LINK if self.telegram else ZALO_CODE
        found = pattern.findall(text)
        assert len(found) == len(names), text
        return dict(zip(names, found, strict=True))

    async def join(self, who: Someone, key: str) -> Msg:
        """Opens the invite (`/start <token or code>`) and confirms; returns the welcome."""
        invitation = await self.say(who, f"/start {key}")
        welcome = await self.choose(who, invitation, "✅ Xác nhận")
        await self.bot.settle()
        return welcome

    async def cell_with_members(
        self, names: list[str], **kwargs: str
    ) -> tuple[Someone, dict[str, Someone]]:
        """A linked cell whose listed members joined; returns the secretary and the members."""
        secretary = await self.linked_cell()
        keys = await self.add_people(secretary, names, **kwargs)
        people = {}
        for name in names:
            person = self.add(name)
            await self.join(person, keys[name])
            people[name] = person
        return secretary, people

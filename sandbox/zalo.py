"""The sandbox's Zalo side: the fake Zalo server, remembering each chat's messages for the page.

The page names Zalo people and chats "zalo:<Zalo id>" (a private chat's id is its user's id on
Zalo, as on Telegram), so they never collide with Telegram's numeric ids.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.clock import Clock
from fake_zalo import Call, FakeZalo
from fake_zalo.models import JSON

#: Not a real token: the fake Zalo server accepts only this one, and nothing else listens.
ZALO_TOKEN = "5550002:SANDBOX-zalo-not-a-real-token"  # noqa: S105
ZALO_BOT_NAME = "chibot"
CHANNEL = "zalo"
PREFIX = "zalo:"
#: Zalo's limit for a text message.
MAX_TEXT = 2000
SENDS = frozenset({"sendMessage", "sendPhoto"})

Listener = Callable[[JSON], None]


def page_id(zalo_id: str) -> str:
    """Returns the page's id of a Zalo user or private chat."""
    return PREFIX + zalo_id


def zalo_id(value: object) -> str | None:
    """Returns the Zalo id in a page id ("zalo:<id>"), or None for anything else."""
    if isinstance(value, str) and value.startswith(PREFIX) and len(value) > len(PREFIX):
        return value[len(PREFIX) :]
    return None


def _user_text(message: JSON) -> str:
    """What a person's Zalo message shows on the page (the page only sends text)."""
    if isinstance(message.get("text"), str):
        return str(message["text"])
    if "photo_url" in message:
        return " ".join(p for p in ("🖼", str(message.get("caption") or "")) if p)
    if "sticker" in message:
        return "Nhãn dán"
    return "Tin nhắn không được hỗ trợ"


class SandboxZalo(FakeZalo):
    """The fake Zalo server: each chat's timeline (people's and the bot's messages, in order,
    stamped with the bot's clock), and a page event for every new message."""

    def __init__(self, listeners: list[Listener]) -> None:
        """Creates the server (no quota, no flood limits); `listeners` get the page's events."""
        super().__init__(ZALO_TOKEN, ZALO_BOT_NAME)
        self.listeners = listeners
        self.clock: Clock | None = None
        self.timelines: dict[str, list[JSON]] = {}
        self.on_call(self._after_call)
        self.on_user_message(self._after_user_message)

    def timeline(self, chat_id: str) -> list[JSON]:
        """The messages of one chat in this run, oldest first (ids count from 1)."""
        return self.timelines.get(chat_id, [])

    def _add(self, chat_id: str, entry: JSON) -> None:
        timeline = self.timelines.setdefault(chat_id, [])
        entry["id"] = len(timeline) + 1
        entry["date"] = self.clock.now().timestamp() if self.clock is not None else 0.0
        timeline.append(entry)
        for listener in list(self.listeners):
            listener({"type": "chat", "chat_id": page_id(chat_id)})

    def _after_user_message(self, event: JSON) -> None:
        message = event["message"]
        sender = message["from"]
        entry = {"from": str(sender["id"]), "name": str(sender.get("display_name") or "")}
        self._add(str(message["chat"]["id"]), {**entry, "text": _user_text(message)})

    def _after_call(self, call: Call) -> None:
        if call.method not in SENDS or call.error is not None:
            return
        params = call.params
        if call.method == "sendPhoto":
            text = "\n".join(
                p for p in (f"🖼 {params.get('photo', '')}", params.get("caption")) if p
            )
        else:
            text = str(params.get("text") or "")
        bot = self.world.bot
        self._add(
            str(params.get("chat_id")), {"from": bot.id, "name": bot.display_name, "text": text}
        )

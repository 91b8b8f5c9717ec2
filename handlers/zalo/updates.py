"""Zalo events → the core's Incoming events."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.actions.core import Incoming, IncomingKind
from bot.services.documents import IncomingFile
from bot.text import nfc

CHANNEL = "zalo"
PHOTO_NAME = "anh.jpg"


def event_of(body: Any) -> dict[str, Any] | None:
    """Returns the event of a webhook body, enveloped (`{"ok", "result"}`) or flat."""
    if not isinstance(body, dict):
        return None
    if "result" in body and isinstance(body["result"], dict):
        body = body["result"]
    return body if "event_name" in body and isinstance(body.get("message"), dict) else None


def incoming_of(event: dict[str, Any]) -> Incoming | None:
    """Returns what the person did; None for events the core does not act on (bots, groups)."""
    message = event.get("message") or {}
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    message_id = str(message.get("message_id") or "")
    user_id = str(sender.get("id") or "")
    if not message_id or not user_id or sender.get("is_bot"):
        return None
    if str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE":
        # Zalo groups are not usable by bots: the cell's group lives on Telegram.
        return None
    base = Incoming(
        channel=CHANNEL,
        update_id=message_id,
        kind=IncomingKind.OTHER,
        chat_id=str(chat.get("id") or user_id),
        user_id=user_id,
        display_name=str(sender.get("display_name") or ""),
    )
    text = message.get("text")
    if event.get("event_name") == "message.text.received" and isinstance(text, str):
        text = nfc(text).strip()
        if text.startswith("/") and len(text) > 1:
            head, *words = text.split()
            return replace(
                base,
                kind=IncomingKind.COMMAND,
                command=head[1:].partition("@")[0].casefold(),
                args=tuple(words),
            )
        return replace(base, kind=IncomingKind.TEXT, text=text)
    photo = message.get("photo_url")
    if event.get("event_name") == "message.image.received" and isinstance(photo, str) and photo:
        # Zalo gives a photo's address, not its size: the core keeps the address as its id.
        caption = message.get("caption")
        found = IncomingFile(
            photo, PHOTO_NAME, "image/jpeg", 0, caption=caption if isinstance(caption, str) else ""
        )
        return replace(base, kind=IncomingKind.FILE, file=found)
    return replace(base, kind=IncomingKind.OTHER)

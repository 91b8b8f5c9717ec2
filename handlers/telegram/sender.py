"""Sends one outbox row through the Telegram Bot API and classifies what happened."""

from __future__ import annotations

import html
import logging
import re
import warnings
from datetime import timedelta

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.models import OutboxMessage, Reachability
from bot.services.delivery import Delivery
from bot.services.outbox import MENU_METHOD

log = logging.getLogger(__name__)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def _markup(rows: object) -> InlineKeyboardMarkup | None:
    if not isinstance(rows, list) or not rows:
        return None
    keyboard = []
    for row in rows:
        buttons = []
        for button in row:
            if "url" in button:
                buttons.append(InlineKeyboardButton(button["text"], url=button["url"]))
            else:
                buttons.append(InlineKeyboardButton(button["text"], callback_data=button["data"]))
        keyboard.append(buttons)
    return InlineKeyboardMarkup(keyboard)


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 deprecates the int form; either form means seconds.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


class TelegramSender:
    """The dispatcher's sender for Telegram."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def _send_plain(self, row: OutboxMessage) -> Delivery:
        plain = dict(row.payload)
        plain["text"] = _plain(str(plain["text"]))
        plain.pop("parse_mode", None)
        return await self(OutboxMessage.model_validate({**row.model_dump(), "payload": plain}))

    async def _set_menu(self, row: OutboxMessage) -> Delivery:
        """Sets one private chat's own command menu; a refusal changes no reachability (the
        chat keeps the members' menu)."""
        commands = [
            BotCommand(str(c["command"]), str(c["description"]))
            for c in row.payload.get("commands", [])
        ]
        try:
            await self._bot.set_my_commands(
                commands, scope=BotCommandScopeChat(chat_id=int(row.chat_id))
            )
        except RetryAfter as exc:
            return Delivery(kind="retry", retry_after=_seconds(exc), error=str(exc))
        except (TimedOut, NetworkError) as exc:
            return Delivery(kind="retry", error=f"{type(exc).__name__}: {exc}")
        except TelegramError as exc:
            return Delivery(kind="failed", error=str(exc))
        return Delivery(kind="sent")

    async def __call__(self, row: OutboxMessage) -> Delivery:
        """Performs the row's method and returns the delivery outcome."""
        payload = row.payload
        if row.method == MENU_METHOD:
            return await self._set_menu(row)
        markup = _markup(payload.get("keyboard"))
        try:
            if row.method == "edit_message_text":
                await self._bot.edit_message_text(
                    chat_id=int(row.chat_id),
                    message_id=int(payload["message_id"]),
                    text=payload["text"],
                    parse_mode=payload.get("parse_mode"),
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
                return Delivery(kind="sent", provider_message_id=str(payload["message_id"]))
            if row.method == "send_document":
                document: str | InputFile = payload.get("file_id") or InputFile(
                    payload.get("content", b""), filename=payload["filename"]
                )
                sent = await self._bot.send_document(
                    chat_id=int(row.chat_id),
                    document=document,
                    caption=payload.get("caption") or None,
                    parse_mode=payload.get("parse_mode"),
                    reply_markup=markup,
                )
                uploaded = sent.document.file_id if sent.document is not None else None
                return Delivery(
                    kind="sent", provider_message_id=str(sent.message_id), file_id=uploaded
                )
            if row.method == "send_photo":
                photo: str | InputFile = payload.get("file_id") or InputFile(
                    payload.get("content", b""), filename=payload["filename"]
                )
                shown = await self._bot.send_photo(
                    chat_id=int(row.chat_id),
                    photo=photo,
                    caption=payload.get("caption") or None,
                    parse_mode=payload.get("parse_mode"),
                    reply_markup=markup,
                )
                largest = shown.photo[-1].file_id if shown.photo else None
                return Delivery(
                    kind="sent", provider_message_id=str(shown.message_id), file_id=largest
                )
            message = await self._bot.send_message(
                chat_id=int(row.chat_id),
                text=payload["text"],
                parse_mode=payload.get("parse_mode"),
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return Delivery(kind="sent", provider_message_id=str(message.message_id))
        except RetryAfter as exc:
            return Delivery(kind="retry", retry_after=_seconds(exc), error=str(exc))
        except ChatMigrated as exc:
            return Delivery(kind="migrated", new_chat_id=str(exc.new_chat_id), error=str(exc))
        except Forbidden as exc:
            text = str(exc).lower()
            reach = Reachability.BLOCKED if "blocked" in text else Reachability.NEVER_STARTED
            return Delivery(kind="unreachable", reachability=reach, error=str(exc))
        except BadRequest as exc:
            text = str(exc).lower()
            if "not modified" in text:
                return Delivery(kind="sent", provider_message_id=str(payload.get("message_id")))
            if "can't parse entities" in text and payload.get("parse_mode"):
                # Our own markup is wrong: deliver the words rather than nothing at all.
                log.error("HTML rejected for outbox row %s: %s", row.id, exc)
                return await self._send_plain(row)
            if "chat not found" in text and not row.is_group:
                reach = Reachability.NEVER_STARTED
                return Delivery(kind="unreachable", reachability=reach, error=str(exc))
            return Delivery(kind="failed", error=str(exc))
        except (TimedOut, NetworkError) as exc:
            return Delivery(kind="retry", error=f"{type(exc).__name__}: {exc}")
        except TelegramError as exc:
            return Delivery(kind="failed", error=str(exc))

"""Sends one outbox row through the Zalo Bot API and classifies what happened."""

from __future__ import annotations

import asyncio
import logging

from bot.models import OutboxMessage, Reachability
from bot.services.delivery import Delivery
from bot.services.outbox import MENU_METHOD
from handlers.zalo.client import ZaloClient, ZaloError, ZaloNetworkError
from handlers.zalo.publish import Publisher

log = logging.getLogger(__name__)

QUOTA_WORDS = ("quota", "limit exceeded", "exceeded")


class ZaloSender:
    """The dispatcher's sender for Zalo: text (rows are shaped when queued), and photos by URL
    when the operator publishes files."""

    def __init__(self, client: ZaloClient, publisher: Publisher | None = None) -> None:
        self._client = client
        self._publisher = publisher

    async def __call__(self, row: OutboxMessage) -> Delivery:
        """Performs the row and returns the delivery outcome."""
        payload = row.payload
        if row.method == MENU_METHOD:
            return Delivery(kind="sent")  # Zalo has no command menus
        published: str | None = None
        if row.method == "send_photo":
            published = payload.get("file_id")  # its URL, from an earlier send
            if published is None and self._publisher is not None:
                published = await asyncio.to_thread(
                    self._publisher.publish, payload.get("content", b""), payload["filename"]
                )
            if published is None:
                return Delivery(kind="failed", error="no public files directory for photos")
            payload = {"photo_url": published, "text": payload.get("caption", "")}
        try:
            if payload.get("photo_url"):
                result = await self._client.call(
                    "sendPhoto",
                    chat_id=row.chat_id,
                    photo=payload["photo_url"],
                    caption=payload.get("text", ""),
                )
            else:
                result = await self._client.call(
                    "sendMessage", chat_id=row.chat_id, text=payload.get("text", "")
                )
        except ZaloNetworkError as exc:
            return Delivery(kind="retry", error=str(exc))
        except ZaloError as exc:
            return _classify(exc)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        return Delivery(kind="sent", provider_message_id=str(message_id or ""), file_id=published)


def _classify(exc: ZaloError) -> Delivery:
    text = exc.description.lower()
    if exc.code == 429 and any(word in text for word in QUOTA_WORDS):
        # Refused for the monthly budget: recorded as such, not lost and not retried blindly.
        return Delivery(kind="quota", error=str(exc))
    if exc.code == 429:
        return Delivery(kind="retry", retry_after=5.0, error=str(exc))
    if exc.code in {401, 403, 404} or "block" in text:
        reach = Reachability.BLOCKED if "block" in text else Reachability.NEVER_STARTED
        if exc.code == 401:
            log.error("Zalo refused the bot token: %s", exc)
            return Delivery(kind="retry", error=str(exc))
        return Delivery(kind="unreachable", reachability=reach, error=str(exc))
    return Delivery(kind="failed", error=str(exc))

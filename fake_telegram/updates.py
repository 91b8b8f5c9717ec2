"""The pending-update queue: long polling (getUpdates) and webhook push delivery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from fake_telegram.models import JSON, ApiError, bad_request

log = logging.getLogger(__name__)

#: Update types Telegram sends when allowed_updates is unset or empty.
DEFAULT_ALLOWED = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "inline_query", "chosen_inline_result", "callback_query",
        "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
        "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)  # fmt: skip
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
MAX_POLL_SECONDS = 100.0


@dataclass
class Webhook:
    """The webhook set with setWebhook."""

    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


def _allowed_set(value: Any) -> frozenset[str]:
    if value is None or value == []:
        return DEFAULT_ALLOWED
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request("can't parse allowed_updates JSON object")
    return frozenset(value)


class UpdateQueue:
    """Pending updates with increasing update_id, served by long poll or pushed to a webhook."""

    def __init__(self) -> None:
        """Creates an empty queue (no webhook, default allowed_updates)."""
        self._updates: deque[JSON] = deque()
        self._next_id = 100_000_001
        self._allowed: frozenset[str] = DEFAULT_ALLOWED
        self._allowed_list: list[str] | None = None
        self._poll: asyncio.Future[str] | None = None
        self._closing = False
        self.webhook: Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self.delivered = 0

    def __len__(self) -> int:
        """The number of pending updates."""
        return len(self._updates)

    def clear(self) -> None:
        """Drops every pending update (as deleteWebhook with drop_pending_updates does)."""
        self._updates.clear()

    def pending(self) -> list[JSON]:
        """A snapshot of the pending updates."""
        return list(self._updates)

    def continue_after(self, update_id: int) -> None:
        """Numbers the next updates after `update_id`, as Telegram keeps counting across a
        restart of whoever polls (a fresh fake server would otherwise start again)."""
        self._next_id = max(self._next_id, update_id + 1)

    def push(self, kind: str, payload: JSON) -> JSON | None:
        """Queues an update of type `kind` and wakes the poller/webhook.

        Returns:
            The update, or None if the bot's allowed_updates excludes this type (Telegram then
            never creates it).
        """
        if kind not in self._allowed:
            return None
        update: JSON = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._updates.append(update)
        self._wake("update")
        self._webhook_wake.set()
        return update

    def _wake(self, reason: str) -> None:
        poll = self._poll
        if poll is not None and not poll.done():
            poll.set_result(reason)

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset > 0:
            while updates and updates[0]["update_id"] < offset:
                updates.popleft()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()

    def _set_allowed(self, value: Any) -> None:
        if value is not None:
            self._allowed = _allowed_set(value)
            self._allowed_list = list(value) or None

    async def get_updates(self, params: JSON) -> list[JSON]:
        """getUpdates: a real long poll.

        Confirms updates below `offset`, then answers at once if any are pending, else holds the
        request until one arrives or `timeout` seconds pass (then answers []). A newer
        getUpdates terminates a held one with 409, like Telegram.
        """
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset", 0)
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if not isinstance(offset, int) or not isinstance(limit, int):
            raise bad_request("wrong parameter offset or limit")
        if isinstance(timeout, str):
            try:
                timeout = float(timeout)
            except ValueError:
                raise bad_request("wrong parameter timeout") from None
        if not isinstance(timeout, int | float):
            raise bad_request("wrong parameter timeout")
        limit = min(max(limit, 1), 100)
        self._set_allowed(params.get("allowed_updates"))
        self._confirm(offset)
        self._wake("conflict")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(float(timeout), 0.0), MAX_POLL_SECONDS)
        while True:
            if self._closing:
                return []
            if self._updates:
                return [self._updates[i] for i in range(min(limit, len(self._updates)))]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            poll: asyncio.Future[str] = loop.create_future()
            self._poll = poll
            try:
                reason = await asyncio.wait_for(poll, remaining)
            except TimeoutError:
                return []
            finally:
                if self._poll is poll:
                    self._poll = None
            if reason == "conflict":
                raise ApiError(409, POLL_CONFLICT)
            if reason == "webhook":
                raise ApiError(409, WEBHOOK_CONFLICT)

    # -- webhooks ------------------------------------------------------------------------------

    async def set_webhook(self, params: JSON) -> bool:
        """setWebhook: an empty url removes the webhook."""
        url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._set_allowed(params.get("allowed_updates"))
        if not url:
            await self._stop_webhook()
            return True
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        max_connections = params.get("max_connections", 40)
        self.webhook = Webhook(url, str(secret) if secret else None, int(max_connections or 40))
        self._wake("webhook")
        self._webhook_wake.set()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver(), name="fake-tg-webhook")
        return True

    async def delete_webhook(self, params: JSON) -> bool:
        """deleteWebhook (drop_pending_updates honoured)."""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        await self._stop_webhook()
        return True

    def webhook_info(self) -> JSON:
        """getWebhookInfo."""
        hook = self.webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        if self._allowed_list is not None:
            info["allowed_updates"] = self._allowed_list
        return info

    async def _stop_webhook(self) -> None:
        self.webhook = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _wait(self, events: Iterable[asyncio.Event], seconds: float | None) -> None:
        waiters = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _deliver(self) -> None:
        """POSTs pending updates in order to the webhook, retrying each until a 2xx answer."""
        backoff = 0.05
        client_timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=client_timeout) as session:
            while not self._closing and self.webhook is not None:
                hook = self.webhook
                self._webhook_wake.clear()
                if not self._updates:
                    await self._wait((self._webhook_wake, self._stop_event), None)
                    continue
                update = self._updates[0]
                headers = {}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                error: str | None = None
                try:
                    async with session.post(hook.url, json=update, headers=headers) as resp:
                        await resp.read()
                        if not 200 <= resp.status < 300:
                            error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"Connection failed: {exc!r}"
                if error is None:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    self.delivered += 1
                    backoff = 0.05
                    continue
                log.debug("webhook delivery failed: %s", error)
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
                await self._wait((self._stop_event,), backoff)
                backoff = min(backoff * 2, 1.0)

    async def close(self) -> None:
        """Answers a held long poll with [] and stops webhook delivery."""
        self._closing = True
        self._stop_event.set()
        self._wake("closing")
        await self._stop_webhook()

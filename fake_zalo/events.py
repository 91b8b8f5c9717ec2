"""The event queue: long polling (getUpdates hands out one event per answer) and webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import aiohttp

from fake_zalo.models import JSON, ApiError, WebhookDelivery, bad_request
from fake_zalo.state import now_ms

log = logging.getLogger(__name__)

WebhookBody = Literal["enveloped", "flat"]
WEBHOOK_BODIES: tuple[str, ...] = get_args(WebhookBody)
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
WEBHOOK_CONFLICT = "Conflict: a webhook is set; call deleteWebhook before getUpdates"
DEFAULT_POLL_SECONDS = 30.0
MIN_SECRET, MAX_SECRET = 8, 256


def request_timeout() -> ApiError:
    """The answer to a long poll that found no event in time: 408 "Request timeout"."""
    return ApiError(408, "Request timeout")


def _poll_seconds(value: object, cap: float) -> float:
    if value is None or value == "":
        seconds = DEFAULT_POLL_SECONDS
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            raise bad_request("timeout must be a number of seconds") from None
    else:
        raise bad_request("timeout must be a number of seconds")
    return min(max(seconds, 0.0), cap)


@dataclass
class Webhook:
    """The webhook set with setWebhook."""

    url: str
    secret_token: str


class EventQueue:
    """Pending events, each handed out once and in order, by long poll or webhook push."""

    def __init__(
        self,
        *,
        max_poll_seconds: float,
        webhook_body: WebhookBody,
        webhook_retries: int,
        webhook_retry_delay: float,
    ) -> None:
        """Creates an empty queue without a webhook.

        Args:
            max_poll_seconds: The cap on getUpdates' `timeout`.
            webhook_body: "enveloped" posts `{"ok": true, "result": event}`, "flat" the event.
            webhook_retries: Retries after a failed webhook POST (then the event is dropped).
            webhook_retry_delay: Seconds between attempts.
        """
        if webhook_body not in WEBHOOK_BODIES:
            raise ValueError(f"webhook_body must be one of {WEBHOOK_BODIES}")
        self.max_poll_seconds = max_poll_seconds
        self.webhook_body: WebhookBody = webhook_body
        self.webhook_retries = webhook_retries
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook: Webhook | None = None
        self.updated_at = 0
        self.deliveries: list[WebhookDelivery] = []
        self.last_handed: JSON | None = None
        self.last_pushed: JSON | None = None
        self._pending: deque[JSON] = deque()
        self._waiters: list[asyncio.Future[None]] = []
        self._changed = asyncio.Event()
        self._delivered = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        """The number of events not handed out yet."""
        return len(self._pending)

    def pending(self) -> list[JSON]:
        """A snapshot of the events not handed out yet."""
        return list(self._pending)

    def clear(self) -> None:
        """Forgets every pending event."""
        self._pending.clear()

    def push(self, event: JSON) -> None:
        """Queues an event and wakes held polls and the webhook sender."""
        self._pending.append(event)
        self.last_pushed = event
        self._wake()

    def replay_last(self) -> JSON:
        """Queues the last event handed out (else the last queued) once more, unchanged.

        Raises:
            LookupError: When no event exists yet.
        """
        event = self.last_handed if self.last_handed is not None else self.last_pushed
        if event is None:
            raise LookupError("no event to replay yet")
        again = copy.deepcopy(event)
        self.push(again)
        return again

    def _wake(self) -> None:
        self._changed.set()
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _hand_out(self) -> JSON:
        event = self._pending.popleft()
        self.last_handed = event
        return event

    # -- long polling --------------------------------------------------------------------------

    async def poll(self, params: JSON, alive: Callable[[], bool]) -> JSON:
        """getUpdates: hands out the oldest pending event, holding the request until one comes.

        Args:
            params: The request parameters (`timeout` in seconds, default 30, capped).
            alive: Whether the client is still connected; an event is never handed to a
                client that has gone away.

        Raises:
            ApiError: 408 when `timeout` passes without an event (or the server stops), 409
                while a webhook is set.
        """
        seconds = _poll_seconds(params.get("timeout"), self.max_poll_seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            if self.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
            if self._closing or not alive():
                raise request_timeout()
            if self._pending:
                return self._hand_out()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise request_timeout()
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter, remaining)
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    # -- webhooks ------------------------------------------------------------------------------

    def webhook_info(self) -> JSON:
        """getWebhookInfo: `{"url": ..., "updated_at": ms}` ("" and 0 when never set)."""
        return {"url": self.webhook.url if self.webhook else "", "updated_at": self.updated_at}

    async def set_webhook(self, params: JSON) -> JSON:
        """setWebhook(url, secret_token): pending and new events are POSTed to `url`."""
        url = params.get("url")
        secret = params.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad_request("url must be an http(s) URL")
        if not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= MAX_SECRET:
            raise bad_request(f"secret_token must be {MIN_SECRET} to {MAX_SECRET} characters long")
        self.webhook = Webhook(url, secret)
        self.updated_at = now_ms()
        self._wake()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._deliver(), name="fake-zalo-webhook")
        return self.webhook_info()

    async def delete_webhook(self) -> JSON:
        """deleteWebhook: events wait for getUpdates again."""
        if self.webhook is not None:
            self.webhook = None
            self.updated_at = now_ms()
        await self._stop_task()
        return self.webhook_info()

    async def _stop_task(self) -> None:
        task, self._task = self._task, None
        self._changed.set()
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_deliveries(self, count: int, timeout: float) -> list[WebhookDelivery]:  # noqa: ASYNC109
        """Waits until at least `count` delivery attempts are recorded; returns them all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.deliveries) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"{len(self.deliveries)} webhook delivery attempts within {timeout}s, "
                    f"wanted {count}: {self.deliveries}"
                )
            self._delivered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._delivered.wait(), remaining)
        return list(self.deliveries)

    async def _deliver(self) -> None:
        """POSTs events in order; a failed one is retried a few times, then dropped."""
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._closing and self.webhook is not None:
                if not self._pending:
                    self._changed.clear()
                    await self._changed.wait()
                    continue
                hook = self.webhook
                event = self._hand_out()
                body = event if self.webhook_body == "flat" else {"ok": True, "result": event}
                done = False
                try:
                    for attempt in range(1, self.webhook_retries + 2):
                        if attempt > 1:
                            await asyncio.sleep(self.webhook_retry_delay)
                        if self.webhook is not hook:
                            break
                        done = await self._post(session, hook, event, body, attempt)
                        if done:
                            break
                    else:
                        done = True  # retries exhausted: the event is dropped
                finally:
                    if not done:  # stopped or the webhook changed: keep it for whoever is next
                        self._pending.appendleft(event)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        hook: Webhook,
        event: JSON,
        body: JSON,
        attempt: int,
    ) -> bool:
        status: int | None = None
        error: str | None = None
        headers = {SECRET_HEADER: hook.secret_token}
        try:
            async with session.post(hook.url, json=body, headers=headers) as response:
                await response.read()
                status = response.status
                if not 200 <= status < 300:
                    error = f"webhook answered {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"connection failed: {exc!r}"
        if error is not None:
            log.debug("webhook delivery attempt %d failed: %s", attempt, error)
        delivery = WebhookDelivery(
            hook.url, event, body, hook.secret_token, attempt, status, error, time.monotonic()
        )
        self.deliveries.append(delivery)
        self._delivered.set()
        return error is None

    async def close(self) -> None:
        """Answers held long polls with 408 and stops webhook delivery."""
        self._closing = True
        self._wake()
        await self._stop_task()

"""FakeZalo: a fake Zalo Bot API HTTP server (aiohttp) with simulated users.

Requests are `GET|POST <url>/bot<token>/<method>` with query parameters, a JSON body or a
form-encoded body. Answers are `{"ok": true, "result": ...}` or `{"ok": false, "error_code": n,
"description": "..."}` with n as the HTTP status:

- 401 "Unauthorized": a token other than the server's.
- 404 "Not Found": a method the API does not have (names are case-sensitive; there is no
  editMessageText, answerCallbackQuery, setMyCommands, …).
- 400 "Bad Request: …": a missing chat_id, a text that is not 1-2000 characters (or blank), a
  caption over 2000 characters, a photo that is not an http(s) URL, a bad setWebhook url or a
  secret_token that is not 8-256 characters, a timeout that is not a number.
- 403 "Forbidden: the user has not interacted with the bot": a send (or chat action) to a chat
  id of nobody who ever wrote to the bot, including ids the server does not know. Permanent:
  retrying cannot help until the user writes.
- 403 "Forbidden: the user has blocked the bot": a send to a user who blocked the bot.
  Permanent until the user unblocks it (or writes again).
- 429 "Quota exceeded: the monthly quota of N messages is used up": `monthly_quota` successful
  sends (sendMessage, sendPhoto) were made. No `parameters.retry_after`: waiting seconds does
  not help.
- 429 "Too Many Requests" with `parameters: {"retry_after": n}`: the optional `RateLimits`
  (a token bucket per chat and one for the bot) refused a send; retry after n seconds.
- 408 "Request timeout": a getUpdates long poll found no event within its `timeout`.
- 409 "Conflict: a webhook is set; call deleteWebhook before getUpdates".

getUpdates answers ONE event object per request, each event once, in order (no offsets).
setWebhook and deleteWebhook answer like getWebhookInfo: `{"url": ..., "updated_at": ms}`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fake_common.server import Answer, FakeServer
from fake_zalo.control import add_control_routes
from fake_zalo.events import EventQueue, WebhookBody
from fake_zalo.faults import Fault, FaultBook
from fake_zalo.limits import RateLimiter
from fake_zalo.methods import SEND_METHODS, BotApi
from fake_zalo.models import (
    JSON,
    ApiError,
    Call,
    FakeZaloGroup,
    FakeZaloUser,
    RateLimits,
    WebhookDelivery,
)
from fake_zalo.params import read_params
from fake_zalo.state import World
from fake_zalo.users import UserSimulator

QUEUE_METHODS = frozenset({"getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo"})
MAX_REQUEST_BYTES = 8 * 1024 * 1024


def _bot_id(token: str) -> str:
    prefix = token.split(":", 1)[0]
    return prefix if prefix and prefix != token else "1000000001"


class FakeZalo(UserSimulator, FakeServer[Call, Fault]):
    """A fake Zalo Bot API server on 127.0.0.1 that the bot talks to over real HTTP.

    Simulate people with `add_user`, `user_sends`, `user_sends_image`, …; observe the bot with
    `next_call`, `calls`, `messages_to`; break things with `inject_fault`, `monthly_quota`,
    `rate_limits` and `replay_last_event`.
    """

    _LABEL = "FakeZalo"
    _PACKAGE = "fake_zalo"
    _MAX_REQUEST_BYTES = MAX_REQUEST_BYTES
    _SLOWED_METHODS = SEND_METHODS
    _TIMEOUT_NOTE = "injected timeout: held {delay}s, then dropped; not performed"
    _DROP_NOTE = "injected drop: connection closed without an answer; not performed"
    _faults: FaultBook  # FakeServer's fault book, with Zalo's validating `add`

    def __init__(
        self,
        token: str = "1234567890:fake-zalo-token",  # noqa: S107
        bot_name: str = "chibot",
        monthly_quota: int | None = None,
        rate_limits: RateLimits | None = None,
        *,
        account_name: str | None = None,
        webhook_body: WebhookBody = "enveloped",
        webhook_retries: int = 3,
        webhook_retry_delay: float = 0.2,
        max_poll_seconds: float = 60.0,
    ) -> None:
        """Creates the server (not started).

        Args:
            token: The only bot token accepted; other tokens get 401 Unauthorized. The part
                before ":" is the bot id getMe reports.
            bot_name: The bot's display_name.
            monthly_quota: Successful sends allowed before 429 "Quota exceeded" (the free plan
                allows about 3000 a month); None for no quota.
            rate_limits: Flood limits for sends; None disables them.
            account_name: getMe's account_name (default "bot." + bot_name).
            webhook_body: "enveloped" POSTs `{"ok": true, "result": event}`, "flat" the event.
            webhook_retries: Retries of a webhook POST answered with a non-2xx status (or not
                answered); then the event is dropped.
            webhook_retry_delay: Seconds between webhook attempts.
            max_poll_seconds: The cap on getUpdates' timeout.
        """
        bot = FakeZaloUser(_bot_id(token), bot_name, is_bot=True)
        world = World(bot, account_name if account_name is not None else f"bot.{bot_name}")
        queue = EventQueue(
            max_poll_seconds=max_poll_seconds,
            webhook_body=webhook_body,
            webhook_retries=webhook_retries,
            webhook_retry_delay=webhook_retry_delay,
        )
        UserSimulator.__init__(self, world, queue)
        FakeServer.__init__(self, token, Call, FaultBook())
        self.rate_limits = rate_limits
        self._api = BotApi(world, monthly_quota, RateLimiter(rate_limits) if rate_limits else None)
        self._quota_refused = 0

    # -- what FakeServer asks of a server ------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        add_control_routes(app, self)

    async def _close_queue(self) -> None:
        """Held long polls get 408, the webhook stops."""
        await self.queue.close()

    async def _accept(self, method: str, request: web.Request) -> tuple[JSON, Answer]:
        params = await read_params(request)
        if method not in self._api.handlers and method not in QUEUE_METHODS:
            raise ApiError(404, "Not Found")
        return params, lambda: self._dispatch(method, params, request)

    def _fault_error(self, fault: Fault) -> ApiError | None:
        return fault.error(self._api.monthly_quota)

    def _count_refusal(self, error: ApiError) -> None:
        """Counts a 429 as rate limited (with retry_after) or as quota refused (without)."""
        if error.code == 429:
            if error.parameters and "retry_after" in error.parameters:
                self._rate_limited += 1
            else:
                self._quota_refused += 1

    # -- requests ------------------------------------------------------------------------------

    async def _dispatch(self, method: str, params: JSON, request: web.Request) -> Any:
        if method == "getUpdates":

            def alive() -> bool:
                transport = request.transport
                return transport is not None and not transport.is_closing()

            return await self.queue.poll(params, alive)
        if method == "setWebhook":
            return await self.queue.set_webhook(params)
        if method == "deleteWebhook":
            return await self.queue.delete_webhook()
        if method == "getWebhookInfo":
            return self.queue.webhook_info()
        return self._api.handlers[method](params)

    # -- faults and quota ----------------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        kind: str,
        count: int = 1,
        *,
        chat_id: str | FakeZaloUser | FakeZaloGroup | None = None,
        retry_after: int = 1,
        delay: float | None = None,
        status: int = 502,
    ) -> None:
        """Makes the next `count` requests of `method` (optionally only to `chat_id`) fail.

        Args:
            method: The method, e.g. "sendMessage" (any method, getUpdates included).
            kind: "429" (429 "Too Many Requests" with parameters.retry_after), "quota" (429
                "Quota exceeded: …"), "5xx" (`status`, e.g. 502 "Bad Gateway"), "slow" (wait
                `delay` seconds, default 1, then answer normally), "drop" (close the
                connection without answering; not performed) or "timeout" (hold `delay`
                seconds, default 30, then drop the connection; not performed).
            count: How many requests the fault applies to.
            chat_id: Only requests to this chat (id, user or group) are affected (None: all).
            retry_after: The retry_after of "429" faults.
            delay: Seconds for "slow" and "timeout" faults.
            status: The HTTP status of "5xx" faults.
        """
        self._faults.add(method, kind, count, chat_id, retry_after, delay, status)

    @property
    def monthly_quota(self) -> int | None:
        """Successful sends allowed before 429 "Quota exceeded" (None: unlimited); settable."""
        return self._api.monthly_quota

    @monthly_quota.setter
    def monthly_quota(self, value: int | None) -> None:
        self._api.monthly_quota = value

    @property
    def quota_used(self) -> int:
        """Successful sends counted against the quota since the start or `reset_quota`."""
        return self._api.quota_used

    def reset_quota(self) -> None:
        """Starts a new month: the quota is whole again."""
        self._api.quota_used = 0

    @property
    def quota_refused_count(self) -> int:
        """How many 429 "Quota exceeded" answers were given (injected ones included)."""
        return self._quota_refused

    # -- webhook -------------------------------------------------------------------------------

    @property
    def webhook_body(self) -> WebhookBody:
        """The webhook body shape, "enveloped" or "flat"; settable."""
        return self.queue.webhook_body

    @webhook_body.setter
    def webhook_body(self, value: WebhookBody) -> None:
        if value not in ("enveloped", "flat"):
            raise ValueError("webhook_body must be 'enveloped' or 'flat'")
        self.queue.webhook_body = value

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every webhook POST attempt so far, in order (a copy)."""
        return list(self.queue.deliveries)

    async def wait_webhook_deliveries(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[WebhookDelivery]:
        """Waits until at least `count` webhook attempts were made; returns all attempts.

        Raises:
            TimeoutError: When fewer attempts are made in time.
        """
        return await self.queue.wait_deliveries(count, timeout)

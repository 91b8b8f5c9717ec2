"""FakeTelegram: a fake Telegram Bot API HTTP server (aiohttp) with simulated users."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fake_common.faults import Fault, FaultBook
from fake_common.server import Answer, FakeServer
from fake_telegram.control import add_control_routes
from fake_telegram.limits import RateLimiter
from fake_telegram.methods import EDIT_METHODS, SEND_METHODS, BotApi
from fake_telegram.models import (
    JSON,
    ApiError,
    ApiRequest,
    Call,
    FakeChat,
    FakeUser,
    RateLimits,
    Upload,
)
from fake_telegram.params import CANONICAL, read_params
from fake_telegram.users import UserSimulator

FAULT_KINDS = ("server_error", "retry_after", "timeout", "drop", "forbidden")
MAX_REQUEST_BYTES = 64 * 1024 * 1024
_QUEUE_METHODS = frozenset({"getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo"})


def _bot_id(token: str) -> int:
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else 100_000


class FakeTelegram(UserSimulator, FakeServer[Call, Fault]):
    """A fake Telegram Bot API server on 127.0.0.1 that a real PTB `Application` talks to.

    Point PTB at it with `base_url=f"{api.url}/bot"` and `base_file_url=f"{api.url}/file/bot"`.
    Simulate people with `add_user`, `add_group`, `user_sends`, `user_taps`, …; observe the
    bot with `next_call`, `calls`, `messages_in`; break things with `inject_fault`,
    `set_latency` and `rate_limits`.
    """

    _LABEL = "FakeTelegram"
    _PACKAGE = "fake_telegram"
    _MAX_REQUEST_BYTES = MAX_REQUEST_BYTES
    _SLOWED_METHODS = SEND_METHODS | EDIT_METHODS
    _UNSHOWN_PARAMS = ("reply_markup",)
    _TIMEOUT_NOTE = "injected timeout: held {delay}s, not performed"
    _DROP_NOTE = "injected drop: connection closed without a response, not performed"

    def __init__(
        self,
        token: str = "123456:TEST",  # noqa: S107
        bot_username: str = "chibot_test_bot",
        rate_limits: RateLimits | None = None,
        *,
        bot_name: str = "chibot",
    ) -> None:
        """Creates the server (not started).

        Args:
            token: The only bot token accepted; other tokens get 401 Unauthorized.
            bot_username: The bot's @username (without "@").
            rate_limits: Telegram-like flood limits for sends and edits; None disables them.
            bot_name: The bot's first name, as getMe reports it.
        """
        bot = FakeUser(_bot_id(token), bot_name, None, bot_username, None, is_bot=True)
        UserSimulator.__init__(self, bot)
        FakeServer.__init__(self, token, Call, FaultBook())
        self.rate_limits = rate_limits
        self._api = BotApi(self.world, RateLimiter(rate_limits) if rate_limits else None)

    # -- what FakeServer asks of a server ------------------------------------------------------

    def _canonical(self, method: str) -> str:
        """Telegram ignores the case of method names: the camelCase name of a known method."""
        return CANONICAL.get(method.lower(), method)

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)

    async def _close_queue(self) -> None:
        """Held long polls get [], the webhook stops."""
        await self.queue.close()

    async def _accept(self, method: str, request: web.Request) -> tuple[JSON, Answer]:
        params, uploads = await read_params(request)
        if method not in self._api.handlers and method not in _QUEUE_METHODS:
            raise ApiError(404, "Not Found: method not found")
        return params, lambda: self._dispatch(method, params, uploads)

    def _fault_error(self, fault: Fault) -> ApiError | None:
        if fault.kind == "server_error":
            return ApiError(502, "Bad Gateway")
        if fault.kind == "retry_after":
            return ApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        if fault.kind == "forbidden":
            return ApiError(403, "Forbidden: bot was blocked by the user")
        return None

    # -- requests ------------------------------------------------------------------------------

    async def _dispatch(self, method: str, params: JSON, uploads: dict[str, Upload]) -> Any:
        if method == "getUpdates":
            return await self.queue.get_updates(params)
        if method == "setWebhook":
            return await self.queue.set_webhook(params)
        if method == "deleteWebhook":
            return await self.queue.delete_webhook(params)
        if method == "getWebhookInfo":
            return self.queue.webhook_info()
        return self._api.handlers[method](ApiRequest(params, uploads))

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.world.files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # -- faults --------------------------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        kind: str,
        count: int = 1,
        *,
        chat_id: int | str | FakeChat | FakeUser | None = None,
        retry_after: int = 1,
        delay: float = 30.0,
    ) -> None:
        """Makes the next `count` requests of `method` (optionally only to `chat_id`) fail.

        Args:
            method: The Bot API method, any case (e.g. "sendMessage").
            kind: "server_error" (502 Bad Gateway), "retry_after" (429 with retry_after),
                "timeout" (hold `delay` seconds, then drop the connection; not performed),
                "drop" (close the connection without answering; not performed) or "forbidden"
                (403 "Forbidden: bot was blocked by the user").
            count: How many requests the fault applies to.
            chat_id: Only requests to this chat (id, FakeChat or FakeUser) are affected
                (None: all).
            retry_after: The retry_after of "retry_after" faults.
            delay: How long "timeout" faults hold the request.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if isinstance(chat_id, FakeChat | FakeUser):
            chat_id = chat_id.id
        fault = Fault(kind, count, chat_id, max(1, int(retry_after)), float(delay))
        self._faults.put(self._canonical(method), fault)

    # -- inspection ----------------------------------------------------------------------------

    def sent_count(self, chat: FakeChat | FakeUser | int | None = None) -> int:
        """Successful sendMessage/sendDocument/sendPhoto calls, overall or to one chat."""
        if chat is None:
            return self._api.sent_total
        return self.world.chat_state(chat).sent

    def commands(
        self,
        scope_type: str = "default",
        language_code: str = "",
        chat: FakeChat | int | None = None,
        user: FakeUser | int | None = None,
    ) -> list[JSON]:
        """The commands setMyCommands set for a scope (+chat/+user) and language ([] if none)."""
        chat_id = chat if isinstance(chat, int) or chat is None else chat.id
        user_id = user if isinstance(user, int) or user is None else user.id
        key = (scope_type, chat_id, user_id, language_code)
        return [dict(c) for c in self._api.settings.commands.get(key, [])]

    def menu_button(self, chat: FakeChat | FakeUser | int | None = None) -> JSON | None:
        """The menu button setChatMenuButton set for a chat (None: the default one)."""
        chat_id = chat if isinstance(chat, int) or chat is None else chat.id
        return self._api.settings.menu_buttons.get(chat_id)

    def bot_text(self, key: str, language_code: str = "") -> str | None:
        """What setMyDescription/setMyShortDescription/setMyName set.

        Args:
            key: "description", "short_description" or "name".
            language_code: The language ("" for the default).
        """
        return self._api.settings.bot_texts.get((key, language_code))

"""FakeTelegram: a fake Telegram Bot API HTTP server (aiohttp) with simulated users."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

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
_RECENT_CALLS_SHOWN = 12
log = logging.getLogger(__name__)
_QUEUE_METHODS = frozenset({"getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo"})


@dataclass
class _Fault:
    kind: str
    remaining: int
    chat_id: int | str | None
    retry_after: int
    delay: float


def _bot_id(token: str) -> int:
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else 100_000


class FakeTelegram(UserSimulator):
    """A fake Telegram Bot API server on 127.0.0.1 that a real PTB `Application` talks to.

    Point PTB at it with `base_url=f"{api.url}/bot"` and `base_file_url=f"{api.url}/file/bot"`.
    Simulate people with `add_user`, `add_group`, `user_sends`, `user_taps`, …; observe the
    bot with `next_call`, `calls`, `messages_in`; break things with `inject_fault`,
    `set_latency` and `rate_limits`.
    """

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
        super().__init__(bot)
        self.token = token
        self.rate_limits = rate_limits
        self._api = BotApi(self.world, RateLimiter(rate_limits) if rate_limits else None)
        self._calls: list[Call] = []
        self._calls_by_method: dict[str, list[Call]] = {}
        self._first_unconsumed: dict[str, int] = {}
        self._call_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._call_listeners: list[Callable[[Call], None]] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._latency = 0.0
        self._rate_limited = 0
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Starts serving; port 0 picks a free port.

        Returns:
            The base URL, e.g. "http://127.0.0.1:41234" (also in `url`).
        """
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already started")
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        self.url = f"http://{host}:{self.port}"
        return self.url

    async def stop(self) -> None:
        """Stops promptly: held long polls get [], held faults end, the webhook stops."""
        runner, self._runner = self._runner, None
        self._closing.set()
        await self.queue.close()
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        """Starts on 127.0.0.1 with a free port."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stops the server."""
        await self.stop()

    # -- HTTP ----------------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return web.Response(body=body, status=status, content_type="application/json")

    async def _pause(self, seconds: float) -> None:
        """Sleeps, but wakes at once when the server stops."""
        if seconds > 0 and not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        raw_method = request.match_info["method"]
        method = CANONICAL.get(raw_method.lower(), raw_method)
        params: JSON = {}
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            params, uploads = await read_params(request)
            if method not in self._api.handlers and method not in _QUEUE_METHODS:
                raise ApiError(404, "Not Found: method not found")
            fault = self._take_fault(method, params)
            if fault is not None:
                dropped = await self._apply_fault(fault, method, params)
                if dropped:
                    if request.transport is not None:
                        request.transport.close()
                    return web.Response(status=500)
            if self._latency and (method in SEND_METHODS or method in EDIT_METHODS):
                await self._pause(self._latency)
            result = await self._dispatch(method, params, uploads)
        except ApiError as exc:
            if exc.code == 429:
                self._rate_limited += 1
            envelope = exc.envelope()
            self._record(method, params, None, envelope)
            return self._json(envelope, exc.code)
        except Exception as exc:  # a bug in the fake: answer like a broken server, loudly
            log.exception("fake_telegram failed on %s %s", method, params)
            envelope = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: fake_telegram bug: {exc!r}",
            }
            self._record(method, params, None, envelope)
            return self._json(envelope, 500)
        self._record(method, params, result, None)
        return self._json({"ok": True, "result": result})

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

    # -- faults and latency --------------------------------------------------------------------

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
        canonical = CANONICAL.get(method.lower(), method)
        if isinstance(chat_id, FakeChat | FakeUser):
            chat_id = chat_id.id
        fault = _Fault(kind, count, chat_id, max(1, int(retry_after)), float(delay))
        self._faults.setdefault(canonical, []).append(fault)

    def clear_faults(self) -> None:
        """Removes all injected faults that have not fired yet."""
        self._faults.clear()

    def set_latency(self, seconds: float) -> None:
        """Delays every send/edit answer by `seconds` (0 restores full speed)."""
        self._latency = max(0.0, float(seconds))

    def _take_fault(self, method: str, params: JSON) -> _Fault | None:
        faults = self._faults.get(method)
        if not faults:
            return None
        for fault in faults:
            if fault.chat_id is None or fault.chat_id == params.get("chat_id"):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    faults.remove(fault)
                return fault
        return None

    async def _apply_fault(self, fault: _Fault, method: str, params: JSON) -> bool:
        """Raises the fault's ApiError, or returns True when the connection must be dropped."""
        if fault.kind == "server_error":
            raise ApiError(502, "Bad Gateway")
        if fault.kind == "retry_after":
            raise ApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        if fault.kind == "forbidden":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        description = (
            f"injected timeout: held {fault.delay}s, not performed"
            if fault.kind == "timeout"
            else "injected drop: connection closed without a response, not performed"
        )
        self._record(method, params, None, {"fault": fault.kind, "description": description})
        if fault.kind == "timeout":
            await self._pause(fault.delay)
        return True

    # -- recorded calls ------------------------------------------------------------------------

    def on_call(self, listener: Callable[[Call], None]) -> None:
        """Calls `listener` with every API call once it is answered (e.g. a live page)."""
        self._call_listeners.append(listener)

    def _record(self, method: str, params: JSON, result: Any, error: JSON | None) -> None:
        call = Call(method, params, result, error, time.monotonic())
        self._calls.append(call)
        self._calls_by_method.setdefault(method, []).append(call)
        waiters = self._call_waiters.pop(method, None)
        if waiters:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        for listener in list(self._call_listeners):
            listener(call)

    @property
    def calls(self) -> list[Call]:
        """Every API request received so far, in order (a copy)."""
        return list(self._calls)

    def calls_of(self, method: str) -> list[Call]:
        """The requests of one method (any case), in order (a copy)."""
        return list(self._calls_by_method.get(CANONICAL.get(method.lower(), method), []))

    async def next_call(
        self,
        method: str,
        timeout: float = 5.0,  # noqa: ASYNC109
        where: Callable[[Call], bool] | None = None,
    ) -> Call:
        """Waits for the oldest call of `method` not yet returned by next_call (and matching).

        Calls already received count: each call is handed out at most once, in order.

        Args:
            method: The Bot API method, any case.
            timeout: Seconds to wait.
            where: An optional filter; non-matching calls stay available to later next_calls.

        Raises:
            TimeoutError: When no such call arrives in time (lists the recent calls).
        """
        canonical = CANONICAL.get(method.lower(), method)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        calls = self._calls_by_method.setdefault(canonical, [])
        position = self._first_unconsumed.get(canonical, 0)
        while True:
            while position < len(calls):
                call = calls[position]
                if not call.consumed and (where is None or where(call)):
                    call.consumed = True
                    self._advance_unconsumed(canonical, calls)
                    return call
                position += 1
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(canonical, timeout, where))
            waiter: asyncio.Future[None] = loop.create_future()
            self._call_waiters.setdefault(canonical, []).append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                raise TimeoutError(self._timeout_message(canonical, timeout, where)) from None

    def _advance_unconsumed(self, method: str, calls: list[Call]) -> None:
        index = self._first_unconsumed.get(method, 0)
        while index < len(calls) and calls[index].consumed:
            index += 1
        self._first_unconsumed[method] = index

    def _timeout_message(
        self, method: str, timeout: float, where: Callable[[Call], bool] | None
    ) -> str:
        lines = [
            f"no {'matching ' if where else ''}{method} call within {timeout}s; "
            f"last {_RECENT_CALLS_SHOWN} calls (of {len(self._calls)}):"
        ]
        for call in self._calls[-_RECENT_CALLS_SHOWN:]:
            outcome = "ok" if call.error is None else call.error.get("description")
            used = " (consumed)" if call.consumed else ""
            shown = {k: v for k, v in call.params.items() if k not in ("reply_markup", "text")}
            text = call.params.get("text")
            if isinstance(text, str):
                shown["text"] = text if len(text) <= 60 else text[:57] + "..."
            lines.append(f"  {call.method} {shown} -> {outcome}{used}")
        return "\n".join(lines)

    # -- inspection ----------------------------------------------------------------------------

    @property
    def rate_limited_count(self) -> int:
        """How many 429 answers were given (flood control and injected retry_after faults)."""
        return self._rate_limited

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

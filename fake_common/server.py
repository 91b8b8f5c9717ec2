"""FakeServer: the aiohttp server both fakes share: lifecycle, the API route, faults, latency."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, ClassVar, Generic, Self

from aiohttp import web

from fake_common.calls import CallLog, CallT
from fake_common.faults import FaultBook, FaultT
from fake_common.models import JSON, ApiError

#: What a server's `_accept` returns to answer an accepted request (its `result`).
Answer = Callable[[], Awaitable[Any]]


class FakeServer(CallLog[CallT], Generic[CallT, FaultT], ABC):
    """A fake Bot API server on 127.0.0.1: `<url>/bot<token>/<method>` answers in envelopes.

    Each request is checked (token, parameters, method), may meet an injected fault or the
    set latency, is answered `{"ok": true, "result": ...}` or with an ApiError's envelope, and
    is recorded in the call log either way.
    """

    #: The class name in errors, e.g. "FakeTelegram".
    _LABEL: ClassVar[str]
    #: The package, e.g. "fake_telegram": names the logger and bugs in 500 answers.
    _PACKAGE: ClassVar[str]
    #: The largest request body accepted.
    _MAX_REQUEST_BYTES: ClassVar[int]
    #: The methods whose answers `set_latency` delays.
    _SLOWED_METHODS: ClassVar[frozenset[str]]
    #: The error description recorded for a "timeout" fault ({delay}: its seconds).
    _TIMEOUT_NOTE: ClassVar[str]
    #: The error description recorded for a "drop" fault.
    _DROP_NOTE: ClassVar[str]

    def __init__(self, token: str, call_type: type[CallT], faults: FaultBook[FaultT]) -> None:
        """Creates the server (not started).

        Args:
            token: The only bot token accepted; other tokens get 401 Unauthorized.
            call_type: The class of the recorded calls.
            faults: Where `inject_fault` puts faults.
        """
        super().__init__(call_type)
        self.token = token
        self._faults = faults
        self._latency = 0.0
        self._round_trip = 0.0
        self._rate_limited = 0
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.port = 0

    # -- what each server adds -----------------------------------------------------------------

    @abstractmethod
    def _add_routes(self, app: web.Application) -> None:
        """Adds the routes besides the API's (e.g. files, the /_fake/ control API)."""

    @abstractmethod
    async def _close_queue(self) -> None:
        """Ends held long polls and stops the webhook."""

    @abstractmethod
    async def _accept(self, method: str, request: web.Request) -> tuple[JSON, Answer]:
        """Reads the parameters and checks that the method exists (else raises ApiError).

        Returns:
            The parameters and what answers the request once faults and latency allow it.
        """

    @abstractmethod
    def _fault_error(self, fault: FaultT) -> ApiError | None:
        """The error an injected fault answers with (None: it holds or drops the request)."""

    def _count_refusal(self, error: ApiError) -> None:
        """Counts an error answer in the inspection counters (here: every 429)."""
        if error.code == 429:
            self._rate_limited += 1

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Starts serving; port 0 picks a free port.

        Returns:
            The base URL, e.g. "http://127.0.0.1:41234" (also in `url`); the bot's API base is
            f"{url}/bot{token}/".
        """
        if self._runner is not None:
            raise RuntimeError(f"{self._LABEL} is already started")
        app = web.Application(client_max_size=self._MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self._add_routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self.url = f"http://{host}:{self.port}"
        return self.url

    async def stop(self) -> None:
        """Stops promptly: held long polls end, held faults end, the webhook stops."""
        runner, self._runner = self._runner, None
        self._closing.set()
        await self._close_queue()
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
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
        method = self._canonical(request.match_info["method"])
        params: JSON = {}
        if self._round_trip:
            # The network's share of every call, before the server even reads it.
            await self._pause(self._round_trip)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            params, answer = await self._accept(method, request)
            fault = self._faults.take(method, params)
            if fault is not None and await self._apply_fault(fault, method, params):
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            if self._latency and method in self._SLOWED_METHODS:
                await self._pause(self._latency)
            result = await answer()
        except ApiError as exc:
            self._count_refusal(exc)
            envelope = exc.envelope()
            self._record(method, params, None, envelope)
            return self._json(envelope, exc.code)
        except Exception as exc:  # a bug in the fake: answer like a broken server, loudly
            logging.getLogger(f"{self._PACKAGE}.server").exception(
                "%s failed on %s %s", self._PACKAGE, method, params
            )
            envelope = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {self._PACKAGE} bug: {exc!r}",
            }
            self._record(method, params, None, envelope)
            return self._json(envelope, 500)
        self._record(method, params, result, None)
        return self._json({"ok": True, "result": result})

    # -- faults and latency --------------------------------------------------------------------

    async def _apply_fault(self, fault: FaultT, method: str, params: JSON) -> bool:
        """Raises the fault's ApiError, waits, or returns True when the connection must drop."""
        error = self._fault_error(fault)
        if error is not None:
            raise error
        if fault.kind == "slow":
            await self._pause(fault.delay)
            return False
        if fault.kind == "timeout":
            description = self._TIMEOUT_NOTE.format(delay=fault.delay)
        else:
            description = self._DROP_NOTE
        self._record(method, params, None, {"fault": fault.kind, "description": description})
        if fault.kind == "timeout":
            await self._pause(fault.delay)
        return True

    def clear_faults(self) -> None:
        """Removes all injected faults that have not fired yet."""
        self._faults.clear()

    def set_latency(self, seconds: float) -> None:
        """Delays every answer of a sending method by `seconds` (0 restores full speed)."""
        self._latency = max(0.0, float(seconds))

    def set_round_trip(self, seconds: float) -> None:
        """Delays every API call, of any method (getUpdates included), by `seconds`: a network
        round trip between the bot and the server (0 removes it). Calls overlap: a bot that
        makes several at once waits one round trip, not one per call."""
        self._round_trip = max(0.0, float(seconds))

    @property
    def rate_limited_count(self) -> int:
        """How many 429 "Too Many Requests" answers were given (injected ones included)."""
        return self._rate_limited

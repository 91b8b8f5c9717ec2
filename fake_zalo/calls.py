"""The record of API calls: listeners, inspection and next_call for tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from fake_zalo.models import JSON, Call

_RECENT_CALLS_SHOWN = 12


class CallLog:
    """Every answered API call, in order; next_call hands each one out at most once."""

    def __init__(self) -> None:
        """Creates an empty log."""
        self._calls: list[Call] = []
        self._calls_by_method: dict[str, list[Call]] = {}
        self._first_unconsumed: dict[str, int] = {}
        self._call_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._call_listeners: list[Callable[[Call], None]] = []

    def on_call(self, listener: Callable[[Call], None]) -> None:
        """Calls `listener` with every API call once it is answered (e.g. a live page)."""
        self._call_listeners.append(listener)

    def _record(self, method: str, params: JSON, result: Any, error: JSON | None) -> None:
        call = Call(method, params, result, error, time.monotonic())
        self._calls.append(call)
        self._calls_by_method.setdefault(method, []).append(call)
        for waiter in self._call_waiters.pop(method, []):
            if not waiter.done():
                waiter.set_result(None)
        for listener in list(self._call_listeners):
            listener(call)

    @property
    def calls(self) -> list[Call]:
        """Every API request received so far, in order (a copy)."""
        return list(self._calls)

    def calls_of(self, method: str) -> list[Call]:
        """The requests of one method, in order (a copy)."""
        return list(self._calls_by_method.get(method, []))

    async def next_call(
        self,
        method: str,
        timeout: float = 5.0,  # noqa: ASYNC109
        where: Callable[[Call], bool] | None = None,
    ) -> Call:
        """Waits for the oldest call of `method` not yet returned by next_call (and matching).

        Calls already received count: each call is handed out at most once, in order.

        Args:
            method: The method, e.g. "sendMessage".
            timeout: Seconds to wait.
            where: An optional filter; non-matching calls stay available to later next_calls.

        Raises:
            TimeoutError: When no such call arrives in time (lists the recent calls).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        calls = self._calls_by_method.setdefault(method, [])
        position = self._first_unconsumed.get(method, 0)
        while True:
            while position < len(calls):
                call = calls[position]
                if not call.consumed and (where is None or where(call)):
                    call.consumed = True
                    self._advance_unconsumed(method, calls)
                    return call
                position += 1
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(method, timeout, where))
            waiter: asyncio.Future[None] = loop.create_future()
            self._call_waiters.setdefault(method, []).append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                raise TimeoutError(self._timeout_message(method, timeout, where)) from None

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
            shown = {k: v for k, v in call.params.items() if k != "text"}
            text = call.params.get("text")
            if isinstance(text, str):
                shown["text"] = text if len(text) <= 60 else text[:57] + "..."
            lines.append(f"  {call.method} {shown} -> {outcome}{used}")
        return "\n".join(lines)

"""The record of API calls: listeners, inspection and next_call for tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from fake_common.models import JSON, BaseCall

CallT = TypeVar("CallT", bound=BaseCall)

_RECENT_CALLS_SHOWN = 12


class CallLog(Generic[CallT]):
    """Every answered API call, in order; next_call hands each one out at most once."""

    #: Parameters left out of the recent calls a next_call timeout lists (besides "text",
    #: which is shown last and shortened).
    _UNSHOWN_PARAMS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, call_type: type[CallT]) -> None:
        """Creates an empty log of `call_type` calls."""
        self._call_type = call_type
        self._calls: list[CallT] = []
        self._calls_by_method: dict[str, list[CallT]] = {}
        self._first_unconsumed: dict[str, int] = {}
        self._call_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._call_listeners: list[Callable[[CallT], None]] = []

    def _canonical(self, method: str) -> str:
        """The name a method is recorded under (as requested; a server may fold the case)."""
        return method

    def on_call(self, listener: Callable[[CallT], None]) -> None:
        """Calls `listener` with every API call once it is answered (e.g. a live page)."""
        self._call_listeners.append(listener)

    def _record(self, method: str, params: JSON, result: Any, error: JSON | None) -> None:
        call = self._call_type(method, params, result, error, time.monotonic())
        self._calls.append(call)
        self._calls_by_method.setdefault(method, []).append(call)
        for waiter in self._call_waiters.pop(method, []):
            if not waiter.done():
                waiter.set_result(None)
        for listener in list(self._call_listeners):
            listener(call)

    @property
    def calls(self) -> list[CallT]:
        """Every API request received so far, in order (a copy)."""
        return list(self._calls)

    def calls_of(self, method: str) -> list[CallT]:
        """The requests of one method (named as the server matches names), in order (a copy)."""
        return list(self._calls_by_method.get(self._canonical(method), []))

    async def next_call(
        self,
        method: str,
        timeout: float = 5.0,  # noqa: ASYNC109
        where: Callable[[CallT], bool] | None = None,
    ) -> CallT:
        """Waits for the oldest call of `method` not yet returned by next_call (and matching).

        Calls already received count: each call is handed out at most once, in order.

        Args:
            method: The method, e.g. "sendMessage" (named as the server matches names).
            timeout: Seconds to wait.
            where: An optional filter; non-matching calls stay available to later next_calls.

        Raises:
            TimeoutError: When no such call arrives in time (lists the recent calls).
        """
        method = self._canonical(method)
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

    def _advance_unconsumed(self, method: str, calls: list[CallT]) -> None:
        index = self._first_unconsumed.get(method, 0)
        while index < len(calls) and calls[index].consumed:
            index += 1
        self._first_unconsumed[method] = index

    def _timeout_message(
        self, method: str, timeout: float, where: Callable[[CallT], bool] | None
    ) -> str:
        lines = [
            f"no {'matching ' if where else ''}{method} call within {timeout}s; "
            f"last {_RECENT_CALLS_SHOWN} calls (of {len(self._calls)}):"
        ]
        for call in self._calls[-_RECENT_CALLS_SHOWN:]:
            outcome = "ok" if call.error is None else call.error.get("description")
            used = " (consumed)" if call.consumed else ""
            hidden = (*self._UNSHOWN_PARAMS, "text")
            shown = {k: v for k, v in call.params.items() if k not in hidden}
            text = call.params.get("text")
            if isinstance(text, str):
                shown["text"] = text if len(text) <= 60 else text[:57] + "..."
            lines.append(f"  {call.method} {shown} -> {outcome}{used}")
        return "\n".join(lines)

"""A small client of the Zalo Bot API over plain HTTP (aiohttp): one method, one call."""

from __future__ import annotations

from typing import Any

import aiohttp

IDLE_POLL = 408  # getUpdates answers 408 when no event arrived within its timeout


class ZaloError(Exception):
    """The Bot API refused a call; `code` is its error_code (or the HTTP status)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


class ZaloNetworkError(Exception):
    """The call did not get an answer (timeout, dropped connection, bad gateway body)."""


class ZaloClient:
    """Calls `POST <base>/bot<token>/<method>` with a JSON body and unwraps the envelope."""

    def __init__(self, *, base_url: str, token: str, timeout: float) -> None:
        self._base = f"{base_url.rstrip('/')}/bot{token}"
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Closes the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, *, wait: float | None = None, **params: Any) -> Any:
        """Returns the call's `result`, or raises ZaloError / ZaloNetworkError."""
        timeout = aiohttp.ClientTimeout(total=(wait or 0) + self._timeout)
        try:
            async with self._http().post(
                f"{self._base}/{method}", json=params, timeout=timeout
            ) as response:
                try:
                    body = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError) as exc:
                    if response.status >= 500:
                        raise ZaloNetworkError(f"HTTP {response.status}") from exc
                    raise ZaloError(response.status, "unreadable answer") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ZaloNetworkError(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(body, dict):
            raise ZaloError(response.status, "unexpected answer")
        if body.get("ok"):
            return body.get("result")
        code = int(body.get("error_code") or response.status)
        if code >= 500:
            raise ZaloNetworkError(f"{code}: {body.get('description', '')}")
        raise ZaloError(code, str(body.get("description", "")))

    async def get_update(self, poll_seconds: int) -> dict[str, Any] | None:
        """Returns the next event, or None when the long poll ended idle (HTTP 408)."""
        try:
            result = await self.call("getUpdates", wait=poll_seconds, timeout=poll_seconds)
        except ZaloError as exc:
            if exc.code == IDLE_POLL:
                return None
            raise
        return result if isinstance(result, dict) else None

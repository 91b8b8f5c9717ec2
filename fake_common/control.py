"""Pieces of the fakes' JSON control APIs (under /_fake/): answers, guarded routes, calls."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from fake_common.calls import CallLog

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer (non-ASCII text as is)."""
    body = json.dumps(data, ensure_ascii=False).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def guard(handler: Route) -> Route:
    """Answers a route's KeyError, LookupError, ValueError or TypeError with 400 and its text."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (KeyError, LookupError, ValueError, TypeError) as exc:
            return json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 400)

    return wrapped


def add_calls_route(app: web.Application, log: CallLog[Any]) -> None:
    """Adds GET /_fake/calls?since=N: the recorded calls from index N."""

    async def calls(request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", "0"))
        return json_response(
            [
                {"method": c.method, "params": c.params, "result": c.result, "error": c.error}
                for c in log.calls[since:]
            ]
        )

    app.router.add_get("/_fake/calls", guard(calls))

"""A small JSON control API (under /_fake/) to drive a standalone fake Zalo server over HTTP."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from fake_zalo.server import FakeZalo

_Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    body = json.dumps(data, ensure_ascii=False).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def add_control_routes(app: web.Application, api: FakeZalo) -> None:
    """Adds the /_fake/ routes.

    POST /_fake/users {display_name, user_id?} -> {id, display_name, is_bot};
    POST /_fake/send {user_id, text} -> the queued event;
    POST /_fake/block {user_id, blocked} -> {blocked};
    GET /_fake/messages?chat_id=ID -> the bot's sent messages there;
    GET /_fake/calls?since=N -> recorded calls from index N.
    """

    async def body(request: web.Request) -> dict[str, Any]:
        data = await request.json() if request.can_read_body else {}
        if not isinstance(data, dict):
            raise TypeError("a JSON object is expected")
        return data

    def guard(handler: _Route) -> _Route:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except (KeyError, LookupError, ValueError, TypeError) as exc:
                return _json({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 400)

        return wrapped

    async def users(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user_id = data.get("user_id")
        user = api.add_user(str(data["display_name"]), None if user_id is None else str(user_id))
        return _json(user.to_dict())

    async def send(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = api.world.user_state(str(data["user_id"])).user
        return _json(await api.user_sends(user, str(data["text"])))

    async def block(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = api.world.user_state(str(data["user_id"])).user
        if data.get("blocked", True):
            api.user_blocks(user)
        else:
            api.user_unblocks(user)
        return _json({"blocked": api.is_blocked(user)})

    async def messages(request: web.Request) -> web.StreamResponse:
        return _json(api.sent_messages(request.query["chat_id"]))

    async def calls(request: web.Request) -> web.StreamResponse:
        since = int(request.query.get("since", "0"))
        return _json(
            [
                {"method": c.method, "params": c.params, "result": c.result, "error": c.error}
                for c in api.calls[since:]
            ]
        )

    app.router.add_post("/_fake/users", guard(users))
    app.router.add_post("/_fake/send", guard(send))
    app.router.add_post("/_fake/block", guard(block))
    app.router.add_get("/_fake/messages", guard(messages))
    app.router.add_get("/_fake/calls", guard(calls))

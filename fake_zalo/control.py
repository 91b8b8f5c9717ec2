"""A small JSON control API (under /_fake/) to drive a standalone fake Zalo server over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_common.control import add_calls_route, guard, json_response

if TYPE_CHECKING:
    from fake_zalo.server import FakeZalo


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

    async def users(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user_id = data.get("user_id")
        user = api.add_user(str(data["display_name"]), None if user_id is None else str(user_id))
        return json_response(user.to_dict())

    async def send(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = api.world.user_state(str(data["user_id"])).user
        return json_response(await api.user_sends(user, str(data["text"])))

    async def block(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = api.world.user_state(str(data["user_id"])).user
        if data.get("blocked", True):
            api.user_blocks(user)
        else:
            api.user_unblocks(user)
        return json_response({"blocked": api.is_blocked(user)})

    async def messages(request: web.Request) -> web.StreamResponse:
        return json_response(api.sent_messages(request.query["chat_id"]))

    app.router.add_post("/_fake/users", guard(users))
    app.router.add_post("/_fake/send", guard(send))
    app.router.add_post("/_fake/block", guard(block))
    app.router.add_get("/_fake/messages", guard(messages))
    add_calls_route(app, api)

"""A small JSON control API (under /_fake/) to drive a standalone fake server over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_common.control import add_calls_route, guard, json_response

if TYPE_CHECKING:
    from fake_telegram.server import FakeTelegram


def add_control_routes(app: web.Application, api: FakeTelegram) -> None:
    """Adds the /_fake/ routes.

    POST /_fake/users {first_name, last_name?, username?, language_code?} -> User;
    POST /_fake/groups {title, member_ids?, admin_ids?, supergroup?} -> Chat;
    POST /_fake/send {user_id, text, chat_id?} -> Message;
    POST /_fake/tap {user_id, chat_id, message_id, button? | data?} -> {callback_query_id};
    GET /_fake/messages?chat_id=N -> the bot's messages there;
    GET /_fake/calls?since=N -> recorded calls from index N.
    """

    async def body(request: web.Request) -> dict[str, Any]:
        data = await request.json() if request.can_read_body else {}
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="JSON object expected")
        return data

    async def users(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = api.add_user(
            data["first_name"],
            data.get("last_name"),
            data.get("username"),
            data.get("language_code"),
        )
        return json_response(user.to_dict())

    async def groups(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        users_by_id = {u: api.world.user_state(u).user for u in data.get("member_ids", [])}
        admins = [api.world.user_state(u).user for u in data.get("admin_ids", [])]
        chat = api.add_group(
            data["title"],
            list(users_by_id.values()),
            admins,
            supergroup=bool(data.get("supergroup")),
            bot_is_admin=bool(data.get("bot_is_admin")),
        )
        return json_response(chat.to_dict())

    async def send(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = api.world.user_state(int(data["user_id"])).user
        chat_id = data.get("chat_id")
        message = await api.user_sends(user, data["text"], int(chat_id) if chat_id else None)
        return json_response(message)

    async def tap(request: web.Request) -> web.StreamResponse:
        data = await body(request)
        user = api.world.user_state(int(data["user_id"])).user
        message = api.world.chat_state(int(data["chat_id"])).messages[int(data["message_id"])]
        if data.get("data") is not None:
            callback_id = await api.user_taps(user, message, data=str(data["data"]))
        else:
            callback_id = await api.user_taps(user, message, str(data["button"]))
        return json_response({"callback_query_id": callback_id})

    async def messages(request: web.Request) -> web.StreamResponse:
        return json_response(api.messages_in(int(request.query["chat_id"])))

    app.router.add_post("/_fake/users", guard(users))
    app.router.add_post("/_fake/groups", guard(groups))
    app.router.add_post("/_fake/send", guard(send))
    app.router.add_post("/_fake/tap", guard(tap))
    app.router.add_get("/_fake/messages", guard(messages))
    add_calls_route(app, api)

"""The sandbox page's web server: static files, a small JSON API and live events (SSE).

People and chats are Telegram's numeric ids, or "zalo:<id>" for the Zalo side (sandbox.zalo).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from sandbox import views, zalo
from sandbox.plumbing import (
    MAX_UPLOAD,
    EventHub,
    Problem,
    as_int,
    guard,
    json_body,
    json_response,
    read_limited,
)
from sandbox.seed import SECRETARY, TIMEZONE

if TYPE_CHECKING:
    from fake_telegram.models import JSON
    from sandbox.runtime import Sandbox

STATIC = Path(__file__).parent / "static"
MAX_TEXT = views.MAX_TEXT
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
NOTICE = (
    "Tin nhắn chỉ được giữ trong lần chạy này; dữ liệu của bot (chi bộ, đảng viên, đồng hồ) "
    "được giữ trong thư mục dữ liệu giữa các lần chạy. Lê Thị Mai dùng Zalo: ở Zalo không có "
    "nút bấm, bot đánh số các lựa chọn và người dùng gõ số."
)
#: Who acts, as the page names them: a Telegram user id, or "zalo:<id>".
PersonId = int | str


class Routes:
    """The page's API, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        """Binds the routes to the sandbox."""
        self.sandbox = sandbox
        self.api = sandbox.api
        self.world = sandbox.api.world
        self.zalo = sandbox.zalo

    # -- reading -------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:  # noqa: ARG002
        """GET /: the page."""
        return web.FileResponse(STATIC / "index.html")

    async def no_icon(self, request: web.Request) -> web.StreamResponse:  # noqa: ARG002
        """GET /favicon.ico: none (the page's header carries the brand)."""
        return web.Response(status=204)

    def clock_view(self) -> JSON:
        """The bot's clock and the next scheduled item, for the page's header."""
        sandbox = self.sandbox
        item = sandbox.next_item()
        return {
            "now": sandbox.clock.now().timestamp(),
            "offset_seconds": sandbox.clock.offset.total_seconds(),
            "timezone": TIMEZONE,
            "next": {"at": item.at.timestamp(), "label": item.label} if item else None,
        }

    async def state(self, request: web.Request) -> web.StreamResponse:  # noqa: ARG002
        """GET /api/state: the bot, the people one can act as, the clock."""
        db = self.sandbox.db
        assert db is not None
        with db.session() as session:
            people = views.people_list(self.world, self.zalo, session)
        bot = self.world.bot
        return json_response(
            {
                "bot": {"id": bot.id, "name": bot.first_name, "username": bot.username},
                "people": people,
                "default_person": SECRETARY.user_id,
                "clock": self.clock_view(),
                "max_text": MAX_TEXT,
                "notice": NOTICE,
            }
        )

    def _user(self, value: Any) -> PersonId:
        """Who acts: a Telegram user id, or the Zalo id (a str) of a page id "zalo:<id>"."""
        zalo_id = zalo.zalo_id(value)
        if zalo_id is not None:
            if zalo_id not in self.zalo.world.users:
                raise Problem(404, "Không có người dùng Zalo này trong sandbox.")
            return zalo_id
        user_id = as_int(value, "người dùng")
        if user_id not in self.world.users:
            raise Problem(404, "Không có người dùng này trong sandbox.")
        return user_id

    def _chat(self, user_id: int, value: Any) -> int:
        """A Telegram chat the Telegram user is in (never a Zalo chat)."""
        if zalo.zalo_id(value) is not None:
            raise Problem(403, "Người này không dùng Zalo: đó không phải cuộc trò chuyện của họ.")
        chat_id = as_int(value, "cuộc trò chuyện")
        if not views.can_see(self.world, user_id, chat_id):
            raise Problem(403, "Người này không ở trong cuộc trò chuyện đó.")
        return chat_id

    @staticmethod
    def _zalo_chat(zalo_id: str, value: Any) -> None:
        """Checks that a Zalo user acts in their own chat with the bot (the only one they have)."""
        if zalo.zalo_id(value) != zalo_id:
            raise Problem(403, "Người này không ở trong cuộc trò chuyện đó.")

    async def chats(self, request: web.Request) -> web.StreamResponse:
        """GET /api/chats?user=N: the chats that person sees."""
        user_id = self._user(request.query.get("user"))
        if isinstance(user_id, str):
            return json_response(views.zalo_chats(self.zalo, user_id))
        return json_response(views.chats_of(self.world, user_id))

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """GET /api/messages?user=N&chat=M: the messages of one chat."""
        user_id = self._user(request.query.get("user"))
        if isinstance(user_id, str):
            self._zalo_chat(user_id, request.query.get("chat"))
            return json_response(views.zalo_messages(self.zalo, user_id))
        chat_id = self._chat(user_id, request.query.get("chat"))
        state = self.world.chat_state(chat_id)
        return json_response(views.messages_of(self.world, state))

    async def commands(self, request: web.Request) -> web.StreamResponse:
        """GET /api/commands?user=N&chat=M: the bot's command menu there (from setMyCommands)."""
        user_id = self._user(request.query.get("user"))
        if isinstance(user_id, str):
            self._zalo_chat(user_id, request.query.get("chat"))
            return json_response([])  # Zalo has no command menu: people type /trogiup
        chat_id = self._chat(user_id, request.query.get("chat"))
        # Telegram's order: the chat's own menu (a person's, set by their role and language),
        # then the menu of every chat of its kind, then the default one.
        scopes: list[tuple[str, int | None, int | None]]
        if chat_id == user_id:
            scopes = [("chat", chat_id, None), ("all_private_chats", None, None)]
        elif views.is_admin(self.world, user_id, chat_id):
            scopes = [
                ("chat_member", chat_id, user_id),
                ("chat_administrators", chat_id, None),
                ("chat", chat_id, None),
                ("all_chat_administrators", None, None),
                ("all_group_chats", None, None),
            ]
        else:
            scopes = [
                ("chat_member", chat_id, user_id),
                ("chat", chat_id, None),
                ("all_group_chats", None, None),
            ]
        scopes.append(("default", None, None))
        language = self.world.users[user_id].user.language_code or ""
        for scope, chat, user in scopes:
            for lang in dict.fromkeys((language, "")):
                found = self.api.commands(scope, lang, chat=chat, user=user)
                if found:
                    return json_response(found)
        return json_response([])

    async def file(self, request: web.Request) -> web.StreamResponse:
        """GET /api/files/{id}: a file's bytes; safe images inline with ?inline=1."""
        stored = self.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise Problem(404, "Không tìm thấy tệp.")
        mime = stored.mime_type or ""
        name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        if request.query.get("inline") == "1" and mime in views.INLINE_IMAGES:
            return web.Response(body=stored.data, content_type=mime)
        fallback = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
        disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
        return web.Response(
            body=stored.data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": disposition},
        )

    # -- acting --------------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.StreamResponse:
        """POST /api/send {user, chat, text}: the person sends a text message."""
        data = await json_body(request)
        user_id = self._user(data.get("user"))
        if isinstance(user_id, str):
            return await self._send_on_zalo(user_id, data)
        chat_id = self._chat(user_id, data.get("chat"))
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Problem(400, "Tin nhắn trống.")
        if len(text) > MAX_TEXT:
            raise Problem(
                400, f"Tin nhắn dài {len(text)} ký tự; Telegram cho tối đa {MAX_TEXT} ký tự."
            )
        user = self.world.users[user_id].user
        message = await self.api.user_sends(user, text, chat=chat_id)
        return json_response({"id": message["message_id"]})

    async def _send_on_zalo(self, zalo_id: str, data: JSON) -> web.StreamResponse:
        """A Zalo user types in their chat with the bot (a number picks a listed choice)."""
        self._zalo_chat(zalo_id, data.get("chat"))
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Problem(400, "Tin nhắn trống.")
        if len(text) > zalo.MAX_TEXT:
            raise Problem(
                400, f"Tin nhắn dài {len(text)} ký tự; Zalo cho tối đa {zalo.MAX_TEXT} ký tự."
            )
        await self.zalo.user_sends(self.zalo.world.user_state(zalo_id).user, text)
        # The page's id of the message: its place in the chat (it was added as it was sent).
        return json_response({"id": len(self.zalo.timeline(zalo_id))})

    async def tap(self, request: web.Request) -> web.StreamResponse:
        """POST /api/tap {user, chat, message, data}: the person taps an inline button."""
        data = await json_body(request)
        user_id = self._user(data.get("user"))
        if isinstance(user_id, str):
            raise Problem(400, "Zalo không có nút bấm: hãy gõ số của lựa chọn.")
        chat_id = self._chat(user_id, data.get("chat"))
        message_id = as_int(data.get("message"), "tin nhắn")
        button = data.get("data")
        stored = self.world.chat_state(chat_id).messages.get(message_id)
        if stored is None or not isinstance(button, str):
            raise Problem(404, "Tin nhắn này không còn nữa.")
        user = self.world.users[user_id].user
        try:
            query_id = await self.api.user_taps(user, stored, button)
        except LookupError:
            raise Problem(409, "Nút này không còn nữa; tin nhắn đã thay đổi.") from None
        return json_response({"callback_query_id": query_id})

    async def upload(self, request: web.Request) -> web.StreamResponse:
        """POST /api/upload (multipart: user, chat, caption?, file): the person sends a file."""
        fields: dict[str, str] = {}
        name, mime, data = "", "", b""
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "file":
                name = Path(part.filename or "tep").name[:200] or "tep"
                mime = part.headers.get("Content-Type", "")
                data = await read_limited(part)
            else:
                fields[part.name] = (await part.text())[:MAX_TEXT]
        user_id = self._user(fields.get("user"))
        if isinstance(user_id, str):
            raise Problem(400, "Trên Zalo, sandbox chỉ gửi tin nhắn chữ.")
        chat_id = self._chat(user_id, fields.get("chat"))
        if not data:
            raise Problem(400, "Tệp rỗng hoặc chưa chọn tệp.")
        user = self.world.users[user_id].user
        message = await self.api.user_sends_document(
            user,
            name,
            data,
            None if mime in ("", "application/octet-stream") else mime,
            chat=chat_id,
            caption=fields.get("caption") or None,
        )
        return json_response({"id": message["message_id"]})

    async def clock(self, request: web.Request) -> web.StreamResponse:
        """POST /api/clock {action: hour | day | next}: moves the bot's clock and runs the tick."""
        action = (await json_body(request)).get("action")
        if action == "next":
            if not await self.sandbox.advance_to_next():
                raise Problem(409, "Chưa có mục nào được lên lịch.")
        elif isinstance(action, str) and action in STEPS:
            await self.sandbox.advance(STEPS[action])
        else:
            raise Problem(400, "Thao tác đồng hồ không hợp lệ.")
        return json_response(self.clock_view())


def build_web_app(sandbox: Sandbox) -> web.Application:
    """Builds the page's aiohttp application for a sandbox."""
    app = web.Application(
        client_max_size=MAX_UPLOAD + 64 * 1024, middlewares=[guard(sandbox.ready)]
    )
    hub = EventHub()
    sandbox.listeners.append(hub.publish)
    routes = Routes(sandbox)
    app.router.add_get("/", routes.index)
    app.router.add_get("/favicon.ico", routes.no_icon)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/api/state", routes.state)
    app.router.add_get("/api/chats", routes.chats)
    app.router.add_get("/api/messages", routes.messages)
    app.router.add_get("/api/commands", routes.commands)
    app.router.add_get("/api/files/{file_id}", routes.file)
    app.router.add_get("/api/events", hub.stream)
    app.router.add_post("/api/send", routes.send)
    app.router.add_post("/api/tap", routes.tap)
    app.router.add_post("/api/upload", routes.upload)
    app.router.add_post("/api/clock", routes.clock)
    return app

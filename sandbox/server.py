"""The sandbox page's web server: static files, a small JSON API and live events (SSE)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from fake_telegram.models import JSON
from sandbox import views
from sandbox.seed import SECRETARY, TIMEZONE

if TYPE_CHECKING:
    from sandbox.runtime import Sandbox

STATIC = Path(__file__).parent / "static"
MAX_TEXT = 4096
MAX_UPLOAD = 20 * 1024 * 1024
KEEPALIVE_SECONDS = 15.0
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
NOTICE = (
    "Tin nhắn chỉ được giữ trong lần chạy này; dữ liệu của bot (chi bộ, đảng viên, đồng hồ) "
    "được giữ trong thư mục dữ liệu giữa các lần chạy."
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Problem(Exception):
    """A request the page should not have made; answered with a JSON error in Vietnamese."""

    def __init__(self, status: int, message: str) -> None:
        """Keeps the HTTP status and the message."""
        super().__init__(message)
        self.status = status
        self.message = message


def _json(data: Any, status: int = 200) -> web.Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def _guard(ready: asyncio.Event) -> Any:
    """A middleware: waits until the sandbox is ready, maps Problems to JSON, adds headers."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            _same_origin(request)
            if request.path.startswith("/api/"):
                await ready.wait()
            response = await handler(request)
        except Problem as exc:
            response = _json({"error": exc.message}, exc.status)
        if not response.prepared:
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
        return response

    return guard


def _same_origin(request: web.Request) -> None:
    """Refuses other web sites: a page elsewhere must not act in the sandbox (CSRF, rebinding)."""
    hostname = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    if hostname not in LOCAL_HOSTS:
        raise Problem(403, "Sandbox chỉ mở được từ máy này (127.0.0.1).")
    origin = request.headers.get("Origin")
    if request.method != "GET" and origin is not None and origin != f"http://{request.host}":
        raise Problem(403, "Yêu cầu từ trang web khác bị từ chối.")


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Problem(400, f"Thiếu hoặc sai {what}.") from None


async def _body(request: web.Request) -> JSON:
    try:
        data = await request.json()
    except ValueError:
        raise Problem(400, "Yêu cầu không phải JSON hợp lệ.") from None
    if not isinstance(data, dict):
        raise Problem(400, "Yêu cầu không phải JSON hợp lệ.")
    return data


async def _read_limited(part: BodyPartReader) -> bytes:
    chunks = bytearray()
    while chunk := await part.read_chunk():
        chunks += chunk
        if len(chunks) > MAX_UPLOAD:
            raise Problem(413, "Tệp lớn quá 20 MB.")
    return bytes(chunks)


class EventHub:
    """Fans out sandbox events to every open page (Server-Sent Events)."""

    def __init__(self) -> None:
        """Starts with no subscribers."""
        self._queues: set[asyncio.Queue[JSON]] = set()

    def publish(self, event: JSON) -> None:
        """Queues an event for every page; a page that stopped reading misses it."""
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """GET /api/events: one `data:` line of JSON per event until the page goes away."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "Content-Security-Policy": CSP,
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[JSON] = asyncio.Queue(maxsize=1000)
        self._queues.add(queue)
        try:
            await response.write(b"retry: 1000\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                if event.get("type") == "closing":
                    break
                line = json.dumps(event, ensure_ascii=False)
                await response.write(f"data: {line}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._queues.discard(queue)
        return response


class Routes:
    """The page's API, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        """Binds the routes to the sandbox."""
        self.sandbox = sandbox
        self.api = sandbox.api
        self.world = sandbox.api.world

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
            people = views.people_list(self.world, session)
        bot = self.world.bot
        return _json(
            {
                "bot": {"id": bot.id, "name": bot.first_name, "username": bot.username},
                "people": people,
                "default_person": SECRETARY.user_id,
                "clock": self.clock_view(),
                "max_text": MAX_TEXT,
                "notice": NOTICE,
            }
        )

    def _user(self, value: Any) -> int:
        user_id = _int(value, "người dùng")
        if user_id not in self.world.users:
            raise Problem(404, "Không có người dùng này trong sandbox.")
        return user_id

    def _chat(self, user_id: int, value: Any) -> int:
        chat_id = _int(value, "cuộc trò chuyện")
        if not views.can_see(self.world, user_id, chat_id):
            raise Problem(403, "Người này không ở trong cuộc trò chuyện đó.")
        return chat_id

    async def chats(self, request: web.Request) -> web.StreamResponse:
        """GET /api/chats?user=N: the chats that person sees."""
        user_id = self._user(request.query.get("user"))
        return _json(views.chats_of(self.world, user_id))

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """GET /api/messages?user=N&chat=M: the messages of one chat."""
        user_id = self._user(request.query.get("user"))
        chat_id = self._chat(user_id, request.query.get("chat"))
        state = self.world.chat_state(chat_id)
        return _json(views.messages_of(self.world, state))

    async def commands(self, request: web.Request) -> web.StreamResponse:
        """GET /api/commands?user=N&chat=M: the bot's command menu there (from setMyCommands)."""
        user_id = self._user(request.query.get("user"))
        chat_id = self._chat(user_id, request.query.get("chat"))
        if chat_id == user_id:
            scopes = ["all_private_chats", "default"]
        elif views.is_admin(self.world, user_id, chat_id):
            scopes = ["all_chat_administrators", "all_group_chats", "default"]
        else:
            scopes = ["all_group_chats", "default"]
        language = self.world.users[user_id].user.language_code or ""
        for scope in scopes:
            for lang in dict.fromkeys((language, "")):
                found = self.api.commands(scope, lang)
                if found:
                    return _json(found)
        return _json([])

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
        data = await _body(request)
        user_id = self._user(data.get("user"))
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
        return _json({"id": message["message_id"]})

    async def tap(self, request: web.Request) -> web.StreamResponse:
        """POST /api/tap {user, chat, message, data}: the person taps an inline button."""
        data = await _body(request)
        user_id = self._user(data.get("user"))
        chat_id = self._chat(user_id, data.get("chat"))
        message_id = _int(data.get("message"), "tin nhắn")
        button = data.get("data")
        stored = self.world.chat_state(chat_id).messages.get(message_id)
        if stored is None or not isinstance(button, str):
            raise Problem(404, "Tin nhắn này không còn nữa.")
        user = self.world.users[user_id].user
        try:
            query_id = await self.api.user_taps(user, stored, button)
        except LookupError:
            raise Problem(409, "Nút này không còn nữa; tin nhắn đã thay đổi.") from None
        return _json({"callback_query_id": query_id})

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
                data = await _read_limited(part)
            else:
                fields[part.name] = (await part.text())[:MAX_TEXT]
        user_id = self._user(fields.get("user"))
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
        return _json({"id": message["message_id"]})

    async def clock(self, request: web.Request) -> web.StreamResponse:
        """POST /api/clock {action: hour | day | next}: moves the bot's clock and runs the tick."""
        action = (await _body(request)).get("action")
        if action == "next":
            if not await self.sandbox.advance_to_next():
                raise Problem(409, "Chưa có mục nào được lên lịch.")
        elif isinstance(action, str) and action in STEPS:
            await self.sandbox.advance(STEPS[action])
        else:
            raise Problem(400, "Thao tác đồng hồ không hợp lệ.")
        return _json(self.clock_view())


def build_web_app(sandbox: Sandbox) -> web.Application:
    """Builds the page's aiohttp application for a sandbox."""
    app = web.Application(
        client_max_size=MAX_UPLOAD + 64 * 1024, middlewares=[_guard(sandbox.ready)]
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

"""The page server's plumbing: JSON answers and errors, the guard middleware, live events (SSE)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from fake_telegram.models import JSON

MAX_UPLOAD = 20 * 1024 * 1024
KEEPALIVE_SECONDS = 15.0
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Problem(Exception):
    """A request the page should not have made; answered with a JSON error in Vietnamese."""

    def __init__(self, status: int, message: str) -> None:
        """Keeps the HTTP status and the message."""
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(data: Any, status: int = 200) -> web.Response:
    """Answers with compact UTF-8 JSON."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def guard(ready: asyncio.Event) -> Any:
    """A middleware: waits until the sandbox is ready, maps Problems to JSON, adds headers."""

    @web.middleware
    async def guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            same_origin(request)
            if request.path.startswith("/api/"):
                await ready.wait()
            response = await handler(request)
        except Problem as exc:
            response = json_response({"error": exc.message}, exc.status)
        if not response.prepared:
            response.headers["Content-Security-Policy"] = CSP
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
        return response

    return guarded


def same_origin(request: web.Request) -> None:
    """Refuses other web sites: a page elsewhere must not act in the sandbox (CSRF, rebinding)."""
    hostname = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    if hostname not in LOCAL_HOSTS:
        raise Problem(403, "Sandbox chỉ mở được từ máy này (127.0.0.1).")
    origin = request.headers.get("Origin")
    if request.method != "GET" and origin is not None and origin != f"http://{request.host}":
        raise Problem(403, "Yêu cầu từ trang web khác bị từ chối.")


def as_int(value: Any, what: str) -> int:
    """Reads an integer parameter, or answers 400 naming `what`."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Problem(400, f"Thiếu hoặc sai {what}.") from None


async def json_body(request: web.Request) -> JSON:
    """Reads the request's JSON object, or answers 400."""
    try:
        data = await request.json()
    except ValueError:
        raise Problem(400, "Yêu cầu không phải JSON hợp lệ.") from None
    if not isinstance(data, dict):
        raise Problem(400, "Yêu cầu không phải JSON hợp lệ.")
    return data


async def read_limited(part: BodyPartReader) -> bytes:
    """Reads an uploaded file, refusing more than MAX_UPLOAD bytes."""
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

"""The Zalo adapter: events by long polling or webhook in, the core's actions, API calls out."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import OrderedDict
from typing import Any

from aiohttp import web

from bot.actions.core import Core
from bot.actions.registry import ActionRegistry
from bot.actions.turns import Offload, handle, report_failure
from bot.config import Settings
from handlers.zalo.client import ZaloClient, ZaloError, ZaloNetworkError
from handlers.zalo.sender import ZaloSender
from handlers.zalo.updates import event_of, incoming_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
RECENT_EVENTS = 2048  # ids kept in memory; the database dedupes the rest
MAX_BACKOFF = 60.0


class ZaloAdapter:
    """Receives Zalo events and hands them to the core; one event per getUpdates call."""

    def __init__(
        self,
        *,
        core: Core,
        actions: ActionRegistry,
        settings: Settings,
        offload: Offload = asyncio.to_thread,
    ) -> None:
        assert settings.zalo_bot_token
        self.core = core
        self.actions = actions
        self.settings = settings
        # Every turn's transaction runs in a worker thread, never on the event loop.
        self.offload = offload
        self.client = ZaloClient(
            base_url=settings.zalo_api_url,
            token=settings.zalo_bot_token,
            timeout=settings.http_timeout,
        )
        self.sender = ZaloSender(self.client)
        self.bot_name = ""
        self._poller: asyncio.Task[None] | None = None
        self._site: web.AppRunner | None = None
        self._recent: OrderedDict[str, None] = OrderedDict()

    async def initialize(self) -> str:
        """Checks the token with getMe; returns the bot's name."""
        me = await self.client.call("getMe")
        self.bot_name = str((me or {}).get("account_name") or (me or {}).get("display_name") or "")
        return self.bot_name

    async def start_receiving(self, *, poll_timeout: int = 30) -> None:
        """Registers the webhook if one is configured, else starts long polling."""
        settings = self.settings
        if settings.zalo_webhook_url:
            secret = settings.zalo_webhook_secret or ""
            if not 8 <= len(secret) <= 256:
                raise ValueError("CHIBOT_ZALO_WEBHOOK_SECRET must be 8–256 characters")
            app = web.Application()
            path = (
                "/" + settings.zalo_webhook_url.split("/", 3)[3]
                if settings.zalo_webhook_url.count("/") >= 3
                else "/"
            )
            app.router.add_post(path, self._webhook)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            host, _, port = settings.zalo_listen.rpartition(":")
            await web.TCPSite(runner, host or "127.0.0.1", int(port)).start()
            self._site = runner
            await self.client.call(
                "setWebhook", url=settings.zalo_webhook_url, secret_token=secret
            )
            return
        with contextlib.suppress(ZaloError):
            await self.client.call("deleteWebhook")
        self._poller = asyncio.create_task(self._poll(poll_timeout), name="zalo-poller")

    async def stop(self) -> None:
        """Stops receiving and closes the HTTP session."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._site is not None:
            await self._site.cleanup()
            self._site = None
        await self.client.close()

    async def _poll(self, poll_seconds: int) -> None:
        backoff = 1.0
        while True:
            try:
                event = await self.client.get_update(poll_seconds)
            except (ZaloError, ZaloNetworkError) as exc:
                log.warning("Zalo getUpdates failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            backoff = 1.0
            if event is not None:
                await self.receive(event)

    async def _webhook(self, request: web.Request) -> web.Response:
        secret = self.settings.zalo_webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"ok": False, "description": "unauthorized"}, status=401)
        try:
            body: Any = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "description": "bad body"}, status=400)
        event = event_of(body)
        if event is not None:
            await self.receive(event)
        return web.json_response({"ok": True})

    async def receive(self, event: dict[str, Any]) -> None:
        """Hands one event to the core (a replayed event is acted on once)."""
        incoming = incoming_of(event)
        if incoming is None or incoming.update_id in self._recent:
            return
        self._recent[incoming.update_id] = None
        if len(self._recent) > RECENT_EVENTS:
            self._recent.popitem(last=False)
        try:
            await self.offload(handle, self.core, self.actions, incoming)
        except Exception:
            log.exception("error while handling a Zalo event")
            await self.offload(report_failure, self.core, incoming)

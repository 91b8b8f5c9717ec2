"""The Zalo adapter: events by long polling or webhook in, the core's actions, API calls out.

Events are handled concurrently, at most `concurrency` at a time, in order per person and per
chat (handlers.ordering); the poller fetches the next event while earlier ones are handled, up
to BACKLOG events taken in.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import OrderedDict
from typing import Any

from aiohttp import web

from bot.actions.core import Core, Incoming
from bot.actions.registry import ActionRegistry
from bot.actions.turns import Offload, handle, report_failure
from bot.config import Settings
from handlers.observe import ERROR, HANDLED, UpdateLog, UpdateObserver, ignore_report, what_of
from handlers.ordering import DEFAULT_CONCURRENCY, KeyedOrder
from handlers.webhooks import hook_path, hook_url
from handlers.zalo.client import ZaloClient, ZaloError, ZaloNetworkError
from handlers.zalo.publish import Publisher
from handlers.zalo.sender import ZaloSender
from handlers.zalo.updates import CHANNEL, event_of, incoming_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)
RECENT_EVENTS = 2048  # ids kept in memory; the database dedupes the rest
MAX_BACKOFF = 60.0
# Events taken in (handled or waiting for their person's previous one) before polling pauses.
BACKLOG = 256


class ZaloAdapter:
    """Receives Zalo events and hands them to the core; one event per getUpdates call."""

    def __init__(
        self,
        *,
        core: Core,
        actions: ActionRegistry,
        settings: Settings,
        offload: Offload = asyncio.to_thread,
        concurrency: int = DEFAULT_CONCURRENCY,
        observe: UpdateObserver = ignore_report,
    ) -> None:
        assert settings.zalo_bot_token
        self.core = core
        self.actions = actions
        self.settings = settings
        # Every turn's transaction runs in a worker thread, never on the event loop.
        self.offload = offload
        self.order = KeyedOrder(concurrency)
        self.updates = UpdateLog(CHANNEL, observe)
        self._backlog = asyncio.Semaphore(BACKLOG)
        self._taken: set[asyncio.Task[None]] = set()
        self.client = ZaloClient(
            base_url=settings.zalo_api_url,
            token=settings.zalo_bot_token,
            timeout=settings.http_timeout,
        )
        self.sender = ZaloSender(self.client, Publisher.from_settings(settings))
        self.bot_name = ""
        self._poller: asyncio.Task[None] | None = None
        self._site: web.AppRunner | None = None
        self._recent: OrderedDict[str, None] = OrderedDict()

    @staticmethod
    def is_transient(error: BaseException) -> bool:
        """Tells whether a failed call may succeed later (no answer, a 5xx)."""
        return isinstance(error, ZaloNetworkError)

    async def initialize(self) -> str:
        """Checks the token with getMe; returns the bot's name."""
        me = await self.client.call("getMe")
        self.bot_name = str((me or {}).get("account_name") or (me or {}).get("display_name") or "")
        return self.bot_name

    async def start_receiving(self, *, poll_timeout: int = 30) -> None:
        """Registers the webhook if one is configured, else starts long polling."""
        settings = self.settings
        if settings.zalo_webhook_url:
            # Checked when the runtime was made (handlers.webhooks.webhook_problems).
            secret = settings.zalo_webhook_secret or ""
            if not secret:
                raise ValueError("CHIBOT_ZALO_WEBHOOK_SECRET is not set")
            app = web.Application()
            # Only the path derived from the secret: anything else is 404, unread.
            app.router.add_post(hook_path(CHANNEL, secret), self._webhook)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            host, _, port = settings.zalo_listen.rpartition(":")
            await web.TCPSite(runner, host or "127.0.0.1", int(port)).start()
            self._site = runner
            await self.client.call(
                "setWebhook",
                url=hook_url(settings.zalo_webhook_url, CHANNEL, secret),
                secret_token=secret,
            )
            return
        with contextlib.suppress(ZaloError):
            await self.client.call("deleteWebhook")
        self._poller = asyncio.create_task(self._poll(poll_timeout), name="zalo-poller")

    async def stop(self) -> None:
        """Stops receiving, finishes the events taken in, and closes the HTTP session."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._site is not None:
            await self._site.cleanup()
            self._site = None
        if self._taken:
            await asyncio.wait(set(self._taken))
        await self.client.close()

    async def _poll(self, poll_seconds: int) -> None:
        backoff = 1.0
        while True:
            # Room for one more event first, so a flood waits in Zalo's queue, not in memory.
            await self._backlog.acquire()
            try:
                event = await self.client.get_update(poll_seconds)
            except (ZaloError, ZaloNetworkError) as exc:
                self._backlog.release()
                log.warning("Zalo getUpdates failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except BaseException:
                self._backlog.release()
                raise
            backoff = 1.0
            if event is None:
                self._backlog.release()
                continue
            # Handled meanwhile; the order per person is the order of the tasks' creation.
            task = asyncio.create_task(self.receive(event), name="zalo-event")
            self._taken.add(task)
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._taken.discard(task)
        self._backlog.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("a Zalo event task failed", exc_info=task.exception())

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
        """Hands one event to the core (a replayed event is acted on once), after the earlier
        events of its person and chat. Call in arrival order: the order is taken at once."""
        incoming = incoming_of(event)
        if incoming is None or incoming.update_id in self._recent:
            return
        self._recent[incoming.update_id] = None
        if len(self._recent) > RECENT_EVENTS:
            self._recent.popitem(last=False)
        keys = [("user", incoming.user_id), ("chat", incoming.chat_id)]
        await self.order.run(keys, self._handle(incoming))

    async def _handle(self, incoming: Incoming) -> None:
        started = self.updates.started()
        try:
            await self.offload(handle, self.core, self.actions, incoming)
        except Exception:
            log.exception("error while handling Zalo event %s", incoming.update_id)
            self.updates.done(incoming.update_id, what_of(incoming), ERROR, started)
            await self.offload(report_failure, self.core, incoming)
            return
        self.updates.done(incoming.update_id, what_of(incoming), HANDLED, started)

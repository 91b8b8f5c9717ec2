"""The Telegram adapter: python-telegram-bot updates in, the core's actions, API calls out.

Updates are handled concurrently (python-telegram-bot's `concurrent_updates`), at most
`concurrency` at a time, and in order per person and per chat (`PerPersonOrder`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import sys
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Bot, Update
from telegram.constants import ChatMemberStatus
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.actions.core import Core
from bot.actions.registry import ActionRegistry
from bot.actions.turns import Offload, handle, report_failure
from bot.config import Settings
from bot.models import Reachability
from bot.services import orgs, people
from handlers.observe import (
    ERROR,
    HANDLED,
    IGNORED,
    UpdateLog,
    UpdateObserver,
    ignore_report,
    what_of,
)
from handlers.ordering import DEFAULT_CONCURRENCY, KeyedOrder
from handlers.telegram.menu import set_command_menus
from handlers.telegram.sender import TelegramSender
from handlers.telegram.updates import CHANNEL, command_of, incoming_of
from handlers.webhooks import hook_path, hook_url

log = logging.getLogger(__name__)

SETUP_COMMANDS = frozenset({"thietlap", "setup"})
# What the core hears: new messages of people in private chats and groups, not edits (an
# edited command is not a second command) nor a channel's posts; files only in private.
PERSON_MESSAGES = (
    filters.UpdateType.MESSAGE
    & (filters.ChatType.PRIVATE | filters.ChatType.GROUPS)
    & (
        filters.COMMAND
        | (filters.TEXT & ~filters.COMMAND)
        | (filters.ChatType.PRIVATE & (filters.Document.ALL | filters.PHOTO))
    )
)
TelegramApp = Application[Any, Any, Any, Any, Any, Any]
# Updates taken in (handled or waiting for their person's previous one); beyond it PTB's own
# queue holds them.
BACKLOG = 4096
# Connections for the outbox's sends, a pool of their own: the HTTP client scans its whole
# pool on every request, and the replies to taps (one per update handled at once) use the
# application's pool, sized to the updates handled at once.
SEND_CONNECTIONS = 32
CALL_CONNECTIONS_SPARE = 8
MENU_RETRY_MAX = 60.0


def _remember_sniffio_is_missing() -> None:
    """httpcore (under python-telegram-bot) tries `import sniffio` on every request; without
    the package each try searches the whole import path again (stat calls, a few percent of
    the process's time under load). Recording it as missing once makes that try instant; an
    installed sniffio is left alone."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def keys_of(update: object) -> list[Hashable]:
    """The person and the chat of an update: the updates sharing one are handled in order."""
    if not isinstance(update, Update):
        return []
    keys: list[Hashable] = []
    if update.effective_user is not None:
        keys.append(("user", update.effective_user.id))
    if update.effective_chat is not None:
        keys.append(("chat", update.effective_chat.id))
    return keys


class PerPersonOrder(BaseUpdateProcessor):
    """PTB's update processor: different people's updates at once, one person's in order.

    PTB hands updates over in the order it received them; the keys are registered before the
    first suspension, so that order is kept per person and per chat. An update waiting for its
    person's previous one holds no slot of the `KeyedOrder`'s limit.
    """

    def __init__(self, order: KeyedOrder) -> None:
        super().__init__(max_concurrent_updates=max(BACKLOG, order.limit))
        self.order = order

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Runs the update's handlers after the earlier updates of its person and chat."""
        await self.order.run(keys_of(update), coroutine)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: the order forgets each key when its last update is done."""


class TelegramAdapter:
    """Receives Telegram updates (polling or webhook) and hands them to the core."""

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
        assert settings.telegram_bot_token
        _remember_sniffio_is_missing()
        self.core = core
        self.actions = actions
        self.settings = settings
        # Every turn's transaction runs in a worker thread, never on the event loop.
        self.offload = offload
        self.order = KeyedOrder(concurrency)
        self.updates = UpdateLog(CHANNEL, observe)
        self._menus: asyncio.Task[None] | None = None
        timeout = settings.http_timeout
        self.application: TelegramApp = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token)
            .base_url(settings.bot_api_base)
            .base_file_url(settings.bot_file_base)
            .context_types(ContextTypes())
            .job_queue(None)
            .concurrent_updates(PerPersonOrder(self.order))
            .connection_pool_size(concurrency + CALL_CONNECTIONS_SPARE)
            .pool_timeout(timeout)
            .read_timeout(timeout)
            .write_timeout(timeout)
            .connect_timeout(timeout)
            .get_updates_read_timeout(timeout + 30)
            .get_updates_connection_pool_size(2)
            .build()
        )
        app = self.application
        # Order matters: the group bookkeeping first, then every person's update.
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.migration))
        app.add_handler(ChatMemberHandler(self.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(CallbackQueryHandler(self.button))
        app.add_handler(MessageHandler(PERSON_MESSAGES, self.message))
        app.add_error_handler(self.error)
        self._send_bot = Bot(
            settings.telegram_bot_token,
            base_url=settings.bot_api_base,
            base_file_url=settings.bot_file_base,
            request=HTTPXRequest(
                connection_pool_size=SEND_CONNECTIONS,
                pool_timeout=timeout,
                read_timeout=timeout,
                write_timeout=timeout,
                connect_timeout=timeout,
            ),
        )
        self.sender = TelegramSender(self._send_bot)

    @staticmethod
    def is_transient(error: BaseException) -> bool:
        """Tells whether a failed call may succeed later (the Bot API down, a 5xx, no
        network, a flood wait), as opposed to a refused token or a bad request."""
        return isinstance(error, NetworkError | RetryAfter)

    async def initialize(self) -> str:
        """Connects to the Bot API and starts setting the command menus (all at once, while
        the rest starts: `start_polling` / `start_webhook` wait for them); returns the bot's
        username."""
        await asyncio.gather(self.application.initialize(), self._send_bot.initialize())
        self._menus = asyncio.create_task(self._set_menus(), name="telegram-command-menus")
        return str(self.application.bot.username)

    async def _set_menus(self) -> None:
        """Sets the command menus, trying again while the Bot API does not answer."""
        wait = 1.0
        while True:
            try:
                await set_command_menus(self.application.bot)
            except (NetworkError, RetryAfter) as exc:
                log.warning(
                    "could not set the command menus (%s); trying again in %.0f s", exc, wait
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, MENU_RETRY_MAX)
            else:
                return

    async def _menus_set(self) -> None:
        """Waits until the command menus are set (a failure stops the start, as before)."""
        menus, self._menus = self._menus, None
        if menus is not None:
            await menus

    async def start_polling(self, **kwargs: Any) -> None:
        """Starts receiving updates by long polling (then waits for the menus)."""
        await self.application.start()
        assert self.application.updater is not None
        # deleteWebhook at start is tried until the Bot API answers (every second).
        await self.application.updater.start_polling(bootstrap_retries=-1, **kwargs)
        await self._menus_set()

    async def start_webhook(
        self, *, listen: str, port: int, url: str, secret: str, allowed_updates: list[str]
    ) -> None:
        """Starts receiving updates by webhook on `listen:port`, at the path derived from the
        secret, registered as `url` plus that path. python-telegram-bot answers a request
        without the right secret header with 403 and never hands it on; other paths get 404."""
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_webhook(
            listen=listen,
            port=port,
            url_path=hook_path(CHANNEL, secret).lstrip("/"),
            webhook_url=hook_url(url, CHANNEL, secret),
            secret_token=secret,
            allowed_updates=allowed_updates,
            bootstrap_retries=-1,
        )
        await self._menus_set()

    async def stop(self) -> None:
        """Stops receiving, finishes the updates taken in, and closes the connection."""
        menus, self._menus = self._menus, None
        if menus is not None:
            menus.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await menus
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await self._send_bot.shutdown()
        # A bot whose start failed (a refused token) counts as never initialized, and its
        # shutdown leaves the connection that asked getMe open: closed here (idempotent).
        for bot in (self.application.bot, self._send_bot):
            await bot.request.shutdown()

    async def _is_group_admin(self, update: Update) -> bool:
        chat, user, message = (
            update.effective_chat,
            update.effective_user,
            update.effective_message,
        )
        if chat is None or user is None or message is None or not message.text:
            return False
        if not message.text.startswith("/"):
            return False
        parsed = command_of(message.text, self.core.bot_username)
        if chat.type not in {"group", "supergroup"} or parsed is None:
            return False
        name, args = parsed
        if name not in SETUP_COMMANDS or not args:
            return False
        try:
            member = await self.application.bot.get_chat_member(chat.id, user.id)
        except TelegramError as exc:
            log.warning("could not check admin status in %s: %s", chat.id, exc)
            return False
        return member.status in {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}

    async def message(self, update: Update, _: Any) -> None:
        """Hands a command, text or file to the core."""
        started = self.updates.started()
        admin = await self._is_group_admin(update)
        incoming = incoming_of(update, bot_username=self.core.bot_username, is_group_admin=admin)
        if incoming is None:
            self.updates.done(update.update_id, "message", IGNORED, started)
            return
        try:
            await self.offload(handle, self.core, self.actions, incoming)
        except Exception:
            self.updates.done(update.update_id, what_of(incoming), ERROR, started)
            raise
        self.updates.done(update.update_id, what_of(incoming), HANDLED, started)

    async def button(self, update: Update, _: Any) -> None:
        """Hands a tap to the core, then answers it (clients spin until answered)."""
        started = self.updates.started()
        query = update.callback_query
        incoming = incoming_of(update, bot_username=self.core.bot_username)
        what = what_of(incoming) if incoming is not None else "choice"
        try:
            handled = (
                await self.offload(handle, self.core, self.actions, incoming)
                if incoming is not None
                else None
            )
        except Exception:
            self.updates.done(update.update_id, what, ERROR, started)
            if query is not None:
                # The spinner stops whatever happened; the error handler explains.
                with contextlib.suppress(TelegramError):
                    await query.answer()
            raise
        if query is not None:
            try:
                await query.answer(
                    text=handled.toast if handled else None,
                    show_alert=bool(handled and handled.alert),
                )
            except TelegramError as exc:
                log.warning(
                    "could not answer the callback query of update %s: %s", update.update_id, exc
                )
        self.updates.done(
            update.update_id, what, HANDLED if incoming is not None else IGNORED, started
        )

    async def migration(self, update: Update, _: Any) -> None:
        """Follows a group upgraded to a supergroup to its new chat id."""
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        old, new = str(message.chat_id), str(message.migrate_to_chat_id)

        def follow() -> str | None:
            with self.core.db.session() as session:
                org = orgs.follow_migration(
                    session=session, channel=CHANNEL, old_chat_id=old, new_chat_id=new
                )
                return None if org is None else org.name

        started = self.updates.started()
        name = await self.offload(follow)
        if name is not None:
            log.info("cell %s moved to chat %s", name, new)
        self.updates.done(update.update_id, "group migration", HANDLED, started)

    async def my_chat_member(self, update: Update, _: Any) -> None:
        """Records at once when a person blocks or unblocks the bot (Telegram tells us)."""
        change = update.my_chat_member
        if change is None or change.chat.type != "private":
            return
        status = change.new_chat_member.status
        blocked = status in {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}
        external_id = str(change.from_user.id)

        def mark() -> None:
            with self.core.db.session() as session:
                people.mark_reachability(
                    session=session,
                    channel=CHANNEL,
                    external_id=external_id,
                    reachability=Reachability.BLOCKED if blocked else Reachability.OK,
                )

        started = self.updates.started()
        await self.offload(mark)
        self.updates.done(
            update.update_id, "blocked" if blocked else "unblocked", HANDLED, started
        )

    async def error(self, update: object, context: Any) -> None:
        """Logs the error, then tells the person that nothing was changed."""
        update_id = update.update_id if isinstance(update, Update) else "?"
        log.error("error while handling Telegram update %s", update_id, exc_info=context.error)
        if not isinstance(update, Update):
            return
        incoming = incoming_of(update, bot_username=self.core.bot_username)
        if incoming is not None:
            await self.offload(report_failure, self.core, incoming)

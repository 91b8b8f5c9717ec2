"""The Telegram adapter: python-telegram-bot updates in, the core's actions, API calls out."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.actions.core import Core
from bot.actions.registry import ActionRegistry
from bot.actions.turns import Offload, handle, report_failure
from bot.config import Settings
from bot.models import Reachability
from bot.services import orgs, people
from handlers.telegram.menu import set_command_menus
from handlers.telegram.sender import TelegramSender
from handlers.telegram.updates import CHANNEL, command_of, incoming_of

log = logging.getLogger(__name__)

SETUP_COMMANDS = frozenset({"thietlap", "setup"})
TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class TelegramAdapter:
    """Receives Telegram updates (polling or webhook) and hands them to the core."""

    def __init__(
        self,
        *,
        core: Core,
        actions: ActionRegistry,
        settings: Settings,
        offload: Offload = asyncio.to_thread,
    ) -> None:
        assert settings.telegram_bot_token
        self.core = core
        self.actions = actions
        self.settings = settings
        # Every turn's transaction runs in a worker thread, never on the event loop.
        self.offload = offload
        timeout = settings.http_timeout
        self.application: TelegramApp = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token)
            .base_url(settings.bot_api_base)
            .base_file_url(settings.bot_file_base)
            .context_types(ContextTypes())
            .job_queue(None)
            .connection_pool_size(64)
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
        app.add_handler(
            MessageHandler(
                filters.COMMAND
                | (filters.TEXT & ~filters.COMMAND)
                | (filters.ChatType.PRIVATE & (filters.Document.ALL | filters.PHOTO)),
                self.message,
            )
        )
        app.add_error_handler(self.error)
        self.sender = TelegramSender(app.bot)

    async def initialize(self) -> str:
        """Connects to the Bot API, sets the command menus; returns the bot's username."""
        await self.application.initialize()
        await set_command_menus(self.application.bot)
        return str(self.application.bot.username)

    async def start_polling(self, **kwargs: Any) -> None:
        """Starts receiving updates by long polling."""
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(**kwargs)

    async def start_webhook(self, *, listen: str, port: int, url: str, secret: str | None) -> None:
        """Starts receiving updates by webhook on `listen:port`, registered as `url`."""
        await self.application.start()
        assert self.application.updater is not None
        path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
        await self.application.updater.start_webhook(
            listen=listen, port=port, url_path=path, webhook_url=url, secret_token=secret
        )

    async def stop(self) -> None:
        """Stops receiving and closes the connection."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

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
        admin = await self._is_group_admin(update)
        incoming = incoming_of(update, bot_username=self.core.bot_username, is_group_admin=admin)
        if incoming is not None:
            await self.offload(handle, self.core, self.actions, incoming)

    async def button(self, update: Update, _: Any) -> None:
        """Hands a tap to the core, then answers it (clients spin until answered)."""
        query = update.callback_query
        incoming = incoming_of(update, bot_username=self.core.bot_username)
        handled = (
            await self.offload(handle, self.core, self.actions, incoming)
            if incoming is not None
            else None
        )
        if query is None:
            return
        try:
            await query.answer(
                text=handled.toast if handled else None,
                show_alert=bool(handled and handled.alert),
            )
        except TelegramError as exc:
            log.warning("could not answer callback query: %s", exc)

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

        name = await self.offload(follow)
        if name is not None:
            log.info("cell %s moved to chat %s", name, new)

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

        await self.offload(mark)

    async def error(self, update: object, context: Any) -> None:
        """Logs the error, then tells the person that nothing was changed."""
        log.error("error while handling a Telegram update", exc_info=context.error)
        if not isinstance(update, Update):
            return
        incoming = incoming_of(update, bot_username=self.core.bot_username)
        if incoming is not None:
            await self.offload(report_failure, self.core, incoming)

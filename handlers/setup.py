"""Linking a group chat to its cell with a setup code, and following group migrations."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ChatMemberHandler, CommandHandler, MessageHandler, filters

from bot.models import Reachability
from bot.render import group_linked
from bot.services import orgs, people
from bot.services.errors import InvalidInput, NotAllowed
from bot.ui import Screen
from handlers.base import CHANNEL, Reply, Turn, interact
from handlers.context import ChibotApp, ChibotContext

log = logging.getLogger(__name__)


def _link(turn: Turn, is_admin: bool, title: str) -> Reply:
    if not turn.in_group:
        raise InvalidInput("setup_private")
    if not turn.args:
        raise InvalidInput("setup_needs_code")
    if not is_admin:
        raise NotAllowed("setup_not_admin")
    org, secretary = orgs.link_group(
        session=turn.session,
        code=turn.args[0],
        channel=CHANNEL,
        chat_id=turn.chat_id,
        chat_title=title,
        admin=turn.person,
        now=turn.now,
    )
    return Reply(screens=[Screen(group_linked(turn.t, org, secretary.full_name))])


async def setup_command(update: Update, context: ChibotContext) -> None:
    """Links this group to the cell of the setup code; the sending admin becomes secretary."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    is_admin = False
    if chat.type in {"group", "supergroup"} and context.args:
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
            is_admin = member.status in {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}
        except TelegramError as exc:
            log.warning("could not check admin status in %s: %s", chat.id, exc)
    title = chat.title or ""
    await interact(update, context, lambda turn: _link(turn, is_admin, title))


async def migration(update: Update, context: ChibotContext) -> None:
    """Follows a group upgraded to a supergroup to its new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    deps = context.deps
    with deps.db.session() as session:
        org = orgs.follow_migration(
            session=session,
            channel=CHANNEL,
            old_chat_id=str(message.chat_id),
            new_chat_id=str(message.migrate_to_chat_id),
        )
    if org is not None:
        log.info("cell %s moved to chat %s", org.name, message.migrate_to_chat_id)


async def my_chat_member(update: Update, context: ChibotContext) -> None:
    """Records at once when a person blocks or unblocks the bot (Telegram tells us)."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    deps = context.deps
    with deps.db.session() as session:
        person = people.get_person(
            session=session, channel=CHANNEL, external_id=str(change.from_user.id)
        )
        if person is None or person.id is None:
            return
        status = change.new_chat_member.status
        blocked = status in {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}
        people.mark_reachability(
            session=session,
            person_id=person.id,
            reachability=Reachability.BLOCKED if blocked else Reachability.OK,
        )


def register(application: ChibotApp) -> None:
    """Adds the handlers of this module."""
    application.add_handler(CommandHandler(["thietlap", "setup"], setup_command))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migration))
    application.add_handler(ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))

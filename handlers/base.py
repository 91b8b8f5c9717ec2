"""One turn of conversation: load the person, run a core function in a session, queue replies."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session
from telegram import Update
from telegram.error import TelegramError

from bot.flows.engine import FlowKey
from bot.i18n import Translator, translator
from bot.models import Organisation, Person, Priority
from bot.render import error_text
from bot.services import members, orgs, outbox, people, updates
from bot.services.errors import DomainError
from bot.ui import FileOut, Screen
from handlers.context import ChibotContext, Deps

log = logging.getLogger(__name__)

CHANNEL = "telegram"


@dataclass
class Turn:
    """Everything a core function needs about the current update."""

    session: Session
    deps: Deps
    person: Person
    t: Translator
    now: datetime
    chat_id: str
    in_group: bool
    key: FlowKey
    group_org: Organisation | None
    args: list[str]
    data: str


@dataclass
class Reply:
    """What to send back: new messages in this chat, an edit of the tapped message, a toast."""

    screens: list[Screen] = field(default_factory=list)
    edit: Screen | None = None
    private: list[Screen] = field(default_factory=list)
    files: list[FileOut] = field(default_factory=list)
    toast: str | None = None
    alert: bool = False


def translator_for_turn(
    session: Session, person: Person, group_org: Organisation | None, deps: Deps
) -> Translator:
    """Chooses the person's language and the cell's time zone."""
    org = group_org
    if org is None:
        cells = members.memberships(session=session, person=person)
        org = cells[0][1] if cells else None
    locale = person.locale or (org.locale if org else deps.settings.locale)
    zone = org.timezone if org else deps.settings.timezone
    return translator(locale, zone)


def _remember_person(update: Update, deps: Deps, now: datetime) -> int | None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    with deps.db.session() as session:
        person = people.ensure_person(
            session=session,
            channel=CHANNEL,
            external_id=str(user.id),
            display_name=user.full_name,
            username=user.username,
            now=now,
        )
        if chat.type == "private":
            people.mark_started(session=session, person=person)
        return person.id


def _turn(session: Session, update: Update, context: ChibotContext, person: Person) -> Turn:
    deps = context.deps
    chat = update.effective_chat
    assert chat is not None
    chat_id = str(chat.id)
    in_group = chat.type in {"group", "supergroup"}
    group_org = (
        orgs.org_for_chat(session=session, channel=CHANNEL, chat_id=chat_id) if in_group else None
    )
    query = update.callback_query
    return Turn(
        session=session,
        deps=deps,
        person=person,
        t=translator_for_turn(session, person, group_org, deps),
        now=deps.clock.now(),
        chat_id=chat_id,
        in_group=in_group,
        key=FlowKey(CHANNEL, chat_id, person.external_id),
        group_org=group_org,
        args=list(context.args or []),
        data=(query.data or "") if query is not None else "",
    )


def _enqueue(session: Session, turn: Turn, reply: Reply, update: Update) -> None:
    prefix = f"u:{update.update_id}"
    query = update.callback_query
    if reply.edit is not None and query is not None and query.message is not None:
        outbox.enqueue_edit(
            session=session,
            dedupe_key=f"{prefix}:e",
            chat_id=turn.chat_id,
            message_id=str(query.message.message_id),
            text=reply.edit.text,
            keyboard=reply.edit.keyboard,
            now=turn.now,
        )
    elif reply.edit is not None:
        reply.screens.insert(0, reply.edit)
    for index, screen in enumerate(reply.screens):
        outbox.enqueue_message(
            session=session,
            dedupe_key=f"{prefix}:{index}",
            chat_id=turn.chat_id,
            text=screen.text,
            keyboard=screen.keyboard,
            priority=Priority.INTERACTIVE,
            person_id=None if turn.in_group else turn.person.id,
            org_id=turn.group_org.id if turn.group_org else None,
            is_group=turn.in_group,
            now=turn.now,
        )
    for index, screen in enumerate(reply.private):
        # Follow-ups that belong in the person's private chat (e.g. a reason asked after a tap
        # in the group).
        outbox.enqueue_message(
            session=session,
            dedupe_key=f"{prefix}:p{index}",
            chat_id=turn.person.external_id,
            text=screen.text,
            keyboard=screen.keyboard,
            priority=Priority.INTERACTIVE,
            person_id=turn.person.id,
            is_group=False,
            now=turn.now,
        )
    for index, document in enumerate(reply.files):
        outbox.enqueue_document(
            session=session,
            dedupe_key=f"{prefix}:f{index}",
            chat_id=turn.chat_id,
            document=document,
            priority=Priority.INTERACTIVE,
            person_id=None if turn.in_group else turn.person.id,
            now=turn.now,
        )


async def interact(update: Update, context: ChibotContext, work: Callable[[Turn], Reply]) -> None:
    """Runs `work` for this update once, in one transaction with its replies; maps errors."""
    deps = context.deps
    now = deps.clock.now()
    person_id = _remember_person(update, deps, now)
    if person_id is None:
        return
    reply: Reply | None = None
    error: DomainError | None = None
    try:
        with deps.db.session() as session:
            if not updates.mark_processed(
                session=session, channel=CHANNEL, update_id=update.update_id, now=now
            ):
                log.info("update %s already handled; skipping", update.update_id)
                return
            person = session.get(Person, person_id)
            assert person is not None
            turn = _turn(session, update, context, person)
            reply = work(turn)
            _enqueue(session, turn, reply, update)
    except DomainError as exc:
        error = exc
    if error is not None:
        with deps.db.session() as session:
            updates.mark_processed(
                session=session, channel=CHANNEL, update_id=update.update_id, now=now
            )
            person = session.get(Person, person_id)
            assert person is not None
            turn = _turn(session, update, context, person)
            text = error_text(turn.t, error)
            if update.callback_query is not None:
                # A tap gets its answer as an alert; longer explanations also arrive as a message.
                longer = [Screen(text)] if len(text) > 200 else []
                reply = Reply(screens=longer, toast=text[:200], alert=True)
            else:
                reply = Reply(screens=[Screen(text)])
            _enqueue(session, turn, reply, update)
    if deps.dispatcher is not None:
        deps.dispatcher.wake()
    query = update.callback_query
    if query is not None:
        try:
            toast = reply.toast[:200] if reply and reply.toast else None
            await query.answer(text=toast, show_alert=bool(reply and reply.alert))
        except TelegramError as exc:
            log.warning("could not answer callback query: %s", exc)

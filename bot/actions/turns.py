"""One turn: an incoming event acted on once, in one transaction with the replies it queues."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ParamSpec, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from bot import limits
from bot.actions import typed
from bot.actions.core import Core, Incoming, IncomingKind, Reply, Turn
from bot.actions.forms import outcome_reply
from bot.actions.refusals import (
    TOAST_LIMIT,
    choose,
    committee_in_group,
    error_reply,
    has_form_buttons,
    opened_form,
)
from bot.actions.registry import ActionRegistry
from bot.channels import profile_of
from bot.flood import Verdict
from bot.flows.engine import FlowKey
from bot.i18n import Translator, translator
from bot.limits import text_units
from bot.models import (
    Organisation,
    OutboxMessage,
    Person,
    Priority,
    Reachability,
)
from bot.render import not_understood
from bot.services import members, menus, orgs, outbox, people, updates
from bot.services.errors import DomainError
from bot.text import clean_input
from bot.ui import Screen

log = logging.getLogger(__name__)

EDIT_ROOM = 10  # as bot.shaping keeps for a part's "(1/3)"
# In a group (20 messages a minute), replies queued beyond this many wait behind the cell's
# notices: a notice is never behind more than a few replies.
GROUP_REPLIES_AHEAD = 3
GUEST = "guest"  # the key prefix of replies in a group to people outside its cell

P = ParamSpec("P")
R = TypeVar("R")

_QUEUED = "chibot.outbox_queued"  # Session.info key: this transaction queued outbox rows
_OUTBOX_TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]


def _note_outbox_insert(state: ORMExecuteState) -> None:
    """Remembers on the session that it inserted into the outbox (whoever queued: the reply,
    a flow notifying the committee, a fan-out to the cell)."""
    if state.is_insert and getattr(state.statement, "table", None) is _OUTBOX_TABLE:
        state.session.info[_QUEUED] = True


def _watch_outbox(session: Session) -> None:
    event.listen(session, "do_orm_execute", _note_outbox_insert)


def _queued(session: Session) -> bool:
    return bool(session.info.get(_QUEUED))


class Offload(Protocol):
    """Runs a blocking call (a turn's transaction) in a worker thread and awaits its result,
    so a slow or locked database never blocks the event loop (`asyncio.to_thread`, or the
    runtime's bounded pool). Adapters call `handle` and `report_failure` through it."""

    def __call__(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[R]:
        """Returns an awaitable of `fn(*args, **kwargs)` run in a worker thread."""
        ...


@dataclass(frozen=True)
class Handled:
    """What the adapter still has to do itself: answer the tap (Telegram) with this toast."""

    toast: str | None = None
    alert: bool = False


def translator_for_turn(
    session: Session,
    person: Person,
    group_org: Organisation | None,
    core: Core,
    *,
    in_group: bool = False,
) -> Translator:
    """Chooses the person's language and the cell's time zone (in a group, text that
    addresses someone addresses the comrades)."""
    org = group_org
    if org is None:
        cells = members.memberships(session=session, person=person)
        org = cells[0][1] if cells else None
    locale = person.locale or (org.locale if org else core.settings.locale)
    zone = org.timezone if org else core.settings.timezone
    return translator(locale, zone, group=in_group)


def cleaned(incoming: Incoming) -> Incoming:
    """Returns the event with what the person typed cleaned (bot.text.clean_input): the one
    place every typed text enters the core, whatever form, command or hook reads it next."""
    if not incoming.text and not incoming.args:
        return incoming
    args = tuple(word for word in (clean_input(arg) for arg in incoming.args) if word)
    return replace(incoming, text=clean_input(incoming.text), args=args)


def _turn(session: Session, core: Core, incoming: Incoming) -> Turn:
    person, account = people.ensure_account(
        session=session,
        channel=incoming.channel,
        external_id=incoming.user_id,
        display_name=incoming.display_name,
        username=incoming.username,
        now=core.clock.now(),
    )
    if not incoming.in_group:
        first = account.reachability != Reachability.OK
        people.mark_started(session=session, account=account)
        if first:
            # Their own menu could not be set before they wrote (Telegram knows no chat yet).
            menus.queue_own_menu(session=session, person=person, now=core.clock.now())
    group_org = (
        orgs.org_for_chat(session=session, channel=incoming.channel, chat_id=incoming.chat_id)
        if incoming.in_group
        else None
    )
    return Turn(
        session=session,
        core=core,
        person=person,
        account=account,
        t=translator_for_turn(session, person, group_org, core, in_group=incoming.in_group),
        now=core.clock.now(),
        channel=profile_of(incoming.channel),
        chat_id=incoming.chat_id,
        in_group=incoming.in_group,
        key=FlowKey(incoming.channel, incoming.chat_id, incoming.user_id),
        group_org=group_org,
        incoming=incoming,
    )


def _route(turn: Turn, registry: ActionRegistry) -> Reply:
    incoming = turn.incoming
    if incoming.kind == IncomingKind.COMMAND:
        command = registry.commands.get(incoming.command)
        if command is not None:
            if command.committee and turn.in_group:
                committee_in_group(turn)
            return command.action(turn)
        if turn.in_group:
            return Reply()
        return Reply(
            screens=[Screen(turn.t.gettext("I do not know that command. Send /trogiup."))]
        )
    if incoming.kind == IncomingKind.CHOICE:
        return choose(turn, registry, incoming.choice)
    if incoming.kind == IncomingKind.FILE and incoming.file is not None:
        if turn.in_group:
            return Reply()
        uploads = turn.channel.file_upload
        for hook in registry.file_hooks if uploads else registry.anywhere_file_hooks:
            taken = hook(turn, incoming.file)
            if taken is not None:
                return taken
        if not uploads:
            text = turn.t.gettext("I can only read text messages here.")
            return Reply(screens=[Screen(text)])
        if registry.file_action is None:
            return Reply()
        return registry.file_action(turn, incoming.file)
    if incoming.kind == IncomingKind.TEXT:
        return _text(turn, registry, incoming.text)
    if turn.in_group:
        return Reply()
    return Reply(screens=[Screen(turn.t.gettext("I can only read text messages here."))])


def _text(turn: Turn, registry: ActionRegistry, text: str) -> Reply:
    if not turn.channel.buttons and not turn.in_group:
        # "2" means option 2 of the last screen that listed options here, even after a restart.
        picked = typed.pick(turn, text)
        if picked is not None:
            return choose(turn, registry, picked)
    outcome = turn.core.flows.answer_text(
        session=turn.session, key=turn.key, person=turn.person, t=turn.t, now=turn.now, text=text
    )
    if outcome is not None:
        return outcome_reply(outcome)
    for hook in registry.text_hooks:
        reply = hook(turn, text)
        if reply is not None:
            return reply
    if not turn.channel.buttons and not turn.in_group:
        typed.refuse_unlisted_number(turn, text)
    if turn.in_group:
        return Reply()
    return Reply(screens=[Screen(not_understood(turn.t, turn.channel))])


def _follow_account(turn: Turn) -> None:
    """Keeps the turn on its account's person: joining from a second app merges the person
    this turn started with into the member's (people.link_account)."""
    if turn.account.person_id != turn.person.id:
        owner = turn.session.get(Person, turn.account.person_id)
        if owner is not None:
            turn.person = owner


def _reply_lane(turn: Turn) -> int | None:
    """Returns the priority of a reply in this turn's chat, or None when the chat already has
    as many replies waiting as it may (one person cannot fill the interactive lane)."""
    cap = turn.core.settings.reply_queue_cap
    waiting = outbox.queued_replies(
        session=turn.session, channel=turn.channel.name, chat_id=turn.chat_id, limit=cap
    )
    if waiting >= cap:
        log.warning(
            "%s chat %s has %d replies waiting; update %s is not answered",
            turn.channel.name,
            turn.chat_id,
            waiting,
            turn.incoming.update_id,
        )
        return None
    if turn.in_group and waiting >= GROUP_REPLIES_AHEAD:
        return Priority.BULK
    return Priority.INTERACTIVE


def _reply_prefix(turn: Turn) -> str:
    """Returns the dedupe key prefix of the turn's replies in its chat. A person who is not a
    member of a group's cell is answered there at most once per hour: every reply of theirs in
    that hour has the same keys, and the outbox keeps only the first."""
    incoming = turn.incoming
    org = turn.group_org
    if (
        turn.in_group
        and org is not None
        and org.id is not None
        and members.membership_in(session=turn.session, person=turn.person, org_id=org.id) is None
    ):
        hour = turn.now.strftime("%Y%m%d%H")
        return f"{GUEST}:{incoming.channel}:{incoming.chat_id}:{incoming.user_id}:{hour}"
    return f"u:{incoming.channel}:{incoming.update_id}"


def _deliver(turn: Turn, reply: Reply) -> None:
    """Queues the reply's messages in the turn's transaction."""
    incoming = turn.incoming
    prefix = f"u:{incoming.channel}:{incoming.update_id}"
    channel = turn.channel.name
    screens = list(reply.screens)
    if reply.edit is not None:
        # An edit is one message: a text longer than the channel takes (a long commitment)
        # is sent anew, in parts, rather than cut.
        fits = text_units(turn.channel, reply.edit.text) <= turn.channel.text_limit - EDIT_ROOM
        if turn.channel.edits and incoming.message_id is not None and fits:
            rows = reply.edit.keyboard_json()
            limits.check(turn.channel, [limits.Message(reply.edit.text, rows or None)])
            outbox.enqueue_edit(
                session=turn.session,
                dedupe_key=f"{prefix}:e",
                chat_id=turn.chat_id,
                message_id=incoming.message_id,
                text=reply.edit.text,
                keyboard=reply.edit.keyboard,
                now=turn.now,
                is_group=turn.in_group,
                channel=channel,
            )
        else:
            screens.insert(0, reply.edit)
    if reply.toast and not turn.channel.buttons:
        # No tap to answer on a text channel: the toast is the reply.
        screens.insert(0, Screen(reply.toast))
    here: int | None = Priority.INTERACTIVE
    here_prefix = prefix
    if screens or reply.files:
        here = _reply_lane(turn)
        here_prefix = _reply_prefix(turn)
    expires_at = turn.now + outbox.REPLY_LIFETIME

    again = opened_form(turn, screens)

    def queue(key: str, screen: Screen, *, private: bool) -> None:
        # A private follow-up (e.g. a reason asked after a tap in the group) goes to the
        # person's own chat; everything else to this chat.
        in_group = turn.in_group and not private
        if here is None and not private:
            return
        outbox.enqueue_message(
            extra=again if not private and has_form_buttons(screen) else None,
            session=turn.session,
            dedupe_key=f"{prefix if private else here_prefix}:{key}",
            chat_id=turn.chat_id if not private else incoming.user_id,
            text=screen.text,
            keyboard=screen.keyboard,
            priority=Priority.INTERACTIVE if private or here is None else here,
            person_id=None if in_group else turn.person.id,
            org_id=turn.group_org.id if turn.group_org and in_group else None,
            is_group=in_group,
            now=turn.now,
            channel=channel,
            expires_at=expires_at,
        )

    if here_prefix.startswith(GUEST):
        # One short answer an hour to someone outside the cell: its first message only.
        screens = screens[:1]
    for index, screen in enumerate(screens):
        queue(str(index), screen, private=False)
    for index, screen in enumerate(reply.private):
        queue(f"p{index}", screen, private=True)
    if here is None or here_prefix.startswith(GUEST):
        return
    # A reply's files (a meeting's calendar file, its documents) follow the other people's
    # first replies: in a storm of /lichhop everyone sees their card before anyone's files.
    for index, document in enumerate(reply.files):
        outbox.enqueue_document(
            session=turn.session,
            dedupe_key=f"{here_prefix}:f{index}",
            chat_id=turn.chat_id,
            document=document,
            priority=max(here, Priority.NORMAL),
            person_id=None if turn.in_group else turn.person.id,
            is_group=turn.in_group,
            now=turn.now,
            channel=channel,
            expires_at=expires_at,
            photos_by_url=turn.core.settings.photos_by_url,
        )


def handle(core: Core, registry: ActionRegistry, incoming: Incoming) -> Handled:
    """Acts on an incoming event once: effects, replies and the processed mark commit together.

    Blocking (it runs the turn's transaction): adapters call it through an `Offload`, and
    `core.wake` must be safe to call from that worker thread.

    A domain error rolls the effects back; the explanation is then queued in a transaction of
    its own, so a redelivered update is answered once and changes nothing.

    The outbox dispatcher is woken only when the committed transaction queued something (a
    tap answered with a toast alone queues nothing).
    """
    incoming = cleaned(incoming)
    now = core.clock.now()
    if incoming.kind == IncomingKind.COMMAND:
        verdict = core.flood.check(channel=incoming.channel, user_id=incoming.user_id, now=now)
        if verdict is Verdict.DROP:
            log.info(
                "%s update %s: user %s sends too fast; ignored",
                incoming.channel,
                incoming.update_id,
                incoming.user_id,
            )
            return Handled()
        if verdict is Verdict.WARN:
            return _slow_down(core, incoming, now)
    reply: Reply | None = None
    error: DomainError | None = None
    queued = False
    try:
        with core.db.session() as session:
            _watch_outbox(session)
            if not updates.mark_processed(
                session=session, channel=incoming.channel, update_id=incoming.update_id, now=now
            ):
                log.info("%s update %s already handled", incoming.channel, incoming.update_id)
                return Handled()
            turn = _turn(session, core, incoming)
            reply = _route(turn, registry)
            _follow_account(turn)
            _deliver(turn, reply)
        queued = _queued(session)
    except DomainError as exc:
        error = exc
    if error is not None:
        with core.db.session() as session:
            _watch_outbox(session)
            updates.mark_processed(
                session=session, channel=incoming.channel, update_id=incoming.update_id, now=now
            )
            turn = _turn(session, core, incoming)
            reply = error_reply(turn, registry, error)
            _deliver(turn, reply)
        queued = _queued(session)
    if queued:
        core.wake()
    if reply is None or not profile_of(incoming.channel).buttons:
        return Handled()
    return Handled(toast=reply.toast[:TOAST_LIMIT] if reply.toast else None, alert=reply.alert)


def _slow_down(core: Core, incoming: Incoming, now: datetime) -> Handled:
    """Answers the first command over the flood limit with "slow down", acting on nothing."""
    log.warning(
        "%s user %s sent over %d commands in a minute; told to slow down",
        incoming.channel,
        incoming.user_id,
        core.flood.limit,
    )
    with core.db.session() as session:
        _watch_outbox(session)
        if not updates.mark_processed(
            session=session, channel=incoming.channel, update_id=incoming.update_id, now=now
        ):
            return Handled()
        turn = _turn(session, core, incoming)
        text = turn.t.gettext("You are sending too fast; please slow down a little.")
        _deliver(turn, Reply(screens=[Screen(text)]))
    if _queued(session):
        core.wake()
    return Handled()


def report_failure(core: Core, incoming: Incoming) -> None:
    """Tells the person, in a private chat, that something went wrong and nothing changed."""
    if incoming.in_group:
        return
    t = translator(incoming.language_code or core.settings.locale)
    with core.db.session() as session:
        outbox.enqueue_message(
            session=session,
            dedupe_key=f"err:{incoming.channel}:{incoming.update_id}",
            chat_id=incoming.chat_id,
            text=t.gettext("Something went wrong. Nothing was changed; please try again."),
            priority=Priority.INTERACTIVE,
            is_group=False,
            now=core.clock.now(),
            channel=incoming.channel,
        )
    core.wake()

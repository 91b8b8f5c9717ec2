"""What a turn answers when it cannot act: a stale or forged button (naming the command that
shows its subject again), a committee command in the group, a file nobody asked for, and the
explanation of a domain error."""

from __future__ import annotations

from sqlmodel import select

from bot.actions.core import IncomingKind, Reply, Turn
from bot.actions.forms import OPENED_BY
from bot.actions.registry import ActionRegistry
from bot.flows.engine import StaleButton, parse_callback
from bot.models import COMMITTEE_ROLES, FlowState
from bot.render import error_text, stale_button
from bot.services import members
from bot.services.errors import DomainError, NotAllowed, NotFound
from bot.ui import Screen

TOAST_LIMIT = 200  # Telegram's limit for a callback answer


def choose(turn: Turn, registry: ActionRegistry, data: str) -> Reply:
    """Acts on a chosen button's data; a forged one, or a stale form button, is answered
    politely instead."""
    action = registry.resolve_choice(data)
    if action is None:
        return Reply(toast=stale_button(turn.t, "invalid"), alert=True)
    try:
        return action(turn)
    except StaleButton as exc:
        command = _form_command(turn, registry, data) if exc.reason == "stale" else None
        return Reply(toast=stale_button(turn.t, exc.reason, command), alert=True)


def _form_command(turn: Turn, registry: ActionRegistry, data: str) -> str | None:
    """Returns the command that opens again the form a stale button belongs to: known while
    that form is open (a button of an earlier question), else None."""
    parsed = parse_callback(data)
    if parsed is None:
        return None
    state = turn.session.exec(select(FlowState).where(FlowState.nonce == parsed[0])).first()
    origin = str(state.params.get(OPENED_BY) or "") if state is not None else ""
    if origin.startswith("/"):
        return registry.canonical(origin[1:])
    return registry.command_for_choice(origin) if origin else None


def committee_in_group(turn: Turn) -> None:
    """A committee command typed in the cell's group: someone outside the cell is told how to
    join, a plain member that it is the committee's (the committee is sent on to a private
    chat by the command itself)."""
    org = turn.group_org
    if org is None or org.id is None:
        return
    member = members.membership_in(session=turn.session, person=turn.person, org_id=org.id)
    if member is None:
        raise NotAllowed("not_in_group_cell")
    if member.role not in COMMITTEE_ROLES:
        raise NotAllowed("committee_only")


def _file_not_expected(turn: Turn) -> str:
    """Returns the reply to a file nobody asked for: what the bot takes files for, and how."""
    return turn.t.gettext(
        "I was not expecting a file from you, comrade: no open form is asking for one. "
        "To give in a document, send it to the cell committee; send /trogiup to see what "
        "I can do for you."
    )


def error_reply(turn: Turn, registry: ActionRegistry, error: DomainError) -> Reply:
    """Returns the explanation of a domain error: as an alert for a tap, naming the command to
    start again when the tapped button names what no longer exists."""
    if turn.incoming.kind == IncomingKind.FILE and isinstance(error, NotAllowed):
        # A file is not a command: a member (or a stranger) who sends one is told so.
        return Reply(screens=[Screen(_file_not_expected(turn))])
    if (
        isinstance(error, NotAllowed)
        and error.code in {"committee_only", "secretary_only"}
        and not turn.in_group
        and not members.memberships(session=turn.session, person=turn.person)
    ):
        # Someone in no cell at all: how to join says more than "for the committee".
        error = NotAllowed("not_in_cell")
    text = error_text(turn.t, error)
    if turn.incoming.kind == IncomingKind.CHOICE and turn.channel.buttons:
        if isinstance(error, NotFound):
            # A button naming what no longer exists (or never did: a forged id).
            again = registry.command_for_choice(turn.incoming.choice)
            text = f"{stale_button(turn.t, 'invalid', again)} {text}"
        # A tap gets its answer as an alert; longer explanations also arrive as a message.
        longer = [Screen(text)] if len(text) > TOAST_LIMIT else []
        return Reply(screens=longer, toast=text[:TOAST_LIMIT], alert=True)
    return Reply(screens=[Screen(text)])

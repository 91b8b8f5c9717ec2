"""What a turn answers when it cannot act: a stale or forged button (naming the command that
shows its subject again), a committee command in the group, a file nobody asked for, and the
explanation of a domain error."""

from __future__ import annotations

from sqlmodel import select

from bot.actions.core import IncomingKind, Reply, Turn
from bot.actions.forms import OPENED_BY
from bot.actions.registry import ActionRegistry
from bot.flows.engine import CALLBACK_PREFIX, StaleButton, parse_callback
from bot.models import COMMITTEE_ROLES, FlowState, OutboxMessage
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
        if exc.reason != "stale":
            return Reply(toast=stale_button(turn.t, exc.reason), alert=True)
        command, closed = _form_command(turn, registry, data)
        return Reply(
            toast=stale_button(turn.t, "closed" if closed else "stale", command), alert=True
        )


def has_form_buttons(screen: Screen) -> bool:
    """Whether a screen is a form's question (its buttons are the form's)."""
    return any(
        (button.data or "").startswith(f"{CALLBACK_PREFIX}|")
        for row in screen.keyboard
        for button in row
    )


def opened_form(turn: Turn, screens: list[Screen]) -> dict[str, str] | None:
    """Returns what opened the form whose question this turn sends (kept with the message, so
    that a button of it tapped after the form closed names the command that opens it again);
    None when no form question goes out on a channel with buttons."""
    if not turn.channel.buttons or not any(has_form_buttons(s) for s in screens):
        return None
    state = turn.core.flows.state(turn.session, turn.key)
    origin = str(state.params.get(OPENED_BY) or "") if state is not None else ""
    return {OPENED_BY: origin} if origin else None


def _sent_row_payload(turn: Turn) -> dict[str, object]:
    """Returns the payload of the message the tapped button is on, as it was queued ({} when
    unknown or purged)."""
    message_id = turn.incoming.message_id
    if message_id is None:
        return {}
    row = turn.session.exec(
        select(OutboxMessage).where(
            OutboxMessage.channel == turn.channel.name,
            OutboxMessage.chat_id == turn.chat_id,
            OutboxMessage.provider_message_id == message_id,
            OutboxMessage.method == "send_message",
        )
    ).first()
    return dict(row.payload or {}) if row is not None else {}


def _form_command(turn: Turn, registry: ActionRegistry, data: str) -> tuple[str | None, bool]:
    """Returns the command that opens again the form a stale button belongs to (from the form
    while it is open: a button of an earlier question; else from the message; None: unknown),
    and whether the form is closed."""
    parsed = parse_callback(data)
    if parsed is None:
        return None, True
    state = turn.session.exec(select(FlowState).where(FlowState.nonce == parsed[0])).first()
    if state is not None:
        origin = str(state.params.get(OPENED_BY) or "")
    else:
        # The form is closed: the message the button is on remembers what opened it.
        origin = str(_sent_row_payload(turn).get(OPENED_BY) or "")
    closed = state is None
    if origin.startswith("/"):
        return registry.canonical(origin[1:]), closed
    return (registry.command_for_choice(origin) if origin else None), closed


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

"""Taking charge of a cell with a setup code (/thietlap): in its Telegram group, or privately
on a channel without groups."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.registry import ActionRegistry
from bot.render import group_linked
from bot.services import menus, orgs
from bot.services.errors import InvalidInput, NotAllowed
from bot.text import escape
from bot.ui import Screen


def link_group(turn: Turn) -> Reply:
    """Links this group to the cell of the setup code; the sending admin becomes secretary.

    On a channel without groups (Zalo) the code is sent privately: the sender becomes secretary
    and the cell's group messages reach its members privately until a group is linked.
    """
    if not turn.args:
        raise InvalidInput("setup_needs_code")
    if not turn.in_group:
        if turn.channel.groups:
            raise InvalidInput("setup_private")
        org, _ = orgs.claim_cell(
            session=turn.session, code=turn.args[0], admin=turn.person, now=turn.now
        )
        text = turn.t.gettext(
            "Comrade, you are now the secretary of <b>{cell}</b> in chibot. The cell has no "
            "Telegram group yet, so messages for the whole cell will reach each member "
            "privately. Send /moi to invite the members.",
            cell=escape(org.name),
        )
        return Reply(screens=[Screen(text)])
    if not turn.incoming.is_group_admin:
        raise NotAllowed("setup_not_admin")
    org, secretary = orgs.link_group(
        session=turn.session,
        code=turn.args[0],
        channel=turn.channel.name,
        chat_id=turn.chat_id,
        chat_title=turn.incoming.chat_title,
        admin=turn.person,
        now=turn.now,
    )
    # The new secretary's own menu (set now if they already wrote to me privately, else at
    # their first private message).
    menus.queue_own_menu(session=turn.session, person=turn.person, now=turn.now)
    return Reply(screens=[Screen(group_linked(turn.t, org, secretary.full_name))])


def register(actions: ActionRegistry) -> None:
    """Adds this module's command."""
    actions.command(["thietlap", "setup"], link_group)

"""Officers of a đảng bộ: the figures per cell of what they sent to the cells (counts only)."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.registry import ActionRegistry
from bot.actions.roster import private_only
from bot.models import Organisation
from bot.render_officers import batch_screen
from bot.services import officers
from bot.services.errors import NotFound


def view_batch(turn: Turn, batch_id: int) -> Reply:
    """Shows an officer the acknowledgement or participation per cell and in total."""
    private_only(turn)
    batch = officers.get_batch(session=turn.session, batch_id=batch_id, person=turn.person)
    org = turn.session.get(Organisation, batch.org_id)
    if org is None:
        raise NotFound("org_not_found")
    figures = officers.batch_figures(session=turn.session, batch=batch)
    return Reply(edit=batch_screen(turn.t, org, figures))


def register(actions: ActionRegistry) -> None:
    """Adds this module's choice."""
    actions.choice("ob", view_batch, int)
    actions.again("thongbao", "ob")

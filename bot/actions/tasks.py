"""A task assigned at a meeting: the tap on "✅ Xong" (the owner's, or a committee member's)
marks it done."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.registry import ActionRegistry
from bot.models import Meeting
from bot.render_tasks import task_screen
from bot.services import tasks


def done(turn: Turn, task_id: int) -> Reply:
    """Marks the task done and shows it so."""
    task, already = tasks.mark_done(
        session=turn.session, task_id=task_id, person=turn.person, now=turn.now
    )
    meeting = turn.session.get(Meeting, task.meeting_id)
    assert meeting is not None
    screen = task_screen(turn.t, meeting, task)
    if already:
        return Reply(toast=turn.t.gettext("This task is already marked done."), edit=screen)
    note = turn.t.gettext("Recorded: the task is done. Thank you, comrade.")
    return Reply(toast=note, edit=screen)


def register(actions: ActionRegistry) -> None:
    """Adds this module's choice."""
    actions.choice("td", done, int)

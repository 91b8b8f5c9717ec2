"""A task assigned at a meeting as its owner sees it: the task, its due date, and "✅ Xong"
until it is marked done."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.models import Meeting, MeetingTask
from bot.render import ERROR_MESSAGES
from bot.render_meetings import kind_label
from bot.text import escape
from bot.ui import Button, Screen, choice

ERROR_MESSAGES.update(
    {
        "task_not_found": N_("That task no longer exists."),
        "not_your_task": N_("Only the comrade assigned this task or the committee can mark it."),
    }
)


def _task_text(t: Translator, meeting: Meeting, task: MeetingTask) -> str:
    lines = [
        t.gettext(
            "📌 <b>A task for you</b> from the {kind} of {day}:",
            kind=kind_label(t, meeting.kind),
            day=t.date_text(meeting.starts_at),
        ),
        escape(task.description),
        t.gettext("Due: {day}", day=t.date_text(task.due_on)),
    ]
    if task.done_at is not None:
        lines.append(t.gettext("✅ Done on {day}.", day=t.date_text(task.done_at)))
    return "\n".join(lines)


def task_screen(t: Translator, meeting: Meeting, task: MeetingTask) -> Screen:
    """The owner's message: the task, and the button while it is not done."""
    keyboard = []
    if task.done_at is None:
        keyboard = [[Button(t.gettext("✅ Done"), data=choice("td", task.id or 0))]]
    return Screen(_task_text(t, meeting, task), keyboard)

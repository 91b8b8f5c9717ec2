"""The menu of the form that changes a meeting, and the parts it changes besides the day and
the place: theme, chair, presenter, agenda, length and reminders (asked as /taohop asks them).

The menu comes first and comes back after each part ("↩️ Back" returns to it with nothing
changed), listing what will change (old → new); "✅ Confirm" saves every change at once as
one new version of the meeting, and one notice tells its audience what changed. A change of
the reminders alone is the committee's setting: members are not told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.flows.engine import FlowContext, Option, Step, StepKind
from bot.flows.meeting_steps import (
    agenda_of,
    agenda_step,
    chair_step,
    duration_step,
    member_of,
    offsets_of,
    presenter_step,
    reminders_step,
    topic_of,
    topic_step,
)
from bot.models import Meeting, MeetingKind, Organisation
from bot.render_meetings import (
    change_lines,
    change_text,
    kind_label,
    no_theme,
    offsets_text,
    rsvp_keyboard,
)
from bot.services import meeting_edits, meetings, members, notices
from bot.services.errors import NotFound
from bot.text import escape
from bot.ui import Screen

MOVE, PLACE, CANCEL, SAVE = "move", "place", "cancel", "save"
THEMED = (MeetingKind.THEMATIC, MeetingKind.COMBINED)
TOPIC, CHAIR, PRESENTER = "topic", "chair", "presenter"
AGENDA, DURATION, REMINDERS = "agenda", "duration", "reminders"
# The steps each choice of the menu asks again (the answers keep the steps' names).
PARTS: dict[str, tuple[str, ...]] = {
    MOVE: ("when", "when_check"),
    PLACE: ("place",),
    TOPIC: ("topic",),
    CHAIR: ("chair",),
    PRESENTER: ("presenter",),
    AGENDA: ("agenda",),
    DURATION: ("duration",),
    REMINDERS: ("reminders",),
}


def edited_meeting(ctx: FlowContext) -> Meeting:
    """Returns the meeting the form changes (looked up once a turn)."""
    if "meeting" not in ctx.memo:
        ctx.memo["meeting"] = meetings.get_meeting(
            session=ctx.session, meeting_id=int(ctx.params["meeting_id"])
        )
    found: Meeting = ctx.memo["meeting"]
    return found


def chosen(part: str) -> Callable[[FlowContext], bool]:
    """Returns a `when`: asked when the menu chose `part` (or the button that opened the form
    named it: "✏️ Đặt chủ đề"), kept once answered."""
    first = PARTS[part][0]
    return lambda ctx: (
        ctx.answers.get("action") == part
        or ctx.params.get("action") == part
        or first in ctx.answers
    )


def context_steps() -> tuple[Step, ...]:
    """The meeting's cell and kind, filled in without asking (the /taohop steps read them)."""
    return (
        Step(
            "org",
            StepKind.CHOICE,
            lambda _ctx: "",
            auto=lambda ctx: str(edited_meeting(ctx).org_id),
        ),
        Step(
            "kind",
            StepKind.CHOICE,
            lambda _ctx: "",
            auto=lambda ctx: edited_meeting(ctx).kind.value,
        ),
    )


def field_steps() -> tuple[Step, ...]:
    """The /taohop questions for the theme, the people, the agenda, the length, the reminders,
    each saying what the meeting has now."""
    return tuple(
        replace(step, when=chosen(step.name), prompt=_with_current(step))
        for step in (
            topic_step(),
            chair_step(),
            presenter_step(),
            agenda_step(),
            duration_step(),
            reminders_step(),
        )
    )


def _with_current(step: Step) -> Callable[[FlowContext], str]:
    def prompt(ctx: FlowContext) -> str:
        now = ctx.t.gettext("Now: {value}", value=_current(ctx, step.name))
        return f"{step.prompt(ctx)}\n{now}"

    return prompt


def _current(ctx: FlowContext, part: str) -> str:
    """Returns what the meeting has now for a part, as the question shows it."""
    t, meeting = ctx.t, edited_meeting(ctx)
    none = "—"
    if part == TOPIC:
        if meeting.topic:
            return escape(meeting.topic)
        # An occurrence of a repeating chuyên đề made without one says so.
        return no_theme(t) if meeting.kind in THEMED else none
    if part in {CHAIR, PRESENTER}:
        member_id = meeting.chair_member_id if part == CHAIR else meeting.presenter_member_id
        names = _names(ctx, meeting)
        return escape(names[member_id]) if member_id in names else none
    if part == AGENDA:
        return escape("; ".join(meeting.agenda)) if meeting.agenda else none
    if part == DURATION:
        return t.gettext("{minutes} minutes", minutes=t.number(meeting.duration_minutes))
    return offsets_text(t, list(meeting.reminder_offsets))


# --- the changes the answers make ----------------------------------------------------------


def _edit(ctx: FlowContext) -> meeting_edits.MeetingEdit:
    a = ctx.answers
    keep = meeting_edits.KEEP
    return meeting_edits.MeetingEdit(
        starts_at=datetime.fromisoformat(a["when"]) if "when" in a else None,
        place=str(a["place"]) if "place" in a else None,
        topic=topic_of(a[TOPIC]) if TOPIC in a else None,
        duration_minutes=int(a[DURATION]) if DURATION in a else None,
        chair_member_id=member_of(a[CHAIR]) if CHAIR in a else keep,
        presenter_member_id=member_of(a[PRESENTER]) if PRESENTER in a else keep,
        agenda=agenda_of(a[AGENDA]) if AGENDA in a else None,
        reminder_offsets=offsets_of(a[REMINDERS]) if REMINDERS in a else None,
    )


def _copy(meeting: Meeting) -> Meeting:
    """A copy of the details, never saved."""
    return Meeting(
        org_id=meeting.org_id,
        kind=meeting.kind,
        topic=meeting.topic,
        starts_at=meeting.starts_at,
        duration_minutes=meeting.duration_minutes,
        place=meeting.place,
        chair_member_id=meeting.chair_member_id,
        presenter_member_id=meeting.presenter_member_id,
        agenda=list(meeting.agenda),
        reminder_offsets=list(meeting.reminder_offsets),
    )


def _preview(ctx: FlowContext) -> Meeting:
    """The meeting as it would be with the answers so far, never saved."""
    preview = _copy(edited_meeting(ctx))
    edit = _edit(ctx)
    preview.starts_at = edit.starts_at or preview.starts_at
    preview.place = edit.place if edit.place is not None else preview.place
    preview.topic = edit.topic if edit.topic is not None else preview.topic
    preview.duration_minutes = edit.duration_minutes or preview.duration_minutes
    if edit.chair_member_id is not meeting_edits.KEEP:
        preview.chair_member_id = edit.chair_member_id
    if edit.presenter_member_id is not meeting_edits.KEEP:
        preview.presenter_member_id = edit.presenter_member_id
    preview.agenda = edit.agenda if edit.agenda is not None else preview.agenda
    if edit.reminder_offsets is not None:
        preview.reminder_offsets = sorted(set(edit.reminder_offsets), reverse=True)
    return preview


def _names(ctx: FlowContext, *versions: Meeting) -> dict[int, str]:
    ids = [i for m in versions for i in (m.chair_member_id, m.presenter_member_id)]
    return members.names_by_id(session=ctx.session, org_id=versions[0].org_id, member_ids=ids)


def _pending(ctx: FlowContext) -> list[str]:
    """Returns one "old → new" line per change the answers make."""
    before, after = edited_meeting(ctx), _preview(ctx)
    lines = change_lines(ctx.t, before, after, _names(ctx, before, after))
    if list(before.reminder_offsets) != list(after.reminder_offsets):
        lines.append(
            ctx.t.gettext(
                "🔔 Reminders: {old} → <b>{new}</b>",
                old=offsets_text(ctx.t, list(before.reminder_offsets)),
                new=offsets_text(ctx.t, list(after.reminder_offsets)),
            )
        )
    return lines


# --- the menu ------------------------------------------------------------------------------


def _menu_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    meeting = edited_meeting(ctx)
    ask = t.gettext(
        "{kind} at {when}: what would you like to change?",
        kind=kind_label(t, meeting.kind),
        when=t.when_text(meeting.starts_at),
    )
    pending = _pending(ctx)
    if not pending:
        return ask
    heading = t.gettext("<b>Changes to save:</b>")
    after = t.gettext("Tap ✅ Confirm to save them, or choose something else to change.")
    return "\n".join([ask, "", heading, *pending, "", after])


def _menu_options(ctx: FlowContext) -> list[Option]:
    t = ctx.t
    options = [Option(SAVE, t.gettext("✅ Confirm"))] if _pending(ctx) else []
    return [
        *options,
        Option(MOVE, t.gettext("Change the date or time")),
        Option(PLACE, t.gettext("Change the place")),
        Option(TOPIC, t.gettext("Change the theme")),
        Option(DURATION, t.gettext("Change the length")),
        Option(CHAIR, t.gettext("Change the chair")),
        Option(PRESENTER, t.gettext("Change the presenter")),
        Option(AGENDA, t.gettext("Change the agenda")),
        Option(REMINDERS, t.gettext("Change the reminders")),
        Option(CANCEL, t.gettext("Cancel meeting")),
    ]


def menu_step() -> Step:
    """What to change: each part is asked, then the menu comes back listing the changes."""
    return Step(
        "action",
        StepKind.CHOICE,
        _menu_prompt,
        options=_menu_options,
        columns=2,
        revisit=lambda _ctx, value: PARTS.get(value),
    )


# --- saving --------------------------------------------------------------------------------


def save_changes(ctx: FlowContext) -> Screen:
    """Saves every change as one new version; tells the audience what changed (old → new)."""
    before = _copy(edited_meeting(ctx))
    meeting = meeting_edits.edit_meeting(
        session=ctx.session,
        meeting_id=int(ctx.params["meeting_id"]),
        version=int(ctx.params["version"]),
        actor=ctx.person,
        now=ctx.now,
        edit=_edit(ctx),
    )
    if not change_lines(ctx.t, before, meeting, {}):
        return Screen(
            ctx.t.gettext("Saved. Reminders are the committee's setting: members were not told.")
        )
    org = ctx.session.get(Organisation, meeting.org_id)
    if org is None:
        raise NotFound("org_not_found")
    names = _names(ctx, before, meeting)
    notices.announce_meeting(
        session=ctx.session,
        org=org,
        kind=meeting.kind,
        build=lambda t: Screen(
            change_text(t, meeting, org, names, before), rsvp_keyboard(t, meeting)
        ),
        key=f"change:{meeting.id}:v{meeting.version}",
        now=ctx.now,
        # It asks for answers again: useless once the meeting starts.
        expires_at=meeting.starts_at,
    )
    return Screen(ctx.t.gettext("Saved, and everyone was told."))

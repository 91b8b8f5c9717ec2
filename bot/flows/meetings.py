"""The /taohop form: kind, topic, date and time, duration, place, people, agenda, recurrence,
reminders, preview and confirm; on confirm the notice goes to the group and every member."""

from __future__ import annotations

from datetime import date, datetime

from bot.flows.common_people import (
    chosen_org,
    committee_cell_step,
    require_some_committee,
)
from bot.flows.engine import Flow, FlowContext, Option, Step, StepKind
from bot.flows.meeting_steps import (
    THEMED,
    agenda_of,
    agenda_step,
    chair_step,
    duration_step,
    member_of,
    offsets_of,
    place_step,
    presenter_step,
    reminders_step,
    topic_of,
    topic_step,
)
from bot.flows.meeting_when import cell_tz, forget_typed, starts_at, when_steps
from bot.i18n import N_, Translator
from bot.models import Meeting, MeetingKind, Recurrence
from bot.render_meetings import (
    kind_label,
    meeting_card,
    notice_text,
    offsets_text,
    rsvp_keyboard,
)
from bot.services import meetings, members, notices
from bot.ui import Screen

# What each "✏️" of the summary asks again (the day is asked with its time).
EDITS = {
    "topic": ("topic",),
    "day": ("day", "day_check", "time"),
    "duration": ("duration",),
    "place": ("place",),
    "chair": ("chair",),
    "presenter": ("presenter",),
    "agenda": ("agenda",),
    "recurrence": ("recurrence",),
    "reminders": ("reminders",),
}
EDIT_PREFIX = "e:"


def _kind(ctx: FlowContext) -> MeetingKind:
    return MeetingKind(ctx.answers["kind"])


# --- steps ---------------------------------------------------------------------------------


def _kind_options(ctx: FlowContext) -> list[Option]:
    return [Option(kind.value, kind_label(ctx.t, kind)) for kind in MeetingKind]


def _recurrence_options(ctx: FlowContext) -> list[Option]:
    day = date.fromisoformat(ctx.answers["day"])
    _, nth = meetings.nth_weekday_of(day)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=cell_tz(ctx))
    weekday_name = ctx.t.weekday_date_text(noon).split(",")[0]
    if nth == -1:
        nth_label = ctx.t.gettext("Monthly on the last {weekday}", weekday=weekday_name)
    else:
        nth_label = ctx.t.gettext("Monthly on {weekday} of week {n}", weekday=weekday_name, n=nth)
    return [
        Option(Recurrence.NONE.value, ctx.t.gettext("Only once")),
        Option(Recurrence.MONTHLY_DAY.value, ctx.t.gettext("Monthly on day {day}", day=day.day)),
        Option(Recurrence.MONTHLY_WEEKDAY.value, nth_label),
    ]


# --- preview and completion ----------------------------------------------------------------


def _draft(ctx: FlowContext) -> meetings.MeetingDraft:
    a = ctx.answers
    return meetings.MeetingDraft(
        kind=_kind(ctx),
        starts_at=starts_at(ctx, a["time"]),
        topic=topic_of(a.get("topic")),
        duration_minutes=int(a["duration"]),
        place=a["place"],
        chair_member_id=member_of(a["chair"]),
        presenter_member_id=member_of(a["presenter"]),
        agenda=agenda_of(a.get("agenda")),
        reminder_offsets=offsets_of(a["reminders"]),
        recurrence=Recurrence(a["recurrence"]),
    )


def _names(ctx: FlowContext, draft: meetings.MeetingDraft) -> dict[int, str]:
    """Returns the names of the chair and the presenter, looked up by id."""
    return members.names_by_id(
        session=ctx.session,
        org_id=int(ctx.answers["org"]),
        member_ids=[draft.chair_member_id, draft.presenter_member_id],
    )


def _confirm_prompt(ctx: FlowContext) -> str:
    draft = _draft(ctx)
    org = chosen_org(ctx)
    # A preview object, never saved.
    preview = Meeting(
        org_id=org.id or 0,
        kind=draft.kind,
        topic=draft.topic,
        starts_at=draft.starts_at,
        duration_minutes=draft.duration_minutes,
        place=draft.place,
        chair_member_id=draft.chair_member_id,
        presenter_member_id=draft.presenter_member_id,
        agenda=draft.agenda,
    )
    t = ctx.t
    lines = [
        t.gettext("<b>Please check before sending:</b>"),
        meeting_card(t, preview, org, _names(ctx, draft)),
    ]
    lines.append(t.gettext("Day understood: {day}.", day=t.weekday_date_text(draft.starts_at)))
    recurrence = {o.value: o.label for o in _recurrence_options(ctx)}[draft.recurrence.value]
    lines.append(t.gettext("Repeats: {rule}.", rule=recurrence))
    lines.append(
        t.gettext("Reminders before: {offsets}.", offsets=offsets_text(t, draft.reminder_offsets))
    )
    lines.extend(_duration_warning(t, draft.kind, draft.duration_minutes))
    if draft.kind == MeetingKind.COMMITTEE:
        lines.append(
            t.gettext(
                "On confirm the notice goes to the committee members only (secretary, deputy, "
                "committee members); the group is not told."
            )
        )
    elif org.group_chat_id:
        lines.append(t.gettext("On confirm the notice goes to the group and to every member."))
    else:
        lines.append(t.gettext("On confirm the notice goes to every member."))
    return "\n".join(lines)


# The guidance's minimum length (Hướng dẫn 42-HD/BTCTW, 28/10/2025; domain.md §1.3–1.4).
MINIMUM_MINUTES = {
    MeetingKind.REGULAR: 90,
    MeetingKind.THEMATIC: 90,
    MeetingKind.COMBINED: 120,
}


def _duration_warning(t: Translator, kind: MeetingKind, minutes: int) -> list[str]:
    """Warns (without refusing) when a meeting is shorter than the guidance asks."""
    least = MINIMUM_MINUTES.get(MeetingKind(kind))
    if least is None or minutes >= least:
        return []
    return [
        t.gettext(
            "⚠️ Shorter than the guidance asks: Hướng dẫn 42-HD/BTCTW (28/10/2025) sets at "
            "least {least} minutes for a {kind}; this one lasts {minutes}.",
            least=least,
            kind=kind_label(t, kind).lower(),
            minutes=minutes,
        )
    ]


def _summary_options(ctx: FlowContext) -> list[Option]:
    t = ctx.t
    labels = {
        "topic": t.gettext("✏️ Theme") if _kind(ctx) in THEMED else t.gettext("✏️ Content"),
        "day": t.gettext("✏️ Day and time"),
        "duration": t.gettext("✏️ Length"),
        "place": t.gettext("✏️ Place"),
        "chair": t.gettext("✏️ Chair"),
        "presenter": t.gettext("✏️ Presenter"),
        "agenda": t.gettext("✏️ Agenda"),
        "recurrence": t.gettext("✏️ Repeats"),
        "reminders": t.gettext("✏️ Reminders"),
    }
    return [
        Option("yes", t.gettext("✅ Confirm")),
        *(Option(EDIT_PREFIX + part, labels[part]) for part in EDITS),
    ]


def _edit_part(ctx: FlowContext, value: str) -> tuple[str, ...] | None:
    """A "✏️" of the summary: the part to ask again before coming back to the summary."""
    part = value.removeprefix(EDIT_PREFIX)
    if part == "day":
        forget_typed(ctx)  # a time typed with the old day is not carried to the new one
    return EDITS.get(part) if part != value else None


def _complete(ctx: FlowContext) -> Screen:
    org = chosen_org(ctx)
    assert org.id is not None
    draft = _draft(ctx)
    meeting = meetings.create_meeting(
        session=ctx.session, org_id=org.id, draft=draft, actor=ctx.person, now=ctx.now
    )
    names = _names(ctx, draft)
    notices.announce_meeting(
        session=ctx.session,
        org=org,
        kind=meeting.kind,
        build=lambda t: Screen(notice_text(t, meeting, org, names), rsvp_keyboard(t, meeting)),
        key=f"notice:{meeting.id}:v{meeting.version}",
        now=ctx.now,
        # An RSVP request: answers close when the meeting starts.
        expires_at=meeting.starts_at,
    )
    if meeting.kind == MeetingKind.COMMITTEE:
        done = ctx.t.gettext(
            "Scheduled, and the notice was sent to each committee member: {kind} at {when}. "
            "Send /lichhop to see answers and documents.",
            kind=kind_label(ctx.t, meeting.kind),
            when=ctx.t.when_text(meeting.starts_at),
        )
    elif org.group_chat_id:
        done = ctx.t.gettext(
            "Scheduled, and the notice was sent to the group and to each member: {kind} at "
            "{when}. Send /lichhop to see answers and documents.",
            kind=kind_label(ctx.t, meeting.kind),
            when=ctx.t.when_text(meeting.starts_at),
        )
    else:
        done = ctx.t.gettext(
            "Scheduled, and the notice was sent to each member: {kind} at {when}. Send "
            "/lichhop to see answers and documents.",
            kind=kind_label(ctx.t, meeting.kind),
            when=ctx.t.when_text(meeting.starts_at),
        )
    return Screen(done)


NEW_MEETING_FLOW = Flow(
    name="new_meeting",
    title=N_("New meeting"),
    check=require_some_committee,
    steps=(
        committee_cell_step(),
        Step(
            "kind",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("What kind of meeting?"),
            options=_kind_options,
        ),
        topic_step(),
        *when_steps(),
        duration_step(),
        place_step(),
        chair_step(),
        presenter_step(),
        agenda_step(),
        Step(
            "recurrence",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Does it repeat?"),
            options=_recurrence_options,
        ),
        reminders_step(),
        Step(
            "confirm",
            StepKind.CHOICE,
            _confirm_prompt,
            options=_summary_options,
            columns=2,
            revisit=_edit_part,
        ),
    ),
    complete=_complete,
)

"""The /taohop form: kind, topic, date and time, duration, place, people, agenda, recurrence,
reminders, preview and confirm; on confirm the notice goes to the group and every member."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.durations import parse_duration
from bot.flows.common_people import (
    NOBODY,
    chosen_org,
    committee_cell_step,
    member_options,
    require_some_committee,
)
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind
from bot.flows.meeting_when import cell_tz, invalid, starts_at, when_steps
from bot.i18n import N_, Translator
from bot.models import Meeting, MeetingKind, Recurrence
from bot.render_meetings import (
    kind_label,
    meeting_card,
    notice_text,
    offsets_text,
    rsvp_keyboard,
)
from bot.services import cell_settings, meetings, members, notices
from bot.services.errors import InvalidInput
from bot.ui import Screen

SKIP = "~skip"
PRESETS = [[4320, 1440, 120], [1440, 120], [120], []]
THEMED = {MeetingKind.THEMATIC, MeetingKind.COMBINED}


def _kind(ctx: FlowContext) -> MeetingKind:
    return MeetingKind(ctx.answers["kind"])


# --- steps ---------------------------------------------------------------------------------


def _kind_options(ctx: FlowContext) -> list[Option]:
    return [Option(kind.value, kind_label(ctx.t, kind)) for kind in MeetingKind]


def _topic_prompt(ctx: FlowContext) -> str:
    if _kind(ctx) in THEMED:
        return ctx.t.gettext(
            "The theme of the thematic meeting (for example: Học tập và làm theo tư tưởng, "
            "đạo đức, phong cách Hồ Chí Minh):"
        )
    return ctx.t.gettext("The main content of the meeting (or tap Skip):")


def _topic_options(ctx: FlowContext) -> list[Option]:
    if _kind(ctx) in THEMED:
        return []
    return [Option(SKIP, ctx.t.gettext("Skip"))]


def _parse_topic(ctx: FlowContext, text: str) -> Any:
    try:
        topic = meetings.validate_topic(text)
    except InvalidInput as exc:
        raise invalid(ctx, exc) from exc
    if not topic:
        raise invalid(ctx, InvalidInput("topic_empty"))
    return topic


def _duration_options(ctx: FlowContext) -> list[Option]:
    recommended = 120 if _kind(ctx) == MeetingKind.COMBINED else 90
    options = []
    for minutes in (recommended, *(m for m in (60, 90, 120, 150, 180) if m != recommended)):
        label = ctx.t.gettext("{minutes} minutes", minutes=minutes)
        if minutes == recommended:
            label = ctx.t.gettext("{label} (recommended)", label=label)
        options.append(Option(str(minutes), label))
    return options


# The lengths a typed duration may have (the buttons offer 1 to 3 hours).
SHORTEST, LONGEST = 15, 8 * 60


def _duration_echo(ctx: FlowContext, typed: bool) -> str | None:
    if not typed:
        return None
    minutes = ctx.t.number(int(ctx.answers["duration"]))
    return ctx.t.gettext("Length understood: {minutes} minutes.", minutes=minutes)


def _duration_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "How long? Tap one, or type it: {examples}.", examples=ctx.t.gettext(DURATION_EXAMPLES)
    )


DURATION_EXAMPLES = N_("2 hours, 90 minutes, 1.5 hours")


def _parse_duration(ctx: FlowContext, text: str) -> Any:
    minutes = parse_duration(text)
    if minutes is None or not SHORTEST <= minutes <= LONGEST:
        raise InvalidAnswer(
            ctx.t.gettext(
                "I could not read that length. Type for example {examples} (from {least} "
                "minutes to {most} hours).",
                examples=ctx.t.gettext(DURATION_EXAMPLES),
                least=SHORTEST,
                most=LONGEST // 60,
            )
        )
    return str(minutes)


def _parse_place(ctx: FlowContext, text: str) -> Any:
    try:
        return meetings.validate_place(text)
    except InvalidInput as exc:
        raise invalid(ctx, exc) from exc


def _chair_options(ctx: FlowContext) -> list[Option]:
    committee = _kind(ctx) == MeetingKind.COMMITTEE
    return member_options(
        ctx, none_label=ctx.t.gettext("Not decided yet"), committee_only=committee
    )


def _presenter_options(ctx: FlowContext) -> list[Option]:
    committee = _kind(ctx) == MeetingKind.COMMITTEE
    return member_options(ctx, none_label=ctx.t.gettext("No presenter"), committee_only=committee)


def _parse_agenda(ctx: FlowContext, text: str) -> Any:
    try:
        return meetings.parse_agenda(text)
    except InvalidInput as exc:
        raise invalid(ctx, exc) from exc


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


def _reminder_options(ctx: FlowContext) -> list[Option]:
    # The cell's default (/caidat) comes first.
    default = cell_settings.default_offsets(chosen_org(ctx))
    presets = [default, *(p for p in PRESETS if p != default)]
    return [
        Option(",".join(str(m) for m in preset) or "none", offsets_text(ctx.t, preset))
        for preset in presets
    ]


def _parse_reminders(ctx: FlowContext, text: str) -> Any:
    try:
        offsets = meetings.parse_offsets(text)
    except InvalidInput as exc:
        raise invalid(ctx, exc) from exc
    return ",".join(str(m) for m in offsets) or "none"


# --- preview and completion ----------------------------------------------------------------


def _draft(ctx: FlowContext) -> meetings.MeetingDraft:
    a = ctx.answers
    topic = a.get("topic", "")
    offsets = [] if a["reminders"] == "none" else [int(x) for x in a["reminders"].split(",")]
    return meetings.MeetingDraft(
        kind=_kind(ctx),
        starts_at=starts_at(ctx, a["time"]),
        topic="" if topic == SKIP else topic,
        duration_minutes=int(a["duration"]),
        place=a["place"],
        chair_member_id=None if a["chair"] == NOBODY else int(a["chair"]),
        presenter_member_id=None if a["presenter"] == NOBODY else int(a["presenter"]),
        agenda=[] if a.get("agenda", SKIP) == SKIP else list(a["agenda"]),
        reminder_offsets=offsets,
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
        Step("topic", StepKind.TEXT, _topic_prompt, options=_topic_options, parse=_parse_topic),
        *when_steps(),
        Step(
            "duration",
            StepKind.TEXT,
            _duration_prompt,
            options=_duration_options,
            parse=_parse_duration,
            columns=3,
            echo=_duration_echo,
        ),
        Step(
            "place",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext("Where? Type the place, or an online meeting link."),
            parse=_parse_place,
        ),
        Step(
            "chair",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Who chairs the meeting?"),
            options=_chair_options,
            columns=2,
        ),
        Step(
            "presenter",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Who presents (báo cáo viên)?"),
            options=_presenter_options,
            columns=2,
        ),
        Step(
            "agenda",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext("Agenda items, one per line (or tap Skip):"),
            options=lambda ctx: [Option(SKIP, ctx.t.gettext("Skip"))],
            parse=_parse_agenda,
        ),
        Step(
            "recurrence",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Does it repeat?"),
            options=_recurrence_options,
        ),
        Step(
            "reminders",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "When should I remind members? Tap one, or type e.g. “2 days, 3 hours”."
            ),
            options=_reminder_options,
            parse=_parse_reminders,
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt),
    ),
    complete=_complete,
)

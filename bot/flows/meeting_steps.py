"""The questions about a meeting's details (theme, length, place, chair, presenter, agenda,
reminders), shared by the /taohop form and the form that changes a meeting, with the readings
of their answers. Both forms keep the meeting's cell in the answer "org" and its kind in
"kind"."""

from __future__ import annotations

from typing import Any

from bot.durations import parse_duration
from bot.flows.common_people import NOBODY, chosen_org, member_options
from bot.flows.engine import FlowContext, InvalidAnswer, Option, Step, StepKind
from bot.flows.meeting_when import invalid
from bot.i18n import N_
from bot.models import MeetingKind
from bot.render_meetings import offsets_text
from bot.services import cell_settings, meetings
from bot.services.errors import InvalidInput

SKIP = "~skip"
PRESETS = [[4320, 1440, 120], [1440, 120], [120], []]
THEMED = {MeetingKind.THEMATIC, MeetingKind.COMBINED}


def kind_of(ctx: FlowContext) -> MeetingKind:
    """Returns the kind of meeting the form is about."""
    return MeetingKind(ctx.answers["kind"])


# --- readings of the answers ---------------------------------------------------------------


def topic_of(answer: Any) -> str:
    """Returns the theme answered ("" when skipped)."""
    return "" if answer in {None, SKIP} else str(answer)


def member_of(answer: Any) -> int | None:
    """Returns the member chosen as chair or presenter (None: nobody)."""
    return None if answer in {None, NOBODY} else int(answer)


def agenda_of(answer: Any) -> list[str]:
    """Returns the agenda items answered ([] when skipped)."""
    return [] if answer is None or answer == SKIP else [str(item) for item in answer]


def offsets_of(answer: Any) -> list[int]:
    """Returns the reminder offsets answered, in minutes before the start."""
    return [] if answer == "none" else [int(x) for x in str(answer).split(",")]


# --- the questions -------------------------------------------------------------------------


def _topic_prompt(ctx: FlowContext) -> str:
    if kind_of(ctx) in THEMED:
        return ctx.t.gettext(
            "The theme of the thematic meeting (for example: Học tập và làm theo tư tưởng, "
            "đạo đức, phong cách Hồ Chí Minh):"
        )
    return ctx.t.gettext("The main content of the meeting (or tap Skip):")


def _topic_options(ctx: FlowContext) -> list[Option]:
    if kind_of(ctx) in THEMED:
        return []
    return [Option(SKIP, ctx.t.gettext("Skip"))]


def parse_topic(ctx: FlowContext, text: str) -> Any:
    """Reads a typed theme."""
    try:
        topic = meetings.validate_topic(text)
    except InvalidInput as exc:
        raise invalid(ctx, exc) from exc
    if not topic:
        raise invalid(ctx, InvalidInput("topic_empty"))
    return topic


def _duration_options(ctx: FlowContext) -> list[Option]:
    recommended = 120 if kind_of(ctx) == MeetingKind.COMBINED else 90
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


def parse_duration_answer(ctx: FlowContext, text: str) -> Any:
    """Reads a typed length, from SHORTEST minutes to LONGEST."""
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


def parse_place(ctx: FlowContext, text: str) -> Any:
    """Reads a typed place or link."""
    try:
        return meetings.validate_place(text)
    except InvalidInput as exc:
        raise invalid(ctx, exc) from exc


def _chair_options(ctx: FlowContext) -> list[Option]:
    committee = kind_of(ctx) == MeetingKind.COMMITTEE
    return member_options(
        ctx, none_label=ctx.t.gettext("Not decided yet"), committee_only=committee
    )


def _presenter_options(ctx: FlowContext) -> list[Option]:
    committee = kind_of(ctx) == MeetingKind.COMMITTEE
    return member_options(ctx, none_label=ctx.t.gettext("No presenter"), committee_only=committee)


def parse_agenda(ctx: FlowContext, text: str) -> Any:
    """Reads typed agenda items, one per line."""
    try:
        return meetings.parse_agenda(text)
    except InvalidInput as exc:
        raise invalid(ctx, exc) from exc


def _reminder_options(ctx: FlowContext) -> list[Option]:
    # The cell's default (/caidat) comes first.
    default = cell_settings.default_offsets(chosen_org(ctx))
    presets = [default, *(p for p in PRESETS if p != default)]
    return [
        Option(",".join(str(m) for m in preset) or "none", offsets_text(ctx.t, preset))
        for preset in presets
    ]


def parse_reminders(ctx: FlowContext, text: str) -> Any:
    """Reads typed reminder offsets ("2 days, 3 hours")."""
    try:
        offsets = meetings.parse_offsets(text)
    except InvalidInput as exc:
        raise invalid(ctx, exc) from exc
    return ",".join(str(m) for m in offsets) or "none"


def topic_step() -> Step:
    """The theme (or, for a regular meeting, the main content, which may be skipped)."""
    return Step("topic", StepKind.TEXT, _topic_prompt, options=_topic_options, parse=parse_topic)


def duration_step() -> Step:
    """How long the meeting lasts, in minutes."""
    return Step(
        "duration",
        StepKind.TEXT,
        _duration_prompt,
        options=_duration_options,
        parse=parse_duration_answer,
        columns=3,
        echo=_duration_echo,
    )


def place_step() -> Step:
    """Where the meeting is held (or its link)."""
    return Step(
        "place",
        StepKind.TEXT,
        lambda ctx: ctx.t.gettext("Where? Type the place, or an online meeting link."),
        parse=parse_place,
    )


def chair_step() -> Step:
    """Who chairs."""
    return Step(
        "chair",
        StepKind.CHOICE,
        lambda ctx: ctx.t.gettext("Who chairs the meeting?"),
        options=_chair_options,
        columns=2,
    )


def presenter_step() -> Step:
    """Who presents."""
    return Step(
        "presenter",
        StepKind.CHOICE,
        lambda ctx: ctx.t.gettext("Who presents (báo cáo viên)?"),
        options=_presenter_options,
        columns=2,
    )


def agenda_step() -> Step:
    """The agenda items."""
    return Step(
        "agenda",
        StepKind.TEXT,
        lambda ctx: ctx.t.gettext("Agenda items, one per line (or tap Skip):"),
        options=lambda ctx: [Option(SKIP, ctx.t.gettext("Skip"))],
        parse=parse_agenda,
    )


def reminders_step() -> Step:
    """When members are reminded before the start."""
    return Step(
        "reminders",
        StepKind.TEXT,
        lambda ctx: ctx.t.gettext(
            "When should I remind members? Tap one, or type e.g. “2 days, 3 hours”."
        ),
        options=_reminder_options,
        parse=parse_reminders,
    )

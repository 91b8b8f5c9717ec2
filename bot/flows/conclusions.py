"""The conclusion form: kết luận and assigned tasks, previewed, then posted to the group."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.date_examples import example_day, noon_of, short_day
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind
from bot.i18n import N_, Translator
from bot.models import Meeting, Organisation
from bot.render import error_text
from bot.render_meetings import kind_label
from bot.render_tasks import task_screen
from bot.services import conclusions, meetings, members, notices
from bot.services.conclusions import TaskDraft
from bot.services.errors import InvalidInput, NotFound
from bot.services.tasks import notify_owners
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

SKIP = "~skip"


def _meeting(ctx: FlowContext) -> Meeting:
    return meetings.get_meeting(session=ctx.session, meeting_id=int(ctx.params["meeting_id"]))


def _org(ctx: FlowContext) -> Organisation:
    org = ctx.session.get(Organisation, _meeting(ctx).org_id)
    if org is None:
        raise NotFound("org_not_found")
    return org


def _check(ctx: FlowContext) -> None:
    """Refuses before the first question what the last step would refuse anyway: a stranger,
    a cancelled or future meeting, a conclusion recorded already (by another committee member,
    or from an older report's button)."""
    meeting = _meeting(ctx)
    members.require_committee(session=ctx.session, person=ctx.person, org_id=meeting.org_id)
    conclusions.require_open(meeting, ctx.now)


def _parse_conclusion(ctx: FlowContext, text: str) -> Any:
    try:
        return conclusions.validate_conclusion(text)
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc


def _tasks(ctx: FlowContext, text: str) -> list[TaskDraft]:
    roster = members.active_members(session=ctx.session, org_id=_meeting(ctx).org_id)
    return conclusions.parse_tasks(
        text=text, roster=roster, now=ctx.now, tz=ZoneInfo(_org(ctx).timezone)
    )


def _parse_tasks(ctx: FlowContext, text: str) -> Any:
    try:
        _tasks(ctx, text)
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc
    return text


def _drafts(ctx: FlowContext) -> list[TaskDraft]:
    typed = str(ctx.answers.get("tasks", SKIP))
    return [] if typed == SKIP else _tasks(ctx, typed)


def _passed(ctx: FlowContext) -> list[TaskDraft]:
    return [d for d in _drafts(ctx) if d.passed is not None]


def _tasks_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    today = ctx.now.astimezone(ZoneInfo(_org(ctx).timezone)).date()
    example = t.gettext(
        "Trần Thị Lan: prepare the fourth-quarter report — {day}",
        day=short_day(t, example_day(today)),
    )
    return t.gettext(
        "Tasks assigned, one per line as “Name: task — due date”, e.g. “{example}” (or tap Skip):",
        example=example,
    )


def _tasks_echo(ctx: FlowContext, typed: bool) -> str | None:
    drafts = _drafts(ctx)
    if not typed or not drafts or _passed(ctx):
        return None
    t = ctx.t
    days = "; ".join(
        f"{escape(d.owner_name)} — {t.weekday_date_text(noon_of(t, d.due_on))}" for d in drafts
    )
    return t.gettext("Due dates understood: {days}.", days=days)


def _check_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    lines = [
        f"{escape(d.owner_name)}: "
        + t.gettext(
            "{passed} has already passed — did you mean {meant}?",
            passed=t.date_text(d.passed),
            meant=t.date_text(d.due_on),
        )
        for d in _passed(ctx)
        if d.passed is not None
    ]
    return "\n".join(lines)


def _check_options(ctx: FlowContext) -> list[Option]:
    return [
        Option("yes", ctx.t.gettext("Yes, next year")),
        Option("no", ctx.t.gettext("No, I will type the tasks again")),
    ]


def conclusion_text(
    t: Translator,
    meeting: Meeting,
    conclusion: str,
    tasks: list[tuple[str, str, date]],
    corrected: bool = False,
) -> str:
    """Returns the conclusion as the group sees it (`corrected`: a new version of one posted)."""
    if corrected:
        head = t.gettext(
            "📝 <b>Conclusion (corrected)</b> — {kind}, {when}",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        )
    else:
        head = t.gettext(
            "📝 <b>Conclusion</b> — {kind}, {when}",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        )
    lines = [head, escape(conclusion)]
    if tasks:
        lines.append(t.gettext("<b>Tasks assigned:</b>"))
        lines.extend(
            t.gettext(
                "• {name}: {task} — due {day}",
                name=escape(name),
                task=escape(task),
                day=t.date_text(due),
            )
            for name, task, due in tasks
        )
    return "\n".join(lines)


def _confirm_prompt(ctx: FlowContext) -> str:
    tasks = [(d.owner_name, d.description, d.due_on) for d in _drafts(ctx)]
    body = conclusion_text(ctx.t, _meeting(ctx), str(ctx.answers["conclusion"]), tasks)
    if _org(ctx).group_chat_id:
        question = ctx.t.gettext("Post this to the group?")
    else:
        question = ctx.t.gettext("Send this to the cell's members?")
    return question + "\n\n" + body


def _complete(ctx: FlowContext) -> Screen:
    drafts = _drafts(ctx)
    meeting = conclusions.record(
        session=ctx.session,
        meeting_id=int(ctx.params["meeting_id"]),
        conclusion=str(ctx.answers["conclusion"]),
        tasks=drafts,
        actor=ctx.person,
        now=ctx.now,
    )
    org = _org(ctx)
    tasks = [(d.owner_name, d.description, d.due_on) for d in drafts]
    text = meeting.conclusion or ""
    notices.announce_meeting(
        session=ctx.session,
        org=org,
        kind=meeting.kind,
        build=lambda t: Screen(conclusion_text(t, meeting, text, tasks)),
        key=f"conclusion:{meeting.id}",
        now=ctx.now,
    )
    notify_owners(
        session=ctx.session,
        org=org,
        meeting=meeting,
        build=lambda t, task: task_screen(t, meeting, task),
        now=ctx.now,
    )
    keyboard = correct_keyboard(ctx.t, meeting)
    if org.group_chat_id:
        return Screen(ctx.t.gettext("Posted to the group and kept with the meeting."), keyboard)
    return Screen(ctx.t.gettext("Sent to the cell's members and kept with the meeting."), keyboard)


def correct_keyboard(t: Translator, meeting: Meeting) -> Keyboard:
    """The committee's way to correct a posted conclusion."""
    label = t.gettext("✏️ Correct the conclusion")
    return [[Button(label, data=choice("kf", meeting.id or 0))]]


def posted_screen(t: Translator, meeting: Meeting) -> Screen:
    """A posted conclusion as the committee finds it again, with the way to correct it."""
    text = t.gettext("The conclusion of this meeting was posted:") + "\n\n"
    text += escape(meeting.conclusion or "")
    return Screen(text, correct_keyboard(t, meeting))


CONCLUSION_FLOW = Flow(
    name="conclusion",
    title=N_("Meeting conclusion"),
    check=_check,
    steps=(
        Step(
            "conclusion",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext("Type the meeting's conclusion (kết luận):"),
            parse=_parse_conclusion,
        ),
        Step(
            "tasks",
            StepKind.TEXT,
            _tasks_prompt,
            options=lambda ctx: [Option(SKIP, ctx.t.gettext("Skip"))],
            parse=_parse_tasks,
            echo=_tasks_echo,
        ),
        Step(
            "tasks_check",
            StepKind.CHOICE,
            _check_prompt,
            options=_check_options,
            when=lambda ctx: bool(_passed(ctx)),
            back_to=lambda _ctx, value: "tasks" if value == "no" else None,
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt),
    ),
    complete=_complete,
)


# --- correcting a posted conclusion ----------------------------------------------------------


def _check_correction(ctx: FlowContext) -> None:
    meeting = _meeting(ctx)
    members.require_committee(session=ctx.session, person=ctx.person, org_id=meeting.org_id)
    conclusions.require_concluded(meeting)


def _correction_prompt(ctx: FlowContext) -> str:
    posted = escape(_meeting(ctx).conclusion or "")
    return (
        ctx.t.gettext("The conclusion as posted:")
        + "\n"
        + posted
        + "\n\n"
        + ctx.t.gettext(
            "Type the whole corrected conclusion (it replaces the text above; the tasks stay):"
        )
    )


def _correction_confirm(ctx: FlowContext) -> str:
    body = conclusion_text(
        ctx.t, _meeting(ctx), str(ctx.answers["conclusion"]), [], corrected=True
    )
    return ctx.t.gettext("Post this correction to the same people?") + "\n\n" + body


def _complete_correction(ctx: FlowContext) -> Screen:
    meeting, _ = conclusions.correct(
        session=ctx.session,
        meeting_id=int(ctx.params["meeting_id"]),
        conclusion=str(ctx.answers["conclusion"]),
        actor=ctx.person,
        now=ctx.now,
    )
    org = _org(ctx)
    text = meeting.conclusion or ""
    notices.announce_meeting(
        session=ctx.session,
        org=org,
        kind=meeting.kind,
        build=lambda t: Screen(conclusion_text(t, meeting, text, [], corrected=True)),
        # Each correction is a message of its own.
        key=f"conclusion-fix:{meeting.id}:{ctx.now:%Y%m%d%H%M%S}",
        now=ctx.now,
    )
    return Screen(
        ctx.t.gettext("The corrected conclusion was posted and kept with the meeting."),
        correct_keyboard(ctx.t, meeting),
    )


CORRECTION_FLOW = Flow(
    name="correct_conclusion",
    title=N_("Correcting a conclusion"),
    check=_check_correction,
    steps=(
        Step("conclusion", StepKind.TEXT, _correction_prompt, parse=_parse_conclusion),
        Step("confirm", StepKind.CONFIRM, _correction_confirm),
    ),
    complete=_complete_correction,
)

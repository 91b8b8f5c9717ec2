"""The reason of an excused absence: a common reason in one tap, or "another reason" typed."""

from __future__ import annotations

from typing import Any

from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.i18n import N_
from bot.models import Meeting, RsvpAnswer
from bot.render import error_text
from bot.render_meetings import REASON_LABELS, kind_label, reason_text, rsvp_keyboard
from bot.services import meetings, members, rsvps
from bot.services.errors import InvalidInput
from bot.ui import Screen

FLOW_NAME = "rsvp_reason"
OTHER = "other"  # "another reason": the next question takes it typed


def _meeting(ctx: FlowContext) -> Meeting:
    return meetings.get_meeting(session=ctx.session, meeting_id=int(ctx.params["meeting_id"]))


def _options(ctx: FlowContext) -> list[Option]:
    options = [Option(code, ctx.t.gettext(REASON_LABELS[code])) for code in rsvps.REASON_CODES]
    return [*options, Option(OTHER, ctx.t.gettext("Another reason (type it)"))]


def _prompt(ctx: FlowContext) -> str:
    meeting = _meeting(ctx)
    return ctx.t.gettext(
        "What is the reason for your absence from the {kind} at {when}? Tap one or type it. "
        "Only the cell committee sees it.",
        kind=kind_label(ctx.t, meeting.kind),
        when=ctx.t.when_text(meeting.starts_at),
    )


def _parse(ctx: FlowContext, text: str) -> Any:
    """A typed reason, kept apart from the options' values (a reason typed as "other" is
    text, not the option)."""
    try:
        return {"typed": rsvps.typed_reason(text)}
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc


def _complete(ctx: FlowContext) -> Screen:
    chosen = ctx.answers["reason"]
    typed = ctx.answers.get("typed") if chosen == OTHER else chosen
    meeting, _, answer = rsvps.answer_rsvp(
        session=ctx.session,
        meeting_id=int(ctx.params["meeting_id"]),
        person=ctx.person,
        answer=RsvpAnswer.EXCUSED,
        now=ctx.now,
        reason=str(typed["typed"]) if isinstance(typed, dict) else None,
        reason_code=str(typed) if isinstance(typed, str) else None,
    )
    return Screen(
        ctx.t.gettext(
            "Noted: you will be absent from the {kind} at {when} (reason: {reason}). You can "
            "change your answer until the meeting starts.",
            kind=kind_label(ctx.t, meeting.kind),
            when=ctx.t.when_text(meeting.starts_at),
            reason=reason_text(ctx.t, answer.reason),
        ),
        rsvp_keyboard(ctx.t, meeting),
    )


def _member_id(ctx: FlowContext, meeting: Meeting) -> int:
    member = members.membership_in(session=ctx.session, person=ctx.person, org_id=meeting.org_id)
    return (member.id or 0) if member is not None else 0


def _cancelled(ctx: FlowContext) -> Screen:
    """Leaving the question keeps the excused absence recorded at the tap: say so, with the
    reason given earlier if there is one."""
    meeting = _meeting(ctx)
    answer = rsvps.answer_of(
        session=ctx.session, meeting_id=meeting.id or 0, member_id=_member_id(ctx, meeting)
    )
    if answer is None or answer.answer != RsvpAnswer.EXCUSED:
        return Screen(ctx.t.gettext("Cancelled. Nothing was changed."))
    if answer.reason:
        text = ctx.t.gettext(
            "Recorded: excused absence (reason: {reason}).",
            reason=reason_text(ctx.t, answer.reason),
        )
    else:
        text = ctx.t.gettext("Recorded: excused absence, no reason given yet.")
    return Screen(text, rsvp_keyboard(ctx.t, meeting))


RSVP_REASON_FLOW = Flow(
    name=FLOW_NAME,
    title=N_("Reason for absence"),
    steps=(
        Step("reason", StepKind.TEXT, _prompt, parse=_parse, options=_options),
        Step(
            "typed",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext("Type the reason, please:"),
            parse=_parse,
            when=answered("reason", OTHER),
            limit=rsvps.MAX_REASON,
        ),
    ),
    complete=_complete,
    on_cancel=_cancelled,
)


def is_asking(params: dict[str, Any], flow: str, meeting_id: int) -> bool:
    """Tells whether an open form (its name and params) is this question for `meeting_id`."""
    return flow == FLOW_NAME and int(params.get("meeting_id") or 0) == meeting_id

"""Forms about an existing meeting: the reason of an excused absence, and moving or cancelling."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.datetext import DateTextError, ParsedTime, combine, parse_when
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.models import Meeting, Organisation, RsvpAnswer
from bot.render import error_text
from bot.render_meetings import cancel_text, change_text, kind_label, rsvp_keyboard
from bot.services import meetings, members, notices, rsvps
from bot.services.errors import InvalidInput, NotFound
from bot.text import clean_line, escape
from bot.ui import Screen


def _meeting(ctx: FlowContext) -> Meeting:
    return meetings.get_meeting(session=ctx.session, meeting_id=int(ctx.params["meeting_id"]))


def _org(ctx: FlowContext, meeting: Meeting) -> Organisation:
    org = ctx.session.get(Organisation, meeting.org_id)
    if org is None:
        raise NotFound("org_not_found")
    return org


# --- the reason of an excused absence -------------------------------------------------------


def _reason_labels(ctx: FlowContext) -> dict[str, str]:
    t = ctx.t
    return {
        "business_trip": t.gettext("Business trip or study"),
        "illness": t.gettext("Illness"),
        "family": t.gettext("Family matters"),
    }


def _reason_prompt(ctx: FlowContext) -> str:
    meeting = _meeting(ctx)
    return ctx.t.gettext(
        "What is the reason for your absence from the {kind} at {when}? Tap one or type it. "
        "Only the cell committee sees it.",
        kind=kind_label(ctx.t, meeting.kind),
        when=ctx.t.when_text(meeting.starts_at),
    )


def _parse_reason(ctx: FlowContext, text: str) -> Any:
    reason = clean_line(text)
    if not reason:
        raise InvalidAnswer(error_text(ctx.t, InvalidInput("reason_empty")))
    if len(reason) > rsvps.MAX_REASON:
        raise InvalidAnswer(
            error_text(ctx.t, InvalidInput("reason_too_long", limit=rsvps.MAX_REASON))
        )
    return reason


def _complete_reason(ctx: FlowContext) -> Screen:
    chosen = str(ctx.answers["reason"])
    reason = _reason_labels(ctx).get(chosen, chosen)
    meeting, _, _ = rsvps.answer_rsvp(
        session=ctx.session,
        meeting_id=int(ctx.params["meeting_id"]),
        person=ctx.person,
        answer=RsvpAnswer.EXCUSED,
        now=ctx.now,
        reason=reason,
    )
    return Screen(
        ctx.t.gettext(
            "Noted: you will be absent from the {kind} at {when} (reason: {reason}). You can "
            "change your answer until the meeting starts.",
            kind=kind_label(ctx.t, meeting.kind),
            when=ctx.t.when_text(meeting.starts_at),
            reason=escape(reason),
        ),
        rsvp_keyboard(ctx.t, meeting),
    )


RSVP_REASON_FLOW = Flow(
    name="rsvp_reason",
    steps=(
        Step(
            "reason",
            StepKind.TEXT,
            _reason_prompt,
            parse=_parse_reason,
            options=lambda ctx: [Option(k, v) for k, v in _reason_labels(ctx).items()],
        ),
    ),
    complete=_complete_reason,
)


# --- moving, changing the place, cancelling ------------------------------------------------

MOVE, PLACE, CANCEL = "move", "place", "cancel"


def _check_editor(ctx: FlowContext) -> None:
    meeting = _meeting(ctx)
    members.require_committee(session=ctx.session, person=ctx.person, org_id=meeting.org_id)


def _action_prompt(ctx: FlowContext) -> str:
    meeting = _meeting(ctx)
    return ctx.t.gettext(
        "{kind} at {when}: what would you like to change?",
        kind=kind_label(ctx.t, meeting.kind),
        when=ctx.t.when_text(meeting.starts_at),
    )


def _action_options(ctx: FlowContext) -> list[Option]:
    return [
        Option(MOVE, ctx.t.gettext("Change the date or time")),
        Option(PLACE, ctx.t.gettext("Change the place")),
        Option(CANCEL, ctx.t.gettext("Cancel meeting")),
    ]


def _tz(ctx: FlowContext) -> ZoneInfo:
    return ZoneInfo(_org(ctx, _meeting(ctx)).timezone)


def _parse_new_when(ctx: FlowContext, text: str) -> Any:
    meeting = _meeting(ctx)
    tz = _tz(ctx)
    try:
        day, at = parse_when(text, now=ctx.now, tz=tz)
    except DateTextError as exc:
        raise InvalidAnswer(error_text(ctx.t, InvalidInput(f"date_{exc.reason}"))) from exc
    local = meeting.starts_at.astimezone(tz)
    new_day = day.day if day is not None else local.date()
    new_time = at if at is not None else ParsedTime(local.hour, local.minute)
    starts = combine(new_day, new_time, tz)
    if starts <= ctx.now:
        raise InvalidAnswer(error_text(ctx.t, InvalidInput("meeting_in_past")))
    return starts.isoformat()


def _parse_place(ctx: FlowContext, text: str) -> Any:
    try:
        return meetings.validate_place(text)
    except InvalidInput as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc


def _confirm_prompt(ctx: FlowContext) -> str:
    t = ctx.t
    meeting = _meeting(ctx)
    action = ctx.answers["action"]
    if action == CANCEL:
        return t.gettext(
            "Cancel the {kind} at {when}? Everyone will be told.",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        )
    if action == MOVE:
        new = datetime.fromisoformat(ctx.answers["when"])
        return t.gettext(
            "Move the meeting from {before} to {after}? Everyone will be told and the "
            "reminders will follow the new time.",
            before=t.when_text(meeting.starts_at),
            after=t.when_text(new),
        )
    return t.gettext(
        "Change the place to “{place}”? Everyone will be told.",
        place=escape(str(ctx.answers["place"])),
    )


def _complete_change(ctx: FlowContext) -> Screen:
    action = ctx.answers["action"]
    version = int(ctx.params["version"])
    meeting_id = int(ctx.params["meeting_id"])
    if action == CANCEL:
        meeting = meetings.cancel_meeting(
            session=ctx.session,
            meeting_id=meeting_id,
            version=version,
            actor=ctx.person,
            now=ctx.now,
        )
        org = _org(ctx, meeting)
        notices.announce_meeting(
            session=ctx.session,
            org=org,
            kind=meeting.kind,
            build=lambda t: Screen(cancel_text(t, meeting, org)),
            key=f"change:{meeting.id}:v{meeting.version}",
            now=ctx.now,
        )
        return Screen(ctx.t.gettext("Cancelled, and everyone was told."))
    current = meetings.get_meeting(session=ctx.session, meeting_id=meeting_id)
    # What it was, for the notice's "old → new" (a copy: the row itself is about to change).
    before = Meeting(starts_at=current.starts_at, place=current.place, org_id=current.org_id)
    meeting = meetings.reschedule(
        session=ctx.session,
        meeting_id=meeting_id,
        version=version,
        actor=ctx.person,
        now=ctx.now,
        starts_at=datetime.fromisoformat(ctx.answers["when"]) if action == MOVE else None,
        place=ctx.answers["place"] if action == PLACE else None,
    )
    org = _org(ctx, meeting)
    names = members.names_by_id(
        session=ctx.session,
        org_id=meeting.org_id,
        member_ids=[meeting.chair_member_id, meeting.presenter_member_id],
    )
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


EDIT_MEETING_FLOW = Flow(
    name="edit_meeting",
    check=_check_editor,
    steps=(
        Step("action", StepKind.CHOICE, _action_prompt, options=_action_options),
        Step(
            "when",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "The new day and/or time (e.g. 27/11 19:30, thứ 6 tuần sau, 20h):"
            ),
            parse=_parse_new_when,
            when=answered("action", MOVE),
        ),
        Step(
            "place",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext("The new place or link:"),
            parse=_parse_place,
            when=answered("action", PLACE),
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt),
    ),
    complete=_complete_change,
)

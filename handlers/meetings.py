"""Meetings in the chat: /taohop, /lichhop with .ics files, RSVP buttons, answers, edits."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.calendar_files import meeting_ics
from bot.models import COMMITTEE_ROLES, Meeting, Organisation, RsvpAnswer
from bot.render_meetings import (
    answers_text,
    kind_label,
    meeting_card,
    names_of,
    rsvp_keyboard,
    rsvp_label,
)
from bot.services import meetings, members
from bot.services.errors import NotAllowed
from bot.ui import Button, FileOut, Screen
from handlers.base import Reply, Turn, interact
from handlers.context import ChibotApp, ChibotContext
from handlers.roster import private_only
from handlers.start import outcome_reply


def _new_meeting(turn: Turn) -> Reply:
    private_only(turn)
    outcome = turn.deps.flows.start(
        session=turn.session,
        name="new_meeting",
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
    )
    return outcome_reply(outcome)


async def new_meeting_command(update: Update, context: ChibotContext) -> None:
    """Opens the form that schedules a meeting (committee)."""
    await interact(update, context, _new_meeting)


def _meeting_screen(turn: Turn, meeting: Meeting, org: Organisation, committee: bool) -> Screen:
    roster = members.active_members(session=turn.session, org_id=org.id or 0)
    names = names_of(roster)
    mine = members.membership_in(session=turn.session, person=turn.person, org_id=org.id or 0)
    answers = meetings.rsvps(session=turn.session, meeting_id=meeting.id or 0)
    answer = answers.get(mine.id or 0) if mine is not None else None
    text = meeting_card(turn.t, meeting, org, names)
    text += "\n" + turn.t.gettext(
        "Your answer: {answer}.", answer=rsvp_label(turn.t, answer.answer if answer else None)
    )
    keyboard = rsvp_keyboard(turn.t, meeting)
    if committee:
        keyboard.append(
            [
                Button(turn.t.gettext("👥 Answers"), data=f"ma|{meeting.id}"),
                Button(turn.t.gettext("✏️ Change or cancel"), data=f"me|{meeting.id}"),
            ]
        )
    return Screen(text, keyboard)


def _meetings(turn: Turn) -> Reply:
    cells = members.memberships(session=turn.session, person=turn.person)
    if not cells:
        raise NotAllowed("not_in_cell")
    reply = Reply()
    for member, org in cells:
        committee = member.role in COMMITTEE_ROLES
        for meeting in meetings.upcoming(
            session=turn.session, org_id=org.id or 0, now=turn.now, limit=5
        ):
            reply.screens.append(_meeting_screen(turn, meeting, org, committee))
            reply.files.append(
                FileOut(
                    filename=f"hop-chi-bo-{meeting.starts_at.astimezone(turn.t.tz):%Y-%m-%d}.ics",
                    content=meeting_ics(turn.t, meeting, org, turn.now),
                    caption=turn.t.gettext(
                        "Add to your phone calendar: {kind}, {when}.",
                        kind=kind_label(turn.t, meeting.kind),
                        when=turn.t.when_text(meeting.starts_at),
                    ),
                )
            )
    if not reply.screens:
        reply.screens.append(Screen(turn.t.gettext("No upcoming meetings.")))
    return reply


async def meetings_command(update: Update, context: ChibotContext) -> None:
    """Lists upcoming meetings with my answer, and attaches a calendar file for each."""
    await interact(update, context, _meetings)


def _rsvp(turn: Turn) -> Reply:
    _, meeting_id, verdict = turn.data.split("|")
    if verdict == "a":
        meeting, _, _ = meetings.answer_rsvp(
            session=turn.session,
            meeting_id=int(meeting_id),
            person=turn.person,
            answer=RsvpAnswer.ATTENDING,
            now=turn.now,
        )
        return Reply(toast=turn.t.gettext("Noted: you will attend. Thank you, comrade."))
    meeting = meetings.get_meeting(session=turn.session, meeting_id=int(meeting_id))
    # Check now, so that a stranger or a late tap gets its answer before any form opens.
    meetings.answer_rsvp(
        session=turn.session,
        meeting_id=meeting.id or 0,
        person=turn.person,
        answer=RsvpAnswer.EXCUSED,
        now=turn.now,
    )
    private_key = (
        turn.key
        if not turn.in_group
        else type(turn.key)(turn.key.channel, turn.person.external_id, turn.person.external_id)
    )
    outcome = turn.deps.flows.start(
        session=turn.session,
        name="rsvp_reason",
        key=private_key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={"meeting_id": meeting.id},
    )
    toast = turn.t.gettext("Noted: excused absence. Please tell me the reason privately.")
    return Reply(toast=toast, private=[outcome.screen])


async def rsvp_button(update: Update, context: ChibotContext) -> None:
    """Records Tham dự, or Vắng có lý do and then asks the reason privately."""
    await interact(update, context, _rsvp)


def _answers(turn: Turn) -> Reply:
    meeting = meetings.get_meeting(session=turn.session, meeting_id=int(turn.data.split("|")[1]))
    members.require_committee(session=turn.session, person=turn.person, org_id=meeting.org_id)
    roster = meetings.expected_members(session=turn.session, org_id=meeting.org_id)
    answers = meetings.rsvps(session=turn.session, meeting_id=meeting.id or 0)
    return Reply(screens=[Screen(answers_text(turn.t, meeting, roster, answers))])


async def answers_button(update: Update, context: ChibotContext) -> None:
    """Shows the committee who answered what, with the reasons of excused absences."""
    await interact(update, context, _answers)


def _edit(turn: Turn) -> Reply:
    meeting = meetings.get_meeting(session=turn.session, meeting_id=int(turn.data.split("|")[1]))
    outcome = turn.deps.flows.start(
        session=turn.session,
        name="edit_meeting",
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={"meeting_id": meeting.id, "version": meeting.version},
    )
    return Reply(screens=[outcome.screen])


async def edit_button(update: Update, context: ChibotContext) -> None:
    """Opens the form to move, re-place or cancel a meeting."""
    await interact(update, context, _edit)


def register(application: ChibotApp) -> None:
    """Adds the handlers of this module."""
    application.add_handler(CommandHandler(["taohop", "newmeeting"], new_meeting_command))
    application.add_handler(CommandHandler(["lichhop", "meetings"], meetings_command))
    application.add_handler(CallbackQueryHandler(rsvp_button, pattern=r"^rsvp\|\d+\|[ax]$"))
    application.add_handler(CallbackQueryHandler(answers_button, pattern=r"^ma\|\d+$"))
    application.add_handler(CallbackQueryHandler(edit_button, pattern=r"^me\|\d+$"))

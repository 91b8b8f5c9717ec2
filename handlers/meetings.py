"""Meetings in the chat: /taohop, /lichhop with .ics files, RSVP buttons, answers, edits."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.calendar_files import meeting_ics
from bot.flows.engine import FlowKey
from bot.models import COMMITTEE_ROLES, Meeting, Organisation, RsvpAnswer
from bot.render_meetings import (
    answers_text,
    kind_label,
    meeting_card,
    names_of,
    rsvp_keyboard,
    rsvp_label,
)
from bot.services import documents, meetings, members
from bot.services.errors import NotAllowed
from bot.text import escape
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
    docs = documents.documents_of(session=turn.session, meeting_id=meeting.id or 0)
    if docs:
        read = documents.readers(session=turn.session, document_ids=[d.id or 0 for d in docs])
        expected = len(meetings.expected_members(session=turn.session, org_id=org.id or 0))
        text += "\n" + turn.t.gettext("Documents:")
        for doc in docs:
            line = f"  📎 {escape(doc.file_name)}"
            if committee:
                line += " " + turn.t.gettext(
                    "(read by {n} of {total})", n=len(read[doc.id or 0]), total=expected
                )
            elif mine is not None and mine.id in read[doc.id or 0]:
                line += " ✓"
            text += "\n" + line
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
    # The reason is asked in the person's private chat, wherever the button was tapped.
    private_key = FlowKey(turn.key.channel, turn.person.external_id, turn.person.external_id)
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
    text = answers_text(turn.t, meeting, roster, answers)
    docs = documents.documents_of(session=turn.session, meeting_id=meeting.id or 0)
    read = documents.readers(session=turn.session, document_ids=[d.id or 0 for d in docs])
    for doc in docs:
        unread = [m.full_name for m in roster if m.id not in read[doc.id or 0]]
        text += "\n" + turn.t.gettext(
            "📎 {name}: read by {n} of {total}.",
            name=escape(doc.file_name),
            n=turn.t.number(len(roster) - len(unread)),
            total=turn.t.number(len(roster)),
        )
        if unread:
            text += " " + turn.t.gettext(
                "Not yet: {names}", names=", ".join(escape(n) for n in unread)
            )
    return Reply(screens=[Screen(text)])


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


def _document(turn: Turn, incoming: documents.IncomingFile) -> Reply:
    outcome = turn.deps.flows.start(
        session=turn.session,
        name="attach_document",
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={
            "file_id": incoming.file_id,
            "file_name": incoming.file_name,
            "mime_type": incoming.mime_type,
            "size": incoming.size,
        },
    )
    return outcome_reply(outcome)


async def document_message(update: Update, context: ChibotContext) -> None:
    """Takes a file sent privately by a committee member and asks which meeting it is for."""
    message = update.effective_message
    if message is None:
        return
    if message.document is not None:
        doc = message.document
        incoming = documents.IncomingFile(
            doc.file_id, doc.file_name or "tai-lieu", doc.mime_type, doc.file_size or 0
        )
    elif message.photo:
        photo = message.photo[-1]
        incoming = documents.IncomingFile(
            photo.file_id, "anh.jpg", "image/jpeg", photo.file_size or 0
        )
    else:
        return
    await interact(update, context, lambda turn: _document(turn, incoming))


def _read(turn: Turn) -> Reply:
    documents.mark_read(
        session=turn.session,
        document_id=int(turn.data.split("|")[1]),
        person=turn.person,
        now=turn.now,
    )
    return Reply(toast=turn.t.gettext("Noted: you have read the document. Thank you, comrade."))


async def read_button(update: Update, context: ChibotContext) -> None:
    """Records that the member has read a meeting document."""
    await interact(update, context, _read)


def register(application: ChibotApp) -> None:
    """Adds the handlers of this module."""
    application.add_handler(CommandHandler(["taohop", "newmeeting"], new_meeting_command))
    application.add_handler(CommandHandler(["lichhop", "meetings"], meetings_command))
    application.add_handler(CallbackQueryHandler(rsvp_button, pattern=r"^rsvp\|\d+\|[ax]$"))
    application.add_handler(CallbackQueryHandler(answers_button, pattern=r"^ma\|\d+$"))
    application.add_handler(CallbackQueryHandler(edit_button, pattern=r"^me\|\d+$"))
    application.add_handler(CallbackQueryHandler(read_button, pattern=r"^dr\|\d+$"))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & (filters.Document.ALL | filters.PHOTO), document_message
        )
    )

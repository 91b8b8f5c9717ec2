"""Meetings: /taohop, /lichhop with .ics files, the committee's answers, edits and documents."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form, outcome_reply
from bot.actions.registry import ActionRegistry
from bot.actions.roster import private_only
from bot.calendar_files import meeting_ics
from bot.models import (
    COMMITTEE_ROLES,
    EXPECTED_STATUSES,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Member,
    Organisation,
)
from bot.render_meetings import (
    answers_text,
    delivery_text,
    group_schedule_text,
    kind_label,
    meeting_card,
    rsvp_keyboard,
    rsvp_label,
)
from bot.services import documents, meetings, members, outbox, rsvps, series
from bot.services.errors import NotAllowed
from bot.text import escape
from bot.ui import Button, FileOut, Keyboard, Screen, choice


def new_meeting(turn: Turn) -> Reply:
    """Opens the form that schedules a meeting (committee)."""
    private_only(turn)
    return outcome_reply(open_form(turn, "new_meeting"))


def _meeting_screen(
    turn: Turn, meeting: Meeting, org: Organisation, mine: Member, committee: bool
) -> Screen:
    """One upcoming meeting with my answer: a fixed number of queries and rows, however big
    the cell (the two names by id, my answer alone, the documents' read counts)."""
    org_id = org.id or 0
    names = members.names_by_id(
        session=turn.session,
        org_id=org_id,
        member_ids=[meeting.chair_member_id, meeting.presenter_member_id],
    )
    answer = rsvps.answer_of(
        session=turn.session, meeting_id=meeting.id or 0, member_id=mine.id or 0
    )
    text = meeting_card(turn.t, meeting, org, names)
    text += "\n" + turn.t.gettext(
        "Your answer: {answer}.", answer=rsvp_label(turn.t, answer.answer if answer else None)
    )
    docs = documents.documents_of(session=turn.session, meeting_id=meeting.id or 0)
    if docs:
        doc_ids = [d.id or 0 for d in docs]
        counts: dict[int, int] = {}
        expected = 0
        mine_read: set[int] = set()
        if committee:
            counts = documents.read_counts(session=turn.session, document_ids=doc_ids)
            # Out of those the documents were sent to: joined, expected (the committee alone
            # at a họp chi ủy); members not joined yet got nothing to read.
            expected = members.count_active(
                session=turn.session,
                org_id=org_id,
                statuses=EXPECTED_STATUSES,
                joined=True,
                roles=COMMITTEE_ROLES if meeting.kind == MeetingKind.COMMITTEE else None,
            )
        else:
            mine_read = documents.read_by(
                session=turn.session, member_id=mine.id or 0, document_ids=doc_ids
            )
        text += "\n" + turn.t.gettext("Documents:")
        for doc in docs:
            line = f"  📎 {escape(doc.file_name)}"
            if committee:
                line += " " + turn.t.gettext(
                    "(read by {n} of {total})", n=counts[doc.id or 0], total=expected
                )
            elif doc.id in mine_read:
                line += " ✓"
            text += "\n" + line
    keyboard = rsvp_keyboard(turn.t, meeting)
    if committee:
        keyboard.append(
            [
                Button(turn.t.gettext("👥 Answers"), data=choice("ma", meeting.id or 0)),
                Button(turn.t.gettext("✏️ Change or cancel"), data=choice("me", meeting.id or 0)),
            ]
        )
    return Screen(text, keyboard)


def _group_upcoming(turn: Turn) -> Reply:
    """In a group: one message with the cell's upcoming meetings (never a họp chi ủy, nobody's
    answers); each comrade answers and reads the documents privately."""
    org = turn.group_org
    if org is None or org.id is None:
        return Reply(screens=[Screen(group_schedule_text(turn.t, None, []))])
    found = meetings.upcoming(
        session=turn.session, org_id=org.id, now=turn.now, limit=5, committee=False
    )
    return Reply(screens=[Screen(group_schedule_text(turn.t, org, found))])


def upcoming(turn: Turn) -> Reply:
    """Lists upcoming meetings with my answer, and attaches a calendar file for each (in a
    group, the cell's schedule alone)."""
    if turn.in_group:
        return _group_upcoming(turn)
    cells = members.memberships(session=turn.session, person=turn.person)
    if not cells:
        raise NotAllowed("not_in_cell")
    reply = Reply()
    for member, org in cells:
        committee = member.role in COMMITTEE_ROLES
        for meeting in meetings.upcoming(
            session=turn.session, org_id=org.id or 0, now=turn.now, limit=5, committee=committee
        ):
            reply.screens.append(_meeting_screen(turn, meeting, org, member, committee))
            if not turn.channel.file_upload:
                continue  # a calendar file needs an upload; the card says it all
            reply.files.append(
                FileOut(
                    filename=f"hop-chi-bo-{meeting.starts_at.astimezone(turn.t.tz):%Y-%m-%d}.ics",
                    content=meeting_ics(
                        turn.t,
                        meeting,
                        org,
                        turn.now,
                        series.series_of(session=turn.session, meeting=meeting),
                    ),
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


def answers(turn: Turn, meeting_id: int) -> Reply:
    """Shows the committee who answered what, with the reasons of excused absences."""
    meeting = meetings.get_meeting(session=turn.session, meeting_id=meeting_id)
    members.require_committee(session=turn.session, person=turn.person, org_id=meeting.org_id)
    roster = rsvps.expected_members(session=turn.session, org_id=meeting.org_id)
    found = rsvps.by_member(session=turn.session, meeting_id=meeting.id or 0)
    text = answers_text(turn.t, meeting, roster, found)
    delivered = delivery_text(
        turn.t,
        outbox.meeting_delivery(
            session=turn.session, org_id=meeting.org_id, meeting_id=meeting.id or 0
        ),
    )
    if delivered:
        text += "\n" + delivered
    docs = documents.documents_of(session=turn.session, meeting_id=meeting.id or 0)
    read = documents.readers(session=turn.session, document_ids=[d.id or 0 for d in docs])
    # The documents went to those who have joined (the committee alone at a họp chi ủy):
    # they are counted; the others are listed apart, to be given a paper copy.
    audience = [
        m for m in roster if meeting.kind != MeetingKind.COMMITTEE or m.role in COMMITTEE_ROLES
    ]
    sent_to = [m for m in audience if m.person_id is not None]
    not_joined = [m.full_name for m in audience if m.person_id is None]
    for doc in docs:
        unread = [m.full_name for m in sent_to if m.id not in read[doc.id or 0]]
        text += "\n" + turn.t.gettext(
            "📎 {name}: read by {n} of {total}.",
            name=escape(doc.file_name),
            n=turn.t.number(len(sent_to) - len(unread)),
            total=turn.t.number(len(sent_to)),
        )
        if unread:
            text += " " + turn.t.gettext(
                "Not yet: {names}", names=", ".join(escape(n) for n in unread)
            )
    if docs and not_joined:
        text += "\n" + turn.t.gettext(
            "Not joined yet, so the documents did not reach them: {names}",
            names=", ".join(escape(n) for n in not_joined),
        )
    keyboard: Keyboard = []
    if meeting.status == MeetingStatus.SCHEDULED and meeting.starts_at > turn.now:
        label = turn.t.gettext("🔔 Remind those who have not answered")
        keyboard.append([Button(label, data=choice("mr", meeting.id or 0))])
    return Reply(screens=[Screen(text, keyboard)])


def edit(turn: Turn, meeting_id: int) -> Reply:
    """Opens the form that changes any part of a meeting, or cancels it."""
    meeting = meetings.get_meeting(session=turn.session, meeting_id=meeting_id)
    outcome = open_form(turn, "edit_meeting", meeting_id=meeting.id, version=meeting.version)
    return Reply(screens=[outcome.screen])


def set_theme(turn: Turn, meeting_id: int) -> Reply:
    """Opens the form at the theme of one meeting (an occurrence made without one)."""
    meeting = meetings.get_meeting(session=turn.session, meeting_id=meeting_id)
    outcome = open_form(
        turn, "edit_meeting", meeting_id=meeting.id, version=meeting.version, action="topic"
    )
    return Reply(screens=[outcome.screen])


def document_received(turn: Turn, incoming: documents.IncomingFile) -> Reply:
    """Takes a file sent privately by a committee member and asks which meeting it is for."""
    outcome = open_form(
        turn,
        "attach_document",
        file_id=incoming.file_id,
        file_name=incoming.file_name,
        mime_type=incoming.mime_type,
        size=incoming.size,
        caption=incoming.caption,
    )
    return outcome_reply(outcome)


def document_read(turn: Turn, document_id: int) -> Reply:
    """Records that the member has read a meeting document."""
    documents.mark_read(
        session=turn.session, document_id=document_id, person=turn.person, now=turn.now
    )
    return Reply(toast=turn.t.gettext("Noted: you have read the document. Thank you, comrade."))


def register(actions: ActionRegistry) -> None:
    """Adds this module's commands, choices and the file handler."""
    actions.command(["taohop", "newmeeting"], new_meeting, committee=True)
    actions.command(["lichhop", "meetings"], upcoming)
    actions.choice("ma", answers, int)
    actions.choice("me", edit, int)
    actions.choice("mt", set_theme, int)
    actions.choice("dr", document_read, int)
    actions.file(document_received)
    actions.again("lichhop", "rsvp", "rv", "ma", "me", "dr")

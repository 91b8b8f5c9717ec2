"""Answers to a meeting notice and their receipts: Tham dự / Vắng có lý do shown on the notice
tapped (or in the reply where messages cannot be edited), the reason asked once, and the
committee's reminder to those who have not answered."""

from __future__ import annotations

from datetime import timedelta

from bot.actions.core import Reply, Turn
from bot.actions.registry import ActionRegistry, one_of
from bot.flows import rsvp_reason
from bot.models import Meeting, MeetingStatus, Organisation, RsvpAnswer
from bot.render_meetings import notice_text, rsvp_keyboard
from bot.services import audit, meetings, members, notices, outbox, rsvps
from bot.services.errors import Conflict
from bot.ui import Keyboard, Screen, keyboard_from_json

# The receipt goes under the notice's own text, after this mark: a second answer replaces it.
RECEIPT_MARK = "\n\n☑️ "
# The committee may remind the silent members of one meeting this often.
NUDGE_EVERY = timedelta(hours=1)
NUDGE_ACTION = "meeting.rsvp_nudge"


def _answer_label(turn: Turn, answer: RsvpAnswer) -> str:
    if answer == RsvpAnswer.ATTENDING:
        return turn.t.gettext("Attending")
    return turn.t.gettext("Excused absence")


def _notice_shown(turn: Turn, meeting: Meeting) -> tuple[str, Keyboard]:
    """Returns the text and buttons of the message tapped, from the ledger (without an earlier
    receipt); the meeting's notice when the ledger no longer has it."""
    shown = outbox.shown_message(
        session=turn.session,
        channel=turn.channel.name,
        chat_id=turn.chat_id,
        message_id=turn.incoming.message_id or "",
    )
    if shown is not None:
        text = str(shown["text"]).split(RECEIPT_MARK, 1)[0]
        keyboard = keyboard_from_json(shown.get("keyboard"))
        return text, keyboard or rsvp_keyboard(turn.t, meeting)
    org = turn.session.get(Organisation, meeting.org_id)
    assert org is not None
    names = members.names_by_id(
        session=turn.session,
        org_id=meeting.org_id,
        member_ids=[meeting.chair_member_id, meeting.presenter_member_id],
    )
    return notice_text(turn.t, meeting, org, names), rsvp_keyboard(turn.t, meeting)


def _receipt(turn: Turn, meeting: Meeting, answer: RsvpAnswer, toast: str) -> Reply:
    """Shows the answer where the member answered: under the notice they tapped (its buttons
    kept, to change it), or, on a channel without edits, as the reply itself."""
    label = _answer_label(turn, answer)
    if turn.in_group:
        # The group's notice is everyone's: the tapper alone sees the toast.
        return Reply(toast=toast)
    if turn.channel.edits:
        if turn.incoming.message_id is None:
            return Reply(toast=toast)  # a message too old to be given with the tap
        text, keyboard = _notice_shown(turn, meeting)
        receipt = turn.t.gettext("You chose: {answer} — tap to change.", answer=label)
        return Reply(edit=Screen(text + RECEIPT_MARK + receipt, keyboard), toast=toast)
    if answer == RsvpAnswer.EXCUSED:
        # The reason's question follows with its own choices.
        receipt = turn.t.gettext("You chose: {answer}.", answer=label)
        return Reply(screens=[Screen(toast + "\n" + receipt)])
    receipt = turn.t.gettext(
        "You chose: {answer}. To change it, type the number of another answer below.",
        answer=label,
    )
    return Reply(screens=[Screen(toast + "\n" + receipt, rsvp_keyboard(turn.t, meeting))])


def rsvp_versioned(turn: Turn, meeting_id: int, verdict: str, version: int) -> Reply:
    """An answer button of a notice, which names the meeting's version it was sent for."""
    return rsvp(turn, meeting_id, verdict, version)


def _asking(turn: Turn, meeting_id: int) -> bool:
    """Tells whether this person's private chat already shows this meeting's reason question."""
    state = turn.core.flows.state(turn.session, turn.private_key)
    return state is not None and rsvp_reason.is_asking(state.params, state.flow, meeting_id)


def rsvp(turn: Turn, meeting_id: int, verdict: str, version: int | None = None) -> Reply:
    """Records Tham dự, or Vắng có lý do and then asks the reason privately, once (buttons
    sent before versions were carried answer as they always did)."""
    answer = RsvpAnswer.ATTENDING if verdict == "a" else RsvpAnswer.EXCUSED
    meeting, _, _ = rsvps.answer_rsvp(
        session=turn.session,
        meeting_id=meeting_id,
        person=turn.person,
        answer=answer,
        now=turn.now,
        version=version,
    )
    asking = _asking(turn, meeting.id or 0)
    if answer == RsvpAnswer.ATTENDING:
        if asking:
            # Changed their mind while the reason was asked: the question is moot.
            turn.core.flows.cancel(turn.session, turn.private_key)
        toast = turn.t.gettext("Noted: you will attend. Thank you, comrade.")
        return _receipt(turn, meeting, answer, toast)
    if asking:
        # A second tap (or a tap on another copy of the notice): the question is already there.
        return Reply(
            toast=turn.t.gettext(
                "Noted: excused absence. The question about the reason is already in our "
                "private chat."
            )
        )
    # The reason is asked in the person's private chat, wherever the button was tapped.
    outcome = turn.core.flows.start(
        session=turn.session,
        name=rsvp_reason.FLOW_NAME,
        key=turn.private_key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={"meeting_id": meeting.id},
    )
    toast = turn.t.gettext("Noted: excused absence. Please tell me the reason privately.")
    reply = _receipt(turn, meeting, answer, toast)
    reply.private.append(outcome.screen)
    return reply


def nudge_silent(turn: Turn, meeting_id: int) -> Reply:
    """Sends the notice's request to answer again, privately, to the expected members who have
    not answered (committee; once an hour per meeting); says how many were reminded."""
    meeting = meetings.get_meeting(session=turn.session, meeting_id=meeting_id)
    acting = members.require_committee(
        session=turn.session, person=turn.person, org_id=meeting.org_id
    )
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict("meeting_cancelled")
    if meeting.starts_at <= turn.now:
        raise Conflict("meeting_started")
    last = audit.latest_action(
        session=turn.session, org_id=meeting.org_id, action=NUDGE_ACTION, target=f"#{meeting.id}"
    )
    if last is not None and turn.now < last.at + NUDGE_EVERY:
        text = turn.t.gettext(
            "The comrades who have not answered were reminded at {at}. You can remind them "
            "again from {next}.",
            at=turn.t.time_text(last.at),
            next=turn.t.time_text(last.at + NUDGE_EVERY),
        )
        return Reply(screens=[Screen(text)])
    org = turn.session.get(Organisation, meeting.org_id)
    assert org is not None
    assert org.id is not None
    answered = rsvps.by_member(session=turn.session, meeting_id=meeting.id or 0)
    silent = [
        r
        for r in notices.for_meeting(
            notices.recipients(session=turn.session, org_ids=[org.id])[org.id], meeting.kind
        )
        if r.expected and r.member_id not in answered
    ]
    if not silent:
        text = turn.t.gettext(
            "Every comrade who can get my messages has answered: nobody to remind."
        )
        return Reply(screens=[Screen(text)])
    names = members.names_by_id(
        session=turn.session,
        org_id=org.id,
        member_ids=[meeting.chair_member_id, meeting.presenter_member_id],
    )
    outbox.enqueue_many(
        session=turn.session,
        rows=notices.fan_out_rows(
            org=org,
            people=silent,
            build=lambda t: Screen(
                t.gettext("🔔 <b>Please answer</b>: will you attend this meeting?")
                + "\n\n"
                + notice_text(t, meeting, org, names),
                rsvp_keyboard(t, meeting),
            ),
            key=f"rsvp-nudge:{meeting.id}:{turn.now:%Y%m%d%H%M}",
            now=turn.now,
            include_group=False,
            expires_at=meeting.starts_at,
        ),
    )
    audit.record_action(
        session=turn.session,
        org_id=org.id,
        actor_person_id=turn.person.id,
        actor_label=acting.full_name,
        action=NUDGE_ACTION,
        target=f"#{meeting.id}",
        before=None,
        after={"reminded": len(silent)},
        now=turn.now,
    )
    text = turn.t.gettext(
        "Sent the request to answer again, privately, to the comrades who have not answered: {n}.",
        n=turn.t.number(len(silent)),
    )
    return Reply(screens=[Screen(text)])


def register(actions: ActionRegistry) -> None:
    """Adds this module's choices."""
    actions.choice("rsvp", rsvp, int, one_of("a", "x"))
    actions.choice("rv", rsvp_versioned, int, one_of("a", "x"), int)
    actions.choice("mr", nudge_silent, int)

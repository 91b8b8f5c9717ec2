"""Roll call in the chat: /diemdanh, the checklist buttons, closing, and self check-in."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.flows.common import translator_for
from bot.i18n import translator
from bot.models import Organisation, Priority
from bot.render_attendance import committee_summary, group_summary, roll_call_screen
from bot.render_meetings import kind_label
from bot.services import attendance, members, outbox
from bot.services.errors import NotAllowed
from bot.ui import Button, Screen
from handlers.base import Reply, Turn, interact
from handlers.context import ChibotApp, ChibotContext
from handlers.roster import private_only


def _attendance(turn: Turn) -> Reply:
    private_only(turn)
    cells = members.committee_cells(session=turn.session, person=turn.person)
    if not cells:
        raise NotAllowed("committee_only")
    found = attendance.open_meetings(
        session=turn.session, org_ids=[org.id or 0 for _, org in cells], now=turn.now
    )
    if not found:
        return Reply(
            screens=[
                Screen(
                    turn.t.gettext(
                        "No meeting to take the roll call of right now. It opens one hour "
                        "before a meeting starts."
                    )
                )
            ]
        )
    if len(found) == 1:
        call = attendance.roll_call(
            session=turn.session, meeting_id=found[0].id or 0, person=turn.person, now=turn.now
        )
        return Reply(screens=[roll_call_screen(turn.t, call)])
    keyboard = [
        [
            Button(
                f"{kind_label(turn.t, m.kind)} — {turn.t.when_text(m.starts_at)}"[:60],
                data=f"rc|{m.id}",
            )
        ]
        for m in found
    ]
    return Reply(screens=[Screen(turn.t.gettext("Which meeting?"), keyboard)])


async def attendance_command(update: Update, context: ChibotContext) -> None:
    """Opens the roll call of the meeting under way (committee)."""
    await interact(update, context, _attendance)


def _open(turn: Turn) -> Reply:
    private_only(turn)
    call = attendance.roll_call(
        session=turn.session,
        meeting_id=int(turn.data.split("|")[1]),
        person=turn.person,
        now=turn.now,
    )
    return Reply(screens=[roll_call_screen(turn.t, call)])


async def open_button(update: Update, context: ChibotContext) -> None:
    """Opens the roll call of a chosen meeting."""
    await interact(update, context, _open)


def _cycle(turn: Turn) -> Reply:
    _, meeting_id, member_id = turn.data.split("|")
    call = attendance.cycle_mark(
        session=turn.session,
        meeting_id=int(meeting_id),
        member_id=int(member_id),
        person=turn.person,
        now=turn.now,
    )
    return Reply(edit=roll_call_screen(turn.t, call))


async def mark_button(update: Update, context: ChibotContext) -> None:
    """Moves one member to the next attendance category."""
    await interact(update, context, _cycle)


def _close(turn: Turn) -> Reply:
    meeting, figures = attendance.close_roll_call(
        session=turn.session,
        meeting_id=int(turn.data.split("|")[1]),
        person=turn.person,
        now=turn.now,
    )
    org = turn.session.get(Organisation, meeting.org_id)
    assert org is not None
    if org.group_chat_id:
        group_t = translator(org.locale, org.timezone)
        outbox.enqueue_message(
            session=turn.session,
            dedupe_key=f"rollcall:{meeting.id}:group",
            chat_id=org.group_chat_id,
            text=group_summary(group_t, meeting, figures),
            priority=Priority.NORMAL,
            org_id=org.id,
            is_group=True,
            now=turn.now,
        )
    for _, person in members.committee_people(session=turn.session, org_id=org.id or 0):
        t = translator_for(person, org)
        outbox.enqueue_message(
            session=turn.session,
            dedupe_key=f"rollcall:{meeting.id}:{person.id}",
            chat_id=person.external_id,
            text=committee_summary(t, meeting, figures),
            keyboard=[[Button(t.gettext("📝 Record the conclusion"), data=f"kl|{meeting.id}")]],
            priority=Priority.NORMAL,
            person_id=person.id,
            org_id=org.id,
            now=turn.now,
        )
    return Reply(
        edit=Screen(
            turn.t.gettext("Roll call closed. The group got the counts, the committee the names.")
        )
    )


async def close_button(update: Update, context: ChibotContext) -> None:
    """Closes the roll call: counts to the group, names and risks to the committee."""
    await interact(update, context, _close)


def _check_in(turn: Turn) -> Reply:
    attendance.check_in(
        session=turn.session,
        meeting_id=int(turn.data.split("|")[1]),
        person=turn.person,
        now=turn.now,
    )
    return Reply(toast=turn.t.gettext("Checked in: present. Thank you, comrade."))


async def check_in_button(update: Update, context: ChibotContext) -> None:
    """Marks the tapping member present while the meeting runs."""
    await interact(update, context, _check_in)


def _conclude(turn: Turn) -> Reply:
    private_only(turn)
    outcome = turn.deps.flows.start(
        session=turn.session,
        name="conclusion",
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={"meeting_id": int(turn.data.split("|")[1])},
    )
    return Reply(screens=[outcome.screen])


async def conclude_button(update: Update, context: ChibotContext) -> None:
    """Opens the form for the conclusion and the tasks of a held meeting."""
    await interact(update, context, _conclude)


def register(application: ChibotApp) -> None:
    """Adds the handlers of this module."""
    application.add_handler(CommandHandler(["diemdanh", "attendance"], attendance_command))
    application.add_handler(CallbackQueryHandler(open_button, pattern=r"^rc\|\d+$"))
    application.add_handler(CallbackQueryHandler(mark_button, pattern=r"^ra\|\d+\|\d+$"))
    application.add_handler(CallbackQueryHandler(close_button, pattern=r"^rz\|\d+$"))
    application.add_handler(CallbackQueryHandler(check_in_button, pattern=r"^ci\|\d+$"))
    application.add_handler(CallbackQueryHandler(conclude_button, pattern=r"^kl\|\d+$"))

"""Announcements: /thongbao (the committee composes, follows and reminds), "✅ Đã nắm" (a
member acknowledges), the delivery ledger and "told in person"."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import hand_file_to_form, open_form, outcome_reply
from bot.actions.registry import ActionRegistry
from bot.actions.roster import private_only
from bot.flows.announcement_screens import (
    announcement_screen,
    announcements_screen,
    ledger_screen,
)
from bot.models import AnnouncementKind
from bot.services import announcement_ledger, announcements
from bot.services.documents import IncomingFile
from bot.text import escape
from bot.ui import Button, Screen, choice

COMPOSE_FLOW = "announce"


def list_announcements(turn: Turn) -> Reply:
    """Shows the committee a "new announcement" button and the recent announcements."""
    private_only(turn)
    return Reply(screens=[announcements_screen(turn.session, turn.t, turn.person)])


def back_to_list(turn: Turn) -> Reply:
    """Goes back to the list of announcements."""
    private_only(turn)
    return Reply(edit=announcements_screen(turn.session, turn.t, turn.person))


def new_announcement(turn: Turn) -> Reply:
    """Opens the compose form."""
    private_only(turn)
    return outcome_reply(open_form(turn, COMPOSE_FLOW))


def view(turn: Turn, announcement_id: int) -> Reply:
    """Shows one announcement with its live figures and who has not confirmed."""
    private_only(turn)
    found = announcements.for_committee(
        session=turn.session, announcement_id=announcement_id, person=turn.person
    )
    return Reply(edit=announcement_screen(turn.session, turn.t, found))


def ledger(turn: Turn, announcement_id: int) -> Reply:
    """Shows the delivery ledger of one announcement."""
    private_only(turn)
    found = announcements.for_committee(
        session=turn.session, announcement_id=announcement_id, person=turn.person
    )
    return Reply(edit=ledger_screen(turn.session, turn.t, found, turn.person))


def told_in_person(turn: Turn, announcement_id: int, member_id: int) -> Reply:
    """Records that the secretary told an unreachable member in person."""
    private_only(turn)
    member = announcement_ledger.record_told_in_person(
        session=turn.session,
        announcement_id=announcement_id,
        member_id=member_id,
        actor=turn.person,
        now=turn.now,
    )
    found = announcements.get_announcement(session=turn.session, announcement_id=announcement_id)
    note = turn.t.gettext(
        "🗣 Recorded: comrade {name} was told in person.", name=escape(member.full_name)
    )
    return Reply(edit=ledger_screen(turn.session, turn.t, found, turn.person, note))


def nudge(turn: Turn, announcement_id: int) -> Reply:
    """Reminds those who have not confirmed (once a day at most; at night, in the morning)."""
    private_only(turn)
    t = turn.t
    result = announcement_ledger.request_nudge(
        session=turn.session, announcement_id=announcement_id, actor=turn.person, now=turn.now
    )
    found = announcements.get_announcement(session=turn.session, announcement_id=announcement_id)
    if result.refused == "too_soon" and result.retry_at is not None:
        note = t.gettext(
            "⚠️ A reminder went out less than 24 hours ago. The next one can go from {when}.",
            when=t.datetime_text(result.retry_at),
        )
    elif result.refused == "queued" and result.queued_for is not None:
        note = t.gettext(
            "⚠️ A reminder is already queued for {when}.", when=t.datetime_text(result.queued_for)
        )
    elif result.refused == "past_deadline":
        note = t.gettext("The deadline has passed: no more reminders go out.")
    elif result.refused == "nobody":
        note = t.gettext("Every comrade reached has confirmed: nobody to remind.")
    elif result.refused is not None:
        note = t.gettext("Only a sent announcement that asks for confirmation can be reminded.")
    elif result.queued_for is not None:
        note = t.gettext(
            "🌙 It is night in the cell (21:00–07:00): the reminder will go out at {when}.",
            when=t.datetime_text(result.queued_for),
        )
    else:
        note = t.ngettext(
            "🔔 Reminder sent to {n} comrade.", "🔔 Reminder sent to {n} comrades.", result.sent
        )
    return Reply(screens=[announcement_screen(turn.session, t, found, note)])


def edit(turn: Turn, announcement_id: int) -> Reply:
    """Opens the form that changes the text or time of an announcement not sent yet."""
    private_only(turn)
    found = announcements.for_committee(
        session=turn.session, announcement_id=announcement_id, person=turn.person
    )
    announcements.edit_check(announcement=found)
    return outcome_reply(
        open_form(turn, "announcement_edit", announcement_id=found.id, version=found.version)
    )


def ask_cancel(turn: Turn, announcement_id: int) -> Reply:
    """Asks whether to cancel an announcement not sent yet."""
    private_only(turn)
    found = announcements.for_committee(
        session=turn.session, announcement_id=announcement_id, person=turn.person
    )
    announcements.edit_check(announcement=found)
    text = turn.t.gettext("Cancel this announcement? It will not be sent.")
    keyboard = [
        [Button(turn.t.gettext("🗑 Yes, cancel it"), data=choice("ay", announcement_id))],
        [Button(turn.t.gettext("⬅️ Back"), data=choice("av", announcement_id))],
    ]
    return Reply(edit=Screen(text, keyboard))


def cancel(turn: Turn, announcement_id: int) -> Reply:
    """Cancels an announcement not sent yet."""
    private_only(turn)
    found = announcements.cancel(
        session=turn.session, announcement_id=announcement_id, actor=turn.person, now=turn.now
    )
    note = turn.t.gettext("🚫 Cancelled. Nobody was sent anything.")
    return Reply(edit=announcement_screen(turn.session, turn.t, found, note))


def acknowledge(turn: Turn, announcement_id: int) -> Reply:
    """Records "✅ Đã nắm" for the member who tapped it (once)."""
    found, already = announcements.acknowledge(
        session=turn.session, announcement_id=announcement_id, person=turn.person, now=turn.now
    )
    if found.kind == AnnouncementKind.STUDY:
        return Reply(
            toast=turn.t.gettext("📖 Recorded: you have studied the material. Thank you, comrade.")
        )
    if already:
        return Reply(
            toast=turn.t.gettext("Your confirmation was already recorded. Thank you, comrade.")
        )
    return Reply(
        toast=turn.t.gettext("✅ Recorded: you have read the announcement. Thank you, comrade.")
    )


def file_received(turn: Turn, incoming: IncomingFile) -> Reply | None:
    """Takes a file sent while the compose form asks for one; None: not for this form."""
    engine = turn.core.flows
    state = engine.state(turn.session, turn.key)
    if state is None or state.flow != COMPOSE_FLOW or state.step != "file":
        return None
    return hand_file_to_form(turn, state, incoming)


def register(actions: ActionRegistry) -> None:
    """Adds this module's commands, choices and the file hook."""
    actions.command(["thongbao", "announce"], list_announcements, committee=True)
    actions.choice("an", new_announcement)
    actions.choice("ab", back_to_list)
    actions.choice("av", view, int)
    actions.choice("al", ledger, int)
    actions.choice("at", told_in_person, int, int)
    actions.choice("ag", nudge, int)
    actions.choice("ae", edit, int)
    actions.choice("ax", ask_cancel, int)
    actions.choice("ay", cancel, int)
    actions.choice("aa", acknowledge, int)
    actions.file_hook(file_received)

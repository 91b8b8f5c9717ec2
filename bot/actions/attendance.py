"""Roll call: /diemdanh, the checklist choices, closing, self check-in and the conclusion."""

from __future__ import annotations

import re

from bot.actions import typed
from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form
from bot.actions.registry import ActionRegistry
from bot.actions.roster import private_only
from bot.flows.common import translator_for
from bot.flows.conclusions import posted_screen
from bot.flows.matching import match_key
from bot.models import AttendanceStatus, Organisation, Priority, Role
from bot.render_attendance import (
    committee_summary,
    group_summary,
    reopen_button,
    roll_call_page,
    roll_call_screen,
)
from bot.render_meetings import kind_label
from bot.services import attendance, meetings, members, notices, outbox, people
from bot.services.errors import InvalidInput, NotAllowed
from bot.ui import Button, Screen, choice, split_choice


def roll_call(turn: Turn) -> Reply:
    """Opens the roll call of the meeting under way (committee)."""
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
        return open_roll_call(turn, found[0].id or 0)
    keyboard = [
        [
            Button(
                f"{kind_label(turn.t, m.kind)} — {turn.t.when_text(m.starts_at)}"[:60],
                data=choice("rc", m.id or 0),
            )
        ]
        for m in found
    ]
    return Reply(screens=[Screen(turn.t.gettext("Which meeting?"), keyboard)])


def open_roll_call(turn: Turn, meeting_id: int) -> Reply:
    """Opens the roll call of a chosen meeting."""
    private_only(turn)
    call = attendance.roll_call(
        session=turn.session, meeting_id=meeting_id, person=turn.person, now=turn.now
    )
    return Reply(screens=[roll_call_screen(turn.t, call, typed=not turn.channel.buttons)])


def mark(turn: Turn, meeting_id: int, member_id: int) -> Reply:
    """Moves one member to the next attendance category."""
    call = attendance.cycle_mark(
        session=turn.session,
        meeting_id=meeting_id,
        member_id=member_id,
        person=turn.person,
        now=turn.now,
    )
    page = roll_call_page(call, member_id)
    return Reply(edit=roll_call_screen(turn.t, call, typed=not turn.channel.buttons, page=page))


def show_roll_call_page(turn: Turn, meeting_id: int, page: int) -> Reply:
    """Shows another page of the checklist."""
    call = attendance.roll_call(
        session=turn.session, meeting_id=meeting_id, person=turn.person, now=turn.now
    )
    return Reply(edit=roll_call_screen(turn.t, call, typed=not turn.channel.buttons, page=page))


def close(turn: Turn, meeting_id: int) -> Reply:
    """Closes the roll call: counts to the group, names and risks to the committee."""
    meeting, figures = attendance.close_roll_call(
        session=turn.session, meeting_id=meeting_id, person=turn.person, now=turn.now
    )
    org = turn.session.get(Organisation, meeting.org_id)
    assert org is not None
    # Each closing sends its counts (a roll call reopened and closed again sends the corrected
    # ones).
    key = f"rollcall:{meeting.id}:{turn.now:%Y%m%d%H%M%S}"
    # Counts only, never names: to the group, or to each member where the cell has none (a
    # họp chi ủy's counts stay with the committee, who get them below).
    if notices.group_sees(meeting.kind):
        outbox.enqueue_many(
            session=turn.session,
            rows=notices.group_rows(
                org=org,
                people=notices.recipients(session=turn.session, org_ids=[org.id or 0])[
                    org.id or 0
                ],
                build=lambda t: Screen(group_summary(t, meeting, figures)),
                key=key,
                now=turn.now,
            ),
        )
    committee = members.committee_people(session=turn.session, org_id=org.id or 0)
    addresses = people.addresses(
        session=turn.session, person_ids=[person.id or 0 for _, person in committee]
    )
    for member, person in committee:
        account = addresses.get(person.id or 0)
        if account is None:
            continue
        t = translator_for(person, org)
        buttons = [
            Button(t.gettext("📝 Record the conclusion"), data=choice("kl", meeting.id or 0))
        ]
        if member.role in REOPENERS:
            buttons.append(reopen_button(t, meeting))
        outbox.enqueue_message(
            session=turn.session,
            dedupe_key=f"{key}:committee:{person.id}",
            chat_id=account.external_id,
            channel=account.channel,
            text=committee_summary(t, meeting, figures),
            keyboard=[buttons],
            priority=Priority.NORMAL,
            person_id=person.id,
            org_id=org.id,
            is_group=False,
            now=turn.now,
        )
    closer = members.membership_in(session=turn.session, person=turn.person, org_id=org.id or 0)
    # Where the checklist is edited into this answer, it offers the reopening at once; a
    # channel without edits lists it in the committee's report, sent just before (a second
    # list here would take the numbers typed for the report).
    keyboard = (
        [[reopen_button(turn.t, meeting)]]
        if turn.channel.edits and closer is not None and closer.role in REOPENERS
        else []
    )
    return Reply(
        edit=Screen(
            turn.t.gettext("Roll call closed. The group got the counts, the committee the names."),
            keyboard,
        )
    )


def reopen(turn: Turn, meeting_id: int) -> Reply:
    """Reopens a closed roll call to correct it (the secretary or the deputy, until the end of
    the day after the meeting) and shows the checklist."""
    private_only(turn)
    attendance.reopen_roll_call(
        session=turn.session, meeting_id=meeting_id, person=turn.person, now=turn.now
    )
    call = attendance.roll_call(
        session=turn.session, meeting_id=meeting_id, person=turn.person, now=turn.now
    )
    checklist = roll_call_screen(turn.t, call, typed=not turn.channel.buttons)
    head = turn.t.gettext(
        "🔓 Roll call reopened. Correct the marks, then close it again: the group and the "
        "committee get the corrected counts."
    )
    return Reply(screens=[Screen(head + "\n\n" + checklist.text, checklist.keyboard)])


def check_in(turn: Turn, meeting_id: int) -> Reply:
    """Marks the tapping member present while the meeting runs."""
    attendance.check_in(
        session=turn.session, meeting_id=meeting_id, person=turn.person, now=turn.now
    )
    return Reply(toast=turn.t.gettext("Checked in: present. Thank you, comrade."))


def conclude(turn: Turn, meeting_id: int) -> Reply:
    """Opens the form for the conclusion and the tasks of a held meeting; once it is posted,
    shows it to the committee with the way to correct it."""
    private_only(turn)
    meeting = meetings.get_meeting(session=turn.session, meeting_id=meeting_id)
    if meeting.concluded_at is not None:
        members.require_committee(session=turn.session, person=turn.person, org_id=meeting.org_id)
        return Reply(screens=[posted_screen(turn.t, meeting)])
    return Reply(screens=[open_form(turn, "conclusion", meeting_id=meeting_id).screen])


def correct_conclusion(turn: Turn, meeting_id: int) -> Reply:
    """Opens the form that corrects a posted conclusion (committee)."""
    private_only(turn)
    return Reply(screens=[open_form(turn, "correct_conclusion", meeting_id=meeting_id).screen])


# Who may reopen a closed roll call.
REOPENERS = {Role.SECRETARY, Role.DEPUTY}


# Typed roll call on a channel without buttons: "1 3 5 có mặt", "2 vắng có lý do".
_CATEGORIES = {
    "co mat": AttendanceStatus.PRESENT,
    "present": AttendanceStatus.PRESENT,
    "vang co ly do": AttendanceStatus.EXCUSED,
    "co ly do": AttendanceStatus.EXCUSED,
    "excused": AttendanceStatus.EXCUSED,
    "vang khong ly do": AttendanceStatus.UNEXCUSED,
    "khong ly do": AttendanceStatus.UNEXCUSED,
    "unexcused": AttendanceStatus.UNEXCUSED,
}
_TYPED_MARKS = re.compile(r"^((?:\d+[\s,]+)*\d+)\s+([a-z ]+)$")


def typed_marks(turn: Turn, text: str) -> Reply | None:
    """Reads "1 3 5 có mặt" against the roll call this chat was last shown."""
    if turn.channel.buttons:
        return None
    found = _TYPED_MARKS.match(match_key(text))
    status = _CATEGORIES.get(found.group(2).strip()) if found else None
    if found is None or status is None:
        return None
    listed = {
        int(o["n"]): split_choice(str(o["data"]))[1]
        for o in typed.listed_options(turn)
        if str(o["data"]).startswith("ra|")
    }
    if not listed:
        return None
    numbers = [int(n) for n in re.split(r"[\s,]+", found.group(1))]
    unknown = [n for n in numbers if n not in listed]
    if unknown:
        raise InvalidInput("choice_out_of_range", low=min(listed), high=max(listed))
    meeting_id = int(listed[numbers[0]][0])
    call = attendance.mark_many(
        session=turn.session,
        meeting_id=meeting_id,
        member_ids=[int(listed[n][1]) for n in numbers],
        status=status,
        person=turn.person,
        now=turn.now,
    )
    page = roll_call_page(call, int(listed[numbers[0]][1]))
    return Reply(screens=[roll_call_screen(turn.t, call, typed=True, page=page)])


def register(actions: ActionRegistry) -> None:
    """Adds this module's command and choices."""
    actions.command(["diemdanh", "attendance"], roll_call, committee=True)
    actions.choice("rc", open_roll_call, int)
    actions.choice("ra", mark, int, int)
    actions.choice("rn", show_roll_call_page, int, int)
    actions.choice("rz", close, int)
    actions.choice("ro", reopen, int)
    actions.choice("ci", check_in, int)
    actions.choice("kl", conclude, int)
    actions.choice("kf", correct_conclusion, int)
    actions.text_hook(typed_marks)

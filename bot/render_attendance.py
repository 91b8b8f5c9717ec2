"""Roll call and attendance figures → localized text and keyboards."""

from __future__ import annotations

from collections import Counter

from bot.i18n import Translator
from bot.models import Attendance, AttendanceStatus, Meeting
from bot.paging import page_holding, page_line, page_of, paging_row
from bot.render_meetings import kind_label, reason_text
from bot.services.attendance import Figures, RollCall
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

ICONS = {
    None: "⬜",
    AttendanceStatus.PRESENT: "✅",
    AttendanceStatus.EXCUSED: "🟡",
    AttendanceStatus.UNEXCUSED: "❌",
}


def _icon(mark: Attendance | None) -> str:
    return ICONS.get(mark.status if mark is not None else None, "⬜")


ROLL_CALL_PAGE = 24  # names per page: twelve rows of two buttons, or 24 numbered lines


def roll_call_page(call: RollCall, member_id: int) -> int:
    """Returns the page of the checklist that shows `member_id` (the first if not listed)."""
    ids = [member.id for member, _ in call.expected]
    index = ids.index(member_id) if member_id in ids else 0
    return page_holding(index, ROLL_CALL_PAGE)


def _tally(t: Translator, call: RollCall) -> str:
    counts = Counter(mark.status if mark is not None else None for _, mark in call.expected)
    marked = len(call.expected) - counts[None]
    present = t.gettext(
        "<b>Present {present}/{expected}</b>",
        present=t.number(counts[AttendanceStatus.PRESENT]),
        expected=t.number(len(call.expected)),
    )
    return (
        present
        + "\n"
        + t.gettext(
            "Marked {marked}/{expected}: ✅ {present} · 🟡 {excused} · ❌ {unexcused}",
            marked=t.number(marked),
            expected=t.number(len(call.expected)),
            present=t.number(counts[AttendanceStatus.PRESENT]),
            excused=t.number(counts[AttendanceStatus.EXCUSED]),
            unexcused=t.number(counts[AttendanceStatus.UNEXCUSED]),
        )
    )


def roll_call_screen(
    t: Translator, call: RollCall, *, typed: bool = False, page: int = 0
) -> Screen:
    """Returns one page of the committee's checklist: one button per expected member on it,
    exempt ones apart, the running count and ◀ ▶; `typed` explains how to mark by typing
    numbers (a channel without buttons)."""
    meeting = call.meeting
    lines = [
        t.gettext(
            "<b>Roll call</b> — {kind}, {when}",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        ),
        t.gettext(
            "Tap a name to move it: ✅ present → 🟡 excused → ❌ unexcused. "
            "⬜ means not marked yet."
        )
        if not typed
        else t.gettext(
            "Type the numbers and the category, e.g. “1 3 5 có mặt”, “2 vắng có lý do”, "
            "“4 vắng không lý do”; or type one number to move that comrade: ✅ present → "
            "🟡 excused → ❌ unexcused. ⬜ means not marked yet."
        ),
    ]
    if call.exempt:
        names = ", ".join(escape(m.full_name) for m in call.exempt)
        lines.append(t.gettext("Exempt (not counted): {names}", names=names))
    if call.attached:
        names = ", ".join(escape(m.full_name) for m in call.attached)
        lines.append(t.gettext("Attached to another cell (not counted): {names}", names=names))
    lines.append(_tally(t, call))
    shown = page_of(call.expected, page, ROLL_CALL_PAGE)
    # The reasons of the excused comrades on this page (a page's worth keeps it one message).
    reasons = [
        (member, mark.reason)
        for member, mark in shown.items
        if mark is not None and mark.status == AttendanceStatus.EXCUSED and mark.reason
    ]
    if reasons:
        lines.append(t.gettext("Reasons given:"))
        lines.extend(
            f"  🟡 {escape(member.full_name)} — {reason_text(t, reason)}"
            for member, reason in reasons
        )
    if shown.several:
        lines.append(page_line(t, shown))
    keyboard: Keyboard = []
    row: list[Button] = []
    for member, mark in shown.items:
        row.append(
            Button(
                f"{_icon(mark)} {member.full_name}"[:60],
                data=choice("ra", meeting.id or 0, member.id or 0),
            )
        )
        if len(row) == 2:
            keyboard.append(row)
            row = []
    if row:
        keyboard.append(row)
    paging = paging_row(t, shown, lambda n: choice("rn", meeting.id or 0, n))
    if paging:
        keyboard.append(paging)
    keyboard.append(
        [Button(t.gettext("🔒 Close the roll call"), data=choice("rz", meeting.id or 0))]
    )
    return Screen("\n".join(lines), keyboard)


def reopen_button(t: Translator, meeting: Meeting) -> Button:
    """Returns the button that reopens a closed roll call (the secretary's and deputy's)."""
    return Button(t.gettext("🔓 Reopen the roll call"), data=choice("ro", meeting.id or 0))


def group_summary(t: Translator, meeting: Meeting, figures: Figures) -> str:
    """Returns what the group sees: counts only, never names."""
    return t.gettext(
        "📋 <b>Roll call</b> — {kind}, {when}: {present}/{expected} comrades present; "
        "excused absences: {excused}.",
        kind=kind_label(t, meeting.kind),
        when=t.when_text(meeting.starts_at),
        present=t.number(figures.present),
        expected=t.number(figures.denominator),
        excused=t.number(figures.excused),
    )


def committee_summary(t: Translator, meeting: Meeting, figures: Figures) -> str:
    """Returns the committee's private report: names, reasons, the 85% bar and the risks."""
    percent = t.number(round(figures.rate * 100, 1))
    lines = [
        t.gettext(
            "📋 <b>Roll call closed</b> — {kind}, {when}",
            kind=kind_label(t, meeting.kind),
            when=t.when_text(meeting.starts_at),
        ),
        t.gettext(
            "Present {present} of {expected} ({percent}%) — counted: total {total} minus "
            "{exempt} exempt and {attached} attached elsewhere.",
            present=t.number(figures.present),
            expected=t.number(figures.denominator),
            percent=percent,
            total=t.number(figures.total),
            exempt=t.number(figures.exempt),
            attached=t.number(figures.attached),
        ),
    ]
    if figures.meets_bar:
        lines.append(
            t.gettext(
                "✅ The meeting met the bar of Hướng dẫn 12-HD/BTCTW (06/7/2018): more than 85% "
                "present and no unexcused absence."
            )
        )
    else:
        lines.append(
            t.gettext(
                "⚠️ The meeting did not meet the bar of Hướng dẫn 12-HD/BTCTW (06/7/2018): more "
                "than 85% present and no unexcused absence."
            )
        )
    if figures.excused_names:
        lines.append(t.gettext("Excused absences:"))
        lines.extend(
            f"  • {escape(name)}" + (f" — {reason_text(t, reason)}" if reason else "")
            for name, reason in figures.excused_names
        )
    if figures.unexcused_names:
        lines.append(t.gettext("Unexcused absences:"))
        lines.extend(f"  • {escape(name)}" for name in figures.unexcused_names)
    if figures.consecutive_excused:
        lines.append(t.gettext("Three or more excused absences in a row:"))
        lines.extend(
            "  • " + t.gettext("{name}: {n} in a row", name=escape(name), n=t.number(n))
            for name, n in figures.consecutive_excused
        )
    if figures.missed_three_months:
        lines.append(t.gettext("Absent in three different months this year:"))
        lines.extend(f"  • {escape(name)}" for name in figures.missed_three_months)
    lines.append(t.gettext("This report is for the cell committee only."))
    return "\n".join(lines)

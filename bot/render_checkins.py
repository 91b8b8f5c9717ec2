"""Check-ins → localized screens: the round notice and nudge, a member's round with their
answers, the progress on a member's card, the committee's round figures, the registration
reminder. Every string a person typed is escaped here."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, Translator
from bot.models.commitments import (
    Cadence,
    Campaign,
    CheckIn,
    CheckInRound,
    CommitmentItem,
    ItemStatus,
    LeaveReason,
)
from bot.render_commitment_notices import write_button
from bot.render_commitments import campaign_short, target_text
from bot.services.checkins import BAR_PERCENT, MemberRound, RoundFigures
from bot.services.evidence import RoundEvidence
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

ITEM_STATUS_LABELS = {
    ItemStatus.NOT_STARTED: N_("Not started"),
    ItemStatus.IN_PROGRESS: N_("In progress"),
    ItemStatus.DONE: N_("Done"),
    ItemStatus.BLOCKED: N_("Facing difficulties"),
}
LEAVE_LABELS = {
    LeaveReason.LEAVE: N_("On leave"),
    LeaveReason.TRIP: N_("On a work trip"),
    LeaveReason.SICK: N_("Sick"),
}
_ROMAN = ("I", "II", "III", "IV")


def item_status_label(t: Translator, status: ItemStatus) -> str:
    """Returns "Chưa thực hiện", "Đang thực hiện", "Hoàn thành" or "Gặp khó khăn"."""
    return t.gettext(ITEM_STATUS_LABELS[ItemStatus(status)])


def leave_label(t: Translator, reason: LeaveReason) -> str:
    """Returns "Nghỉ phép", "Đi công tác" or "Ốm"."""
    return t.gettext(LEAVE_LABELS[LeaveReason(reason)])


def round_label(t: Translator, campaign: Campaign, round_: CheckInRound) -> str:
    """Returns "tháng 3/2027" or "quý I/2027"."""
    day = round_.period_start
    if campaign.cadence == Cadence.QUARTERLY:
        return t.gettext(
            "quarter {quarter}/{year}", quarter=_ROMAN[(day.month - 1) // 3], year=str(day.year)
        )
    return t.gettext("month {month}/{year}", month=str(day.month), year=str(day.year))


def reached_text(t: Translator, item: CommitmentItem, answer: CheckIn | None) -> str:
    """Returns "8/12 buổi" (or "8" without a target); "" when no number was given."""
    if answer is None or answer.value is None:
        return ""
    if item.target is None:
        return t.number(answer.value)
    return f"{t.number(answer.value)}/{target_text(t, item)}"


def answer_text(
    t: Translator, item: CommitmentItem, answer: CheckIn | None, *, evidence: bool = True
) -> str:
    """Returns "Đang thực hiện, đạt 8/12 buổi; ghi chú: …; 📎 anh.jpg" or "chưa báo cáo"
    (`evidence`: with the name of the file sent as evidence, if any)."""
    if answer is None:
        return t.gettext("not reported yet")
    text = item_status_label(t, answer.status)
    reached = reached_text(t, item, answer)
    if reached:
        text += ", " + t.gettext("reached {reached}", reached=reached)
    if answer.note:
        text += "; " + t.gettext("note: {note}", note=escape(answer.note))
    if evidence and answer.evidence_ref is not None:
        text += "; " + evidence_text(t, [answer.evidence_name or ""])
    return text


def evidence_text(t: Translator, names: list[str]) -> str:
    """Returns "📎 evidence: anh.jpg, bien-ban.pdf"."""
    return t.gettext("📎 evidence: {names}", names=", ".join(escape(n) for n in names))


# --- the notices the tick sends ------------------------------------------------------------------


def round_keyboard_start(t: Translator, round_id: int) -> Keyboard:
    """Returns the buttons of the round notice and nudge: answer now, or away this round."""
    return [
        [Button(t.gettext("📝 Report progress"), data=choice("tr", round_id))],
        [Button(t.gettext("🏖 Away this round"), data=choice("tl", round_id))],
    ]


def round_notice(
    t: Translator, campaign: Campaign, round_: CheckInRound, *, late: bool = False
) -> Screen:
    """Returns what each member with approved items receives when a round opens."""
    text = t.gettext(
        "📊 <b>Time to report progress</b> for {round}: {what}.\n"
        "Comrade, tell the cell how each task you registered is going — a few taps per task. "
        "The round is open until {when}.",
        round=round_label(t, campaign, round_),
        what=campaign_short(t, campaign),
        when=t.datetime_text(round_.closes_at),
    )
    if late:
        text += "\n" + t.gettext("(This round opened late: the bot was not running on time.)")
    return Screen(text, round_keyboard_start(t, round_.id or 0))


def nudge_notice(t: Translator, campaign: Campaign, round_: CheckInRound) -> Screen:
    """Returns the nudge to a member who has not answered a round."""
    text = t.gettext(
        "⏰ Reminder: comrade, you have not reported your progress for {round} ({what}) yet. "
        "The round is open until {when}.",
        round=round_label(t, campaign, round_),
        what=campaign_short(t, campaign),
        when=t.datetime_text(round_.closes_at),
    )
    return Screen(text, round_keyboard_start(t, round_.id or 0))


def registration_reminder(t: Translator, campaign: Campaign) -> Screen:
    """Returns the reminder to an expected member who has not submitted yet."""
    text = t.gettext(
        "⏰ Reminder: comrade, you have not submitted {what} yet. Deadline: {day}.\n"
        "Each answer is saved as you give it, so you can write a section at a time.",
        what=campaign_short(t, campaign),
        day=t.date_text(campaign.deadline),
    )
    return Screen(text, [[write_button(t, campaign)]])


# --- a member's round ----------------------------------------------------------------------------


def round_screen(t: Translator, mine: MemberRound, note: str = "") -> Screen:
    """Returns a member's round: each item with its answer, ✏️ per item, and away."""
    round_id = mine.round.id or 0
    lines = [
        t.gettext(
            "📊 <b>Progress report</b> for {round}: {what}",
            round=round_label(t, mine.campaign, mine.round),
            what=campaign_short(t, mine.campaign),
        ),
        t.gettext("Open until {when}.", when=t.datetime_text(mine.round.closes_at)),
    ]
    if mine.leave is not None:
        lines.append(
            t.gettext("🏖 Away this round: {reason}.", reason=leave_label(t, mine.leave.reason))
        )
    lines.append("")
    for number, item in enumerate(mine.items, start=1):
        lines.append(f"{number}) {escape(item.text)}")
        lines.append("   → " + answer_text(t, item, mine.answers.get(item.id or 0)))
    lines.append("")
    lines.append(t.gettext("You can change an answer until the round closes."))
    keyboard: Keyboard = []
    missing = [n for n, i in enumerate(mine.items, start=1) if (i.id or 0) not in mine.answers]
    if missing and not mine.answers:
        keyboard.append([Button(t.gettext("▶️ Start"), data=choice("tr", round_id))])
    elif missing:
        label = t.gettext("▶️ Go on: task {n}", n=missing[0])
        keyboard.append([Button(label, data=choice("tr", round_id))])
    row: list[Button] = []
    for number, item in enumerate(mine.items, start=1):
        row.append(Button(f"✏️ {number}", data=choice("te", round_id, item.id or 0)))
        if len(row) == 4:
            keyboard.append(row)
            row = []
    if row:
        keyboard.append(row)
    keyboard.append([Button(t.gettext("🏖 Away this round"), data=choice("tl", round_id))])
    text = "\n".join(lines)
    if note:
        text = f"{note}\n\n{text}"
    return Screen(text, keyboard)


def leave_screen(t: Translator, round_id: int) -> Screen:
    """Returns the reasons a member can give for being away a round."""
    keyboard: Keyboard = [
        [Button(leave_label(t, reason), data=choice("tv", round_id, reason.value))]
        for reason in LeaveReason
    ]
    keyboard.append([Button(t.gettext("↩️ Back"), data=choice("tc", round_id))])
    return Screen(
        t.gettext(
            "Why are you away this round? You will not be counted as missing, and answers "
            "given so far are kept."
        ),
        keyboard,
    )


# --- follow-up -----------------------------------------------------------------------------------


def card_progress(
    t: Translator, items: list[CommitmentItem], latest: dict[int, CheckIn]
) -> list[str]:
    """Returns the lines under a member's card: each item's latest answer against its target."""
    if not items:
        return []
    lines = ["", t.gettext("📊 <b>Progress</b> (latest answers)")]
    for number, item in enumerate(items, start=1):
        answer = latest.get(item.id or 0)
        if answer is None and item.target is not None:
            status = t.gettext("not reported yet (target: {target})", target=target_text(t, item))
        else:
            status = answer_text(t, item, answer)
        lines.append(f"{number}) {escape(item.text)}: {status}")
    return lines


_FIGURE_HEADINGS = (
    ("answered", N_("✅ Reported ({n}):")),
    ("on_leave", N_("🏖 Away this round ({n}):")),
    ("silent", N_("⏳ Not reported ({n}):")),
)


def round_figures_text(t: Translator, campaign: Campaign, figures: RoundFigures) -> list[str]:
    """Returns the committee's lines about a round: the rate against the bar, names by state."""
    round_ = figures.round
    lines = [
        "",
        t.gettext(
            "📊 <b>Progress report for {round}</b> (until {when})",
            round=round_label(t, campaign, round_),
            when=t.datetime_text(round_.closes_at),
        ),
    ]
    params = {
        "n": t.number(len(figures.answered)),
        "total": t.number(figures.counted),
        "percent": t.number(figures.percent),
        "bar": t.number(BAR_PERCENT),
    }
    if figures.meets_bar:
        lines.append(t.gettext("Response rate: {n}/{total} ({percent}%) — meets {bar}%", **params))
    else:
        lines.append(t.gettext("Response rate: {n}/{total} ({percent}%) — below {bar}%", **params))
    for field, heading in _FIGURE_HEADINGS:
        people = getattr(figures, field)
        lines.append(t.gettext(heading, n=t.number(len(people))))
        if people:
            lines.append("  " + ", ".join(escape(m.full_name) for m in people))
    return lines


def round_evidence_text(t: Translator, found: list[RoundEvidence]) -> list[str]:
    """Returns the committee's lines about the evidence sent in a round (none: no lines)."""
    if not found:
        return []
    lines = [t.gettext("📎 Evidence sent ({n}):", n=t.number(len(found)))]
    lines.extend(
        f"  {escape(e.member_name)} — {escape(e.item_text)}: 📎 {escape(e.file_name)}"
        for e in found
    )
    return lines


def group_round_line(t: Translator, campaign: Campaign, figures: RoundFigures) -> str:
    """The group's line about a round: how many reported, never who did not."""
    return t.gettext(
        "📊 Progress report for {round}: {n}/{total} comrades have reported.",
        round=round_label(t, campaign, figures.round),
        n=t.number(len(figures.answered)),
        total=t.number(figures.counted),
    )


def no_round_yet(t: Translator, opens_at: datetime | None) -> list[str]:
    """Returns the committee's line when no round has opened yet."""
    if opens_at is None:
        return []
    return [
        "",
        t.gettext("The first progress report opens {when}.", when=t.datetime_text(opens_at)),
    ]

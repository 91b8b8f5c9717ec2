"""The weekly digest as text: the group's (aggregates and examples to commend only) and the
committee's private one (the exceptions first, by name, then the same figures)."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.models import Reachability
from bot.models.commitments import ItemStatus
from bot.render_announcements import excerpt
from bot.render_checkins import item_status_label
from bot.render_commitments import campaign_short
from bot.render_meetings import kind_label
from bot.render_pacts import summary_lines
from bot.services.attendance import QUALITY_BAR
from bot.services.digests import DigestFigures, Exceptions, Upcoming
from bot.text import escape

UPCOMING_LABELS = {
    "party_founding": N_("founding anniversary of the Party (3/2/1930)"),
    "uncle_ho_birthday": N_("President Hồ Chí Minh's birthday (19/5/1890)"),
    "emulation_day": N_("the Call for Patriotic Emulation (11/6/1948)"),
    "national_day": N_("National Day (2/9)"),
    "badge_wave": N_("the 7/11 wave of Party membership badges"),
    "mid_review": N_("the six-month review (sơ kết), June–July"),
    "year_review": N_("self-review and rating (kiểm điểm, đánh giá, xếp loại), in December"),
    "thematic_due": N_("no thematic meeting (sinh hoạt chuyên đề) yet this quarter"),
}
_STATUS_ORDER = (
    ItemStatus.DONE,
    ItemStatus.IN_PROGRESS,
    ItemStatus.NOT_STARTED,
    ItemStatus.BLOCKED,
)


def capitalised(text: str) -> str:
    """Returns the text with its first letter in capitals (the rest untouched)."""
    return text[:1].upper() + text[1:]


def percent(part: int, whole: int) -> int:
    """Returns part ÷ whole in whole percent (0 when nothing is counted)."""
    return round(100 * part / whole) if whole else 0


def _upcoming_line(t: Translator, item: Upcoming) -> str:
    what = capitalised(t.gettext(UPCOMING_LABELS[item.kind]))
    if item.kind == "thematic_due":
        return t.gettext("• {what} (the quarter ends {day})", what=what, day=t.date_text(item.day))
    if item.kind in {"mid_review", "year_review"}:
        return f"• {what}"
    return t.gettext("• {day}: {what}", day=t.date_text(item.day), what=what)


def _figure_lines(t: Translator, figures: DigestFigures) -> list[str]:
    """The lines the group and the committee share: nothing about one member's shortfall."""
    lines: list[str] = []
    meeting = figures.next_meeting
    if meeting is not None:
        lines.append(
            t.gettext(
                "📅 Next meeting: {kind}, {when}, at {place}.",
                kind=kind_label(t, meeting.kind),
                when=t.weekday_date_text(meeting.starts_at)
                + ", "
                + t.time_text(meeting.starts_at),
                place=escape(meeting.place) or "—",
            )
        )
        if figures.next_documents:
            lines.append(t.gettext("📎 Documents sent: {n}.", n=t.number(figures.next_documents)))
        else:
            lines.append(t.gettext("📎 Documents: not sent yet."))
    else:
        lines.append(t.gettext("📅 No meeting is scheduled yet."))
    last, counted = figures.last_meeting, figures.last_figures
    if last is not None and counted is not None:
        rate = percent(counted.present, counted.denominator)
        bar = t.gettext(" — meets the 85% bar") if counted.rate > QUALITY_BAR else ""
        lines.append(
            t.gettext(
                "✅ Last meeting ({day}): {present}/{total} comrades attended ({rate}%){bar}.",
                day=t.date_text(last.starts_at),
                present=t.number(counted.present),
                total=t.number(counted.denominator),
                rate=t.number(rate),
                bar=bar,
            )
        )
    for found in figures.campaigns:
        registered, expected = found.progress.registered, len(found.progress.expected)
        lines.append(
            t.gettext(
                "📝 {what}: {n}/{total} comrades registered ({rate}%).",
                what=capitalised(campaign_short(t, found.campaign)),
                n=t.number(registered),
                total=t.number(expected),
                rate=t.number(percent(registered, expected)),
            )
        )
        if found.round is not None:
            answered = len(found.round.answered)
            lines.append(
                t.gettext(
                    "📊 Last progress report: {n}/{total} comrades answered ({rate}%).",
                    n=t.number(answered),
                    total=t.number(found.round.counted),
                    rate=t.number(percent(answered, found.round.counted)),
                )
            )
            counts = [
                f"{item_status_label(t, s)} {t.number(found.statuses[s])}"
                for s in _STATUS_ORDER
                if found.statuses.get(s)
            ]
            if counts:
                lines.append("   " + " · ".join(counts))
        for commendation, member in found.examples:
            lines.append(
                t.gettext(
                    "🏅 Commended: comrade {name} — {reason}",
                    name=escape(member.full_name),
                    reason=escape(commendation.reason),
                )
            )
    lines.extend(summary_lines(t, figures.pacts))
    for studied in figures.studies:
        line = t.gettext(
            "📚 Study “{what}”: {n}/{total} comrades done ({rate}%)",
            what=escape(excerpt(studied.announcement.text)),
            n=t.number(studied.complete),
            total=t.number(studied.audience),
            rate=t.number(percent(studied.complete, studied.audience)),
        )
        if studied.announcement.deadline is not None:
            line += t.gettext(", due {day}", day=t.date_text(studied.announcement.deadline))
        lines.append(line + ".")
    if figures.awaiting:
        audience = sum(a.audience for a in figures.awaiting)
        acknowledged = sum(a.acknowledged for a in figures.awaiting)
        lines.append(
            t.ngettext(
                "📢 {n} announcement awaits confirmation: {done}/{total} confirmed.",
                "📢 {n} announcements await confirmation: {done}/{total} confirmed.",
                len(figures.awaiting),
                done=t.number(acknowledged),
                total=t.number(audience),
            )
        )
    if figures.upcoming:
        lines.append(t.gettext("🗓 Coming up:"))
        lines.extend(_upcoming_line(t, u) for u in figures.upcoming)
    return lines


def group_digest(t: Translator, figures: DigestFigures) -> str:
    """Returns the digest the cell's group sees."""
    title = t.gettext("📰 <b>Weekly digest — {cell}</b>", cell=escape(figures.org.name))
    if figures.empty:
        lines = [
            title,
            t.gettext(
                "Nothing to report yet, comrades: once the cell schedules meetings and opens "
                "registrations, their figures appear here every week."
            ),
        ]
        lines += [line for line in _figure_lines(t, figures)[1:] if line]
        return "\n".join(lines)
    return "\n".join([title, *_figure_lines(t, figures)])


def _names(names: list[str]) -> str:
    return ", ".join(escape(n) for n in names)


def exception_lines(t: Translator, found: Exceptions) -> list[str]:
    """Returns the committee's lines about individual shortfalls (private only)."""
    if found.empty:
        return [t.gettext("✅ Nothing needs the committee's attention this week.")]
    lines = [t.gettext("⚠️ <b>For the committee's attention</b>")]
    if found.unexcused:
        lines.append(
            t.gettext(
                "• Unexcused absence at the last meeting: {names}", names=_names(found.unexcused)
            )
        )
    for name, streak in found.consecutive_excused:
        lines.append(
            t.gettext(
                "• Comrade {name}: {n} excused absences in a row",
                name=escape(name),
                n=t.number(streak),
            )
        )
    if found.missed_three_months:
        lines.append(
            t.gettext(
                "• Absent in three months of this year: {names}",
                names=_names(found.missed_three_months),
            )
        )
    for campaign, names in found.missing_commitments:
        if names:
            lines.append(
                t.gettext(
                    "• Not registered for {what}: {names}",
                    what=campaign_short(t, campaign),
                    names=_names(names),
                )
            )
    for campaign, names in found.silent:
        if names:
            lines.append(
                t.gettext(
                    "• No answer in the last progress report ({what}): {names}",
                    what=campaign_short(t, campaign),
                    names=_names(names),
                )
            )
    blocked = [n for n, r in found.unreachable if r == Reachability.BLOCKED]
    never = [n for n, r in found.unreachable if r == Reachability.NEVER_STARTED]
    if blocked:
        lines.append(t.gettext("• Blocked the bot: {names}", names=_names(blocked)))
    if never:
        lines.append(t.gettext("• Never started the bot: {names}", names=_names(never)))
    for task, owner in found.overdue_tasks:
        lines.append(
            t.gettext(
                "• Task past its due date ({day}): {task} — comrade {name}",
                day=t.date_text(task.due_on),
                task=escape(task.description),
                name=escape(owner),
            )
        )
    for announcement, names in found.unacknowledged:
        if names:
            lines.append(
                t.gettext(
                    "• Not confirmed “{what}”: {names}",
                    what=escape(excerpt(announcement.text)),
                    names=_names(names),
                )
            )
    for announcement, names in found.study_shortfalls:
        lines.append(
            t.gettext(
                "• Study “{what}” not completed: {names}",
                what=escape(excerpt(announcement.text)),
                names=_names(names),
            )
        )
    return lines


def committee_digest(
    t: Translator, figures: DigestFigures, found: Exceptions, *, posted_in_group: bool
) -> str:
    """Returns the committee's private digest: the exceptions first, then the figures."""
    lines = [
        t.gettext("📰 <b>Weekly digest — {cell}</b> (committee)", cell=escape(figures.org.name)),
        *exception_lines(t, found),
        "",
    ]
    if posted_in_group:
        lines.append(t.gettext("The figures below were posted in the cell's group:"))
    lines.extend(_figure_lines(t, figures))
    return "\n".join(lines)

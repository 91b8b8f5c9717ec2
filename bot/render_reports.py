"""A period report in the skeleton of the báo cáo sơ kết (domain.md §6.1): the title, then
sections of plain lines shared by the message, the DOCX and the XLSX; what the bot cannot know
is left as "(to be completed by the committee)"."""

from __future__ import annotations

from bot.i18n import Translator
from bot.models import MemberStatus
from bot.render_announcements import excerpt
from bot.render_commitments import campaign_short, plain_label
from bot.render_digests import capitalised, percent
from bot.render_pacts import report_lines
from bot.services.period_reports import (
    REGULAR,
    THEMATIC,
    CampaignLine,
    Period,
    PeriodReport,
)
from bot.text import escape


def period_label(t: Translator, period: Period) -> str:
    """Returns "tháng 01/2027", "quý I năm 2027", "6 tháng đầu năm 2027", "năm 2027"."""
    if period.kind == "month":
        month = str(period.index).zfill(2)
        return t.gettext("month {month}/{year}", month=month, year=period.year)
    if period.kind == "quarter":
        roman = ("I", "II", "III", "IV")[period.index - 1]
        return t.gettext("quarter {q} of {year}", q=roman, year=period.year)
    if period.kind == "half":
        if period.index == 1:
            return t.gettext("the first six months of {year}", year=period.year)
        return t.gettext("the last six months of {year}", year=period.year)
    return t.gettext("the year {year}", year=period.year)


def report_title(t: Translator, report: PeriodReport) -> str:
    """Returns the report's title (plain text)."""
    period = report.period
    if period.kind == "half" and period.index == 1:
        return t.gettext(
            "REPORT: review of the first six months of {year} and tasks for the last six months",
            year=period.year,
        )
    if period.kind == "year":
        return t.gettext(
            "REPORT: review of the year {year} and tasks for {next}",
            year=period.year,
            next=period.year + 1,
        )
    return t.gettext("REPORT: the cell's work in {period}", period=period_label(t, period))


def _campaign_line(t: Translator, line: CampaignLine) -> str:
    expected, registered, approved = line.expected, line.registered, line.approved
    return t.gettext(
        "{what}: {registered}/{expected} comrades registered ({rate}%), {approved} approved",
        what=capitalised(plain_label(campaign_short(t, line.campaign))),
        registered=t.number(registered),
        expected=t.number(expected),
        rate=t.number(percent(registered, expected)),
        approved=t.number(approved),
    )


def report_sections(t: Translator, report: PeriodReport) -> list[tuple[str, list[str]]]:
    """Returns the report's sections: a heading and its plain-text lines."""
    todo = t.gettext("(to be completed by the committee)")
    s = report.statuses
    full, probationary = s.get(MemberStatus.FULL, 0), s.get(MemberStatus.PROBATIONARY, 0)
    situation = [
        t.gettext(
            "The cell has {total} party members: {full} full and {probationary} probationary.",
            total=t.number(sum(s.values())),
            full=t.number(full),
            probationary=t.number(probationary),
        ),
        t.gettext(
            "Exempt from activities: {exempt}; attached temporarily elsewhere: {attached}.",
            exempt=t.number(s.get(MemberStatus.EXEMPT, 0)),
            attached=t.number(s.get(MemberStatus.ATTACHED_ELSEWHERE, 0)),
        ),
        t.gettext("Advantages and difficulties: {todo}", todo=todo),
    ]
    average = report.average_attendance
    meetings = [
        t.gettext(
            "Regular meetings held: {held}/{due}.",
            held=t.number(report.held(REGULAR)),
            due=t.number(report.regular_expected),
        ),
        t.gettext(
            "Thematic meetings held: {held}/{due}.",
            held=t.number(report.held(THEMATIC)),
            due=t.number(report.thematic_expected),
        )
        if report.thematic_expected
        else t.gettext("Thematic meetings held: {held}.", held=t.number(report.held(THEMATIC))),
        t.gettext("Average attendance: {rate}%.", rate=t.number(average))
        if average is not None
        else t.gettext("Average attendance: no roll call was taken."),
        t.gettext("Unexcused absences: {n}.", n=t.number(report.unexcused)),
        t.gettext(
            "Tasks assigned at the meetings: {n}, of which {due} were due by the end of the "
            "period; marked done: {done}.",
            n=t.number(report.tasks),
            due=t.number(report.tasks_due),
            done=t.number(report.tasks_done),
        ),
    ]
    for line in report.meetings:
        day = t.date_text(line.meeting.starts_at)
        if line.counted:
            meetings.append(
                t.gettext(
                    "• {day}: {present}/{counted} attended ({rate}%)",
                    day=day,
                    present=t.number(line.present),
                    counted=t.number(line.counted),
                    rate=t.number(percent(line.present, line.counted)),
                )
            )
        else:
            meetings.append(t.gettext("• {day}: no roll call", day=day))
    follow = [_campaign_line(t, line) for line in report.campaigns] or [
        t.gettext("No registration of commitments for {year}.", year=report.period.year)
    ]
    follow.append(t.gettext("Examples commended: {n}.", n=t.number(len(report.commended))))
    follow += [
        t.gettext("• comrade {name}: {reason}", name=member.full_name, reason=commendation.reason)
        for commendation, member in report.commended
    ]
    if report.pacts:
        follow.append(
            t.gettext("Emulation pacts of the cell: {n}.", n=t.number(len(report.pacts)))
        )
        follow += report_lines(t, report.pacts)
    studies = [
        t.gettext("Study campaigns (học tập, quán triệt): {n}.", n=t.number(len(report.studies)))
    ]
    for found in report.studies:
        studies.append(
            t.gettext(
                "• “{what}” ({day}): {n}/{total} comrades done ({rate}%)",
                what=excerpt(found.announcement.text),
                day=t.date_text(found.announcement.sent_at or found.announcement.created_at),
                n=t.number(found.complete),
                total=t.number(found.audience),
                rate=t.number(percent(found.complete, found.audience)),
            )
        )
    studies.append(todo)
    return [
        (t.gettext("I. SITUATION"), situation),
        (t.gettext("II. RESULTS"), []),
        (t.gettext("1. Political and ideological work"), studies),
        (t.gettext("2. Studying and following Uncle Hồ; commitments"), follow),
        (t.gettext("3. Party building: meetings and attendance"), meetings),
        (t.gettext("III. OVERALL ASSESSMENT"), [todo]),
        (t.gettext("IV. DIRECTIONS AND TASKS FOR THE NEXT PERIOD"), [todo]),
    ]


def report_text(t: Translator, report: PeriodReport) -> str:
    """Returns the report as a message (HTML)."""
    lines = [
        f"<b>{escape(report_title(t, report))}</b>",
        escape(report.org.name),
    ]
    for heading, body in report_sections(t, report):
        lines.append("")
        lines.append(f"<b>{escape(heading)}</b>")
        lines.extend(escape(line) for line in body)
    return "\n".join(lines)

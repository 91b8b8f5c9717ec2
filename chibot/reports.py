"""`chibot report …`: the committee's documents from the command line, for an operator."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from bot.clock import SystemClock
from bot.db import Database
from bot.i18n import translator
from bot.services import campaigns, orgs, period_reports, registers
from bot.services.errors import DomainError, NotFound

FORMATS = ("xlsx", "docx")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `report commitments "<cell>" --year Y …` and `report export "<cell>" --period P …`
    (both `--format docx|xlsx [--output FILE]`)."""
    report = sub.add_parser("report", help="documents for the committee (DOCX, XLSX)")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    pledges = report_sub.add_parser(
        "commitments", help="a cell's register of commitments and self-reviews for a year"
    )
    pledges.add_argument("cell", help="the cell's name, as in `chibot org list`")
    pledges.add_argument("--year", type=int, required=True)
    pledges.add_argument("--format", choices=FORMATS, default="xlsx")
    pledges.add_argument("--locale", default=None, help="vi or en (default: the cell's)")
    pledges.add_argument(
        "--output", type=Path, help="where to write it (default: a name made from cell and year)"
    )
    export = report_sub.add_parser(
        "export", help="a cell's period report (báo cáo sơ kết / tổng kết skeleton)"
    )
    export.add_argument("cell", help="the cell's name, as in `chibot org list`")
    export.add_argument(
        "--period", required=True, help="2027-01 (month), 2027-Q1, 2027-H1 or 2027 (year)"
    )
    export.add_argument("--format", choices=FORMATS, default="docx")
    export.add_argument("--locale", default=None, help="vi or en (default: the cell's)")
    export.add_argument(
        "--output", type=Path, help="where to write it (default: a name from cell and period)"
    )
    studied = report_sub.add_parser(
        "study", help="a study campaign's reflections (DOCX) or who read and submitted (XLSX)"
    )
    studied.add_argument("cell", help="the cell's name, as in `chibot org list`")
    studied.add_argument("campaign", type=int, help="the campaign's number, as the bot shows it")
    studied.add_argument("--format", choices=FORMATS, default="docx")
    studied.add_argument("--locale", default=None, help="vi or en (default: the cell's)")
    studied.add_argument(
        "--output", type=Path, help="where to write it (default: a name made from the campaign)"
    )


def run(args: argparse.Namespace, db: Database, out: TextIO) -> int:
    """Writes the requested report; 1 with a one-line reason when there is nothing to write."""
    if args.report_command == "export":
        return _export(args, db, out)
    if args.report_command == "study":
        return _study(args, db, out)
    from bot.reports.commitments_docx import register_docx
    from bot.reports.commitments_xlsx import register_xlsx

    with db.session() as session:
        org = orgs.find_org(session=session, name=args.cell)
        if org is None or org.id is None:
            out.write(f"No organisation named {args.cell!r}. See: chibot org list\n")
            return 1
        try:
            campaign = registers.find_campaign(session=session, org_id=org.id, year=args.year)
        except NotFound:
            out.write(f"{org.name} has no registration for {args.year}.\n")
            return 1
        register = registers.register_of(session=session, campaign=campaign)
        t = translator(args.locale or org.locale, org.timezone)
        today = campaigns.local_today(org, SystemClock().now())
        if args.format == "docx":
            content = register_docx(t, register, today)
        else:
            content = register_xlsx(t, register)
    path: Path = args.output or Path(f"{_slug(org.name)}-{args.year}.{args.format}")
    path.write_bytes(content)
    out.write(f"Wrote {path} ({len(register.records)} members, {len(content):,} bytes).\n")
    return 0


def _export(args: argparse.Namespace, db: Database, out: TextIO) -> int:
    """Writes a period report as DOCX or XLSX."""
    from bot.render import error_text
    from bot.reports.period_docx import period_docx
    from bot.reports.period_xlsx import period_xlsx

    with db.session() as session:
        org = orgs.find_org(session=session, name=args.cell)
        if org is None or org.id is None:
            out.write(f"No organisation named {args.cell!r}. See: chibot org list\n")
            return 1
        t = translator(args.locale or org.locale, org.timezone)
        try:
            period = period_reports.parse_period(args.period)
            report = period_reports.period_report(
                session=session, org=org, period=period, now=SystemClock().now()
            )
        except DomainError as exc:
            out.write(error_text(t, exc) + "\n")
            return 1
        content = period_docx(t, report) if args.format == "docx" else period_xlsx(t, report)
    path: Path = args.output or Path(f"{_slug(org.name)}-{period.code}.{args.format}")
    path.write_bytes(content)
    out.write(f"Wrote {path} ({len(report.meetings)} meetings, {len(content):,} bytes).\n")
    return 0


def _slug(name: str) -> str:
    """A file name from a cell's name: letters, digits and dashes."""
    kept = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in kept.split("-") if part) or "report"


def _study(args: argparse.Namespace, db: Database, out: TextIO) -> int:
    """Writes a study campaign's reflections (DOCX) or participation (XLSX)."""
    from bot.models import AnnouncementKind, Organisation
    from bot.reports.study_docx import reflections_docx
    from bot.reports.study_xlsx import participation_xlsx
    from bot.services import announcements, study

    with db.session() as session:
        org = orgs.find_org(session=session, name=args.cell)
        if org is None or org.id is None:
            out.write(f"No organisation named {args.cell!r}. See: chibot org list\n")
            return 1
        try:
            found = announcements.get_announcement(session=session, announcement_id=args.campaign)
        except NotFound:
            found = None
        if found is None or found.org_id != org.id or found.kind != AnnouncementKind.STUDY:
            out.write(f"{org.name} has no study campaign number {args.campaign}.\n")
            return 1
        figures = study.participation(session=session, announcement=found)
        t = translator(args.locale or org.locale, org.timezone)
        if args.format == "docx":
            parent = session.get(Organisation, org.parent_id) if org.parent_id else None
            today = campaigns.local_today(org, SystemClock().now())
            content = reflections_docx(t, figures, org, parent, today)
        else:
            content = participation_xlsx(t, figures, org)
    path: Path = args.output or Path(f"{_slug(org.name)}-study-{args.campaign}.{args.format}")
    path.write_bytes(content)
    out.write(
        f"Wrote {path} ({figures.submitted} of {figures.audience} submitted, "
        f"{len(content):,} bytes).\n"
    )
    return 0

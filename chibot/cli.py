"""The `chibot` command line: run the bot, migrate the database, manage cells and rosters."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from bot.clock import SystemClock
from bot.config import Settings
from bot.db import Database
from bot.i18n import translator
from bot.render import error_text, role_label, status_label
from bot.services import members, orgs, quota
from bot.services.errors import DomainError
from bot.shaping import plain_text
from chibot import officers, ops, reports, schema

log = logging.getLogger("chibot")

ROW_PROBLEMS = {
    "name_empty": "the name is empty",
    "name_too_long": "the name is longer than 120 characters",
    "name_markup": "the name contains characters a name cannot have (< > & / …)",
    "name_control": "the name contains invisible control characters",
    "unknown_role": "unknown role",
    "unknown_status": "unknown or empty status (chính thức / dự bị / miễn sinh hoạt / "
    "sinh hoạt tạm thời nơi khác)",
    "bad_phone": "the phone number is not 8–15 digits",
    "duplicate_name": "the same name appears earlier in the file",
    "too_many_columns": "more cells than header columns (an unquoted comma?)",
    "unclosed_quote": "a quotation mark that is never closed, or stray text after one",
}

FILE_ERRORS = {
    "unsupported_type": "only .csv and .xlsx files can be imported",
    "empty": "the file has no data rows",
    "missing_columns": "required columns are missing",
    "encoding": "the text is neither UTF-8 nor Windows-1258; save it as UTF-8 CSV",
    "unreadable_csv": "the CSV file could not be read (an unclosed quote?)",
    "unreadable_xlsx": "the XLSX file could not be read",
    "too_large": "the file is too large (at most 2 MB, 5,000 rows and, for a workbook, 50 MB "
    "unpacked)",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chibot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run the bot (polling, or webhook if CHIBOT_WEBHOOK_URL is set); "
        "without TELEGRAM_BOT_TOKEN, the sandbox",
    )
    _sandbox_options(run)
    run.add_argument(
        "--upgrade",
        action="store_true",
        help="migrate the database schema first (PostgreSQL; SQLite always upgrades itself)",
    )
    _sandbox_options(
        sub.add_parser(
            "sandbox",
            help="the browser sandbox: a fake Telegram, a fake Zalo and a chat page; no token",
        )
    )
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument(
        "action", choices=["upgrade"], help="upgrade: migrate the schema to this version"
    )
    backup = sub.add_parser(
        "backup", help="write a consistent backup of the database (safe while the bot runs)"
    )
    backup.add_argument("file", type=Path, help="where to write it (replaced if it exists)")
    restore = sub.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("file", type=Path, help="a file written by `chibot backup`")
    org = sub.add_parser("org", help="organisations (đảng bộ, chi bộ)")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    add = org_sub.add_parser("add", help="create an organisation and print its setup code")
    add.add_argument("name")
    add.add_argument("--parent", help="name of the parent organisation")
    add.add_argument("--timezone", help="IANA time zone (default: CHIBOT_TIMEZONE)")
    org_sub.add_parser("list", help="the organisation tree with groups and member counts")
    code = org_sub.add_parser("code", help="issue a fresh setup code (the old one stops working)")
    code.add_argument("name")
    officers.add_parser(org_sub)
    mem = sub.add_parser("members", help="rosters")
    mem_sub = mem.add_subparsers(dest="members_command", required=True)
    imp = mem_sub.add_parser("import", help="import a roster from .csv or .xlsx")
    imp.add_argument("cell")
    imp.add_argument("file", type=Path)
    imp.add_argument("--yes", action="store_true", help="import the good rows without asking")
    reports.add_parser(sub)
    return parser


def _print(out: TextIO, text: str = "") -> None:
    out.write(text + "\n")


def _sandbox_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="sandbox: the page's port")
    parser.add_argument("--reset", action="store_true", help="sandbox: seed the demo again")
    parser.add_argument("--data", default="sandbox-data", help="sandbox: its data directory")


def _sandbox(args: argparse.Namespace) -> int:
    import sandbox  # the sandbox (and its web page) is loaded only when asked for

    argv = ["--port", str(args.port), "--data", args.data] + (["--reset"] if args.reset else [])
    return sandbox.main(argv)


def _org_add(args: argparse.Namespace, settings: Settings, db: Database, out: TextIO) -> int:
    with db.session() as session:
        org, code = orgs.create_org(
            session=session,
            name=args.name,
            parent_name=args.parent,
            timezone=args.timezone or settings.timezone,
            locale=settings.locale,
            now=SystemClock().now(),
        )
    _print(out, f"Created: {org.name}")
    _print(out, f"Setup code (one use, valid 7 days): {code}")
    _print(out, f"In the cell's Telegram group, a group admin sends: /thietlap {code}")
    return 0


def _org_list(settings: Settings, db: Database, out: TextIO) -> int:
    with db.session() as session:
        tree = orgs.org_tree(session=session)
        use = quota.quota_use(
            session=session,
            channel="zalo",
            quota=settings.zalo_monthly_quota,
            now=SystemClock().now(),
        )
    if not tree:
        _print(out, 'No organisations yet. Create one with: chibot org add "Chi bộ …"')
    for item in tree:
        group = item.org.group_title or item.org.group_chat_id or "no group linked"
        if item.org.group_chat_id:
            group = f"group: {group} ({item.org.group_chat_id})"
        indent = "  " * item.depth
        _print(out, f"{indent}- {item.org.name} — {item.member_count} members — {group}")
    if settings.zalo_bot_token:
        line = f"Zalo this month: {use.sent} of {use.quota} messages ({use.share:.0%})"
        if use.refused:
            line += f", {use.refused} refused for the quota"
        if use.nearly_used:
            line += " — WARNING: the monthly quota is nearly used up"
        _print(out, line)
    return 0


def _org_code(args: argparse.Namespace, db: Database, out: TextIO) -> int:
    with db.session() as session:
        org = orgs.find_org(session=session, name=args.name)
        if org is None:
            _print(out, f"No organisation named {args.name!r}. See: chibot org list")
            return 1
        code = orgs.issue_setup_code(session=session, org=org, now=SystemClock().now())
    _print(out, f"New setup code for {org.name} (one use, valid 7 days): {code}")
    return 0


def _members_import(
    args: argparse.Namespace, db: Database, out: TextIO, answer: TextIO | None
) -> int:
    # Loaded only here: reading spreadsheets (openpyxl) is this command's alone.
    from bot.services import roster_files
    from bot.services.roster_files import RosterFileError, parse_roster

    path: Path = args.file
    if not path.is_file():
        _print(out, f"No such file: {path}")
        return 1
    try:
        parsed = parse_roster(path.read_bytes(), path.name)
    except RosterFileError as exc:
        detail = f" ({exc.detail})" if exc.detail else ""
        _print(
            out, f"Cannot import {path.name}: {FILE_ERRORS.get(exc.reason, exc.reason)}{detail}"
        )
        return 1
    with db.session() as session:
        org = orgs.find_org(session=session, name=args.cell)
        if org is None:
            _print(out, f"No organisation named {args.cell!r}. See: chibot org list")
            return 1
        t = translator(org.locale)
        current = members.secretary_of(session=session, org_id=org.id or 0)
        conflict = roster_files.secretary_conflict(
            parsed.rows, current=current.full_name if current else None
        )
        if conflict is not None:
            _print(out, f"Nothing imported: {plain_text(error_text(t, conflict))}")
            return 1
        # Names already on the roster (case and diacritics aside) are not added twice.
        known = members.on_roster(
            session=session, org_id=org.id or 0, names=[row.full_name for row in parsed.rows]
        )
        if known:
            _print(out, f"{len(known)} rows are already on the roster and will be skipped:")
            for row in parsed.rows:
                if row.full_name in known:
                    existing = known[row.full_name].full_name
                    _print(
                        out, f"  line {row.line}: {row.full_name} (on the roster as {existing})"
                    )
            parsed = replace(
                parsed, rows=[row for row in parsed.rows if row.full_name not in known]
            )
        _print(out, f"{len(parsed.rows)} rows can be imported into {org.name}:")
        for row in parsed.rows:
            phone = f", {row.phone}" if row.phone else ""
            _print(
                out,
                f"  line {row.line}: {row.full_name} — {role_label(t, row.role)}, "
                f"{status_label(t, row.status)}{phone}",
            )
        if parsed.problems:
            _print(out, f"{len(parsed.problems)} rows could not be read and will be skipped:")
            for problem in parsed.problems:
                why = ROW_PROBLEMS.get(problem.reason, problem.reason)
                _print(out, f"  line {problem.line}: {why}: {problem.value!r}")
        if not parsed.rows:
            _print(out, "Nothing to import.")
            return 1
        if not args.yes:
            if answer is None or not answer.isatty():
                _print(out, "Nothing imported. Re-run with --yes to import the rows above.")
                return 2
            out.write("Import these rows? [y/N] ")
            out.flush()
            if answer.readline().strip().lower() not in {"y", "yes", "c", "co", "có"}:
                _print(out, "Nothing imported.")
                return 2
        assert org.id is not None
        try:
            for row in parsed.rows:
                members.add_members(
                    session=session,
                    org_id=org.id,
                    names=[row.full_name],
                    role=row.role,
                    status=row.status,
                    actor=None,
                    now=SystemClock().now(),
                    phones=[row.phone],
                )
        except DomainError as exc:
            session.rollback()
            _print(out, f"Nothing imported: {plain_text(error_text(t, exc))}")
            return 1
    _print(out, f"Imported {len(parsed.rows)} members into {org.name}.")
    _print(out, "The secretary creates their invite links with /moi in Telegram.")
    return 0


OLD_SCHEMA = (
    "The database schema is older than this version of chibot. "
    "Run `chibot db upgrade` (or start with `chibot run --upgrade`)."
)
NEWER_SCHEMA = (
    "The database schema ({current}) is newer than this version of chibot knows "
    "(head {heads}): a newer chibot migrated it. Run that version, or restore a backup."
)


def _revisions(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) or "empty"


def _upgrade(db: Database, out: TextIO) -> int:
    done = schema.upgrade(db)
    if done.before == done.after:
        _print(out, f"Database is up to date (schema revision {_revisions(done.after)}).")
    else:
        _print(
            out,
            f"Database upgraded from schema revision {_revisions(done.before)} "
            f"to {_revisions(done.after)}.",
        )
    return 0


def _check_schema(db: Database, out: TextIO) -> int:
    """Returns 0 when the schema is at head, else explains and returns 2."""
    found = schema.schema(db)
    if found.state == schema.SchemaState.CURRENT:
        return 0
    if found.state == schema.SchemaState.OLDER:
        _print(out, OLD_SCHEMA)
    else:
        _print(
            out,
            NEWER_SCHEMA.format(current=_revisions(found.current), heads=_revisions(found.heads)),
        )
    return 2


def _prepare_schema(args: argparse.Namespace, db: Database, out: TextIO) -> int:
    """SQLite upgrades itself (one process owns it); PostgreSQL only when asked, under a lock."""
    if args.command == "db":
        return _upgrade(db, out)
    if not ops.is_postgresql(db.url):
        schema.upgrade(db)
        return 0
    if args.command == "run" and args.upgrade:
        return _upgrade(db, out)
    return _check_schema(db, out)


def _backup_or_restore(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    url = settings.database_url
    try:
        if args.command == "backup":
            done = ops.backup(url, args.file)
        else:
            done = ops.restore(url, args.file)
    except ops.NotEmpty as exc:
        _print(out, f"Error: {exc}")
        return 2
    except ops.OpsError as exc:
        _print(out, f"Error: {exc}")
        return 1
    except (SQLAlchemyError, OSError) as exc:
        _print(out, f"Error: {args.command} failed: {_one_line(exc)}")
        return 1
    _print(out, done.message)
    return 0


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def _run(settings: Settings, db: Database) -> int:
    from chibot.runtime import Runtime

    try:
        runtime = Runtime(settings, db=db)
    except ValueError as exc:  # a setting that would make the bot unsafe or unable to run
        _print(sys.stderr, f"Error: {exc}")
        return 2
    try:
        asyncio.run(runtime.serve())
    except Exception:
        # Through the log, never a bare traceback: the log masks the tokens (chibot.redact),
        # and python-telegram-bot names a refused token in its exception.
        logging.getLogger("chibot").critical("chibot stopped", exc_info=True)
        return 1
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the `chibot` console script."""
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings()
    if args.command == "sandbox" or (args.command == "run" and not settings.has_channel):
        if args.command == "run":
            _print(
                sys.stderr,
                "Neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set: starting the sandbox.",
            )
        return _sandbox(args)
    if args.command in {"backup", "restore"}:
        return _backup_or_restore(args, settings, out)
    db = Database(settings.database_url)
    try:
        try:
            prepared = _prepare_schema(args, db, out)
        except SQLAlchemyError as exc:
            _print(out, f"Error: the database at {ops.safe_url(db.url)}: {_one_line(exc)}")
            return 1
        if prepared or args.command == "db":
            return prepared
        if args.command == "run":
            return _run(settings, db)
        if args.command == "org":
            if args.org_command == "add":
                return _org_add(args, settings, db, out)
            if args.org_command == "list":
                return _org_list(settings, db, out)
            if args.org_command == "officer":
                return officers.run(args, db, out)
            return _org_code(args, db, out)
        if args.command == "report":
            return reports.run(args, db, out)
        return _members_import(args, db, out, sys.stdin)
    except DomainError as exc:
        params = ", ".join(f"{k}={v}" for k, v in exc.params.items())
        _print(out, f"Error: {exc.code}{' (' + params + ')' if params else ''}")
        return 1
    finally:
        db.dispose()


if __name__ == "__main__":
    raise SystemExit(main())

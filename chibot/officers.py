"""`chibot org officer add "<đảng bộ>" "<họ tên>"`: the operator makes an officer of a đảng bộ
and hands them a personal join link (Telegram) and code (Zalo)."""

from __future__ import annotations

import argparse
from typing import TextIO

from bot.clock import SystemClock
from bot.db import Database
from bot.services import invites, officers, orgs


def add_parser(org_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `org officer add "<đảng bộ>" "<full name>" [--bot USERNAME]`."""
    officer = org_sub.add_parser("officer", help="officers of a đảng bộ (đảng ủy viên)")
    officer_sub = officer.add_subparsers(dest="officer_command", required=True)
    add = officer_sub.add_parser(
        "add", help="make an officer and print their personal join link and code"
    )
    add.add_argument("org", help="the đảng bộ's name, as in `chibot org list`")
    add.add_argument("name", help="the officer's full name")
    add.add_argument("--bot", default=None, help="the Telegram bot's username, for the t.me link")


def run(args: argparse.Namespace, db: Database, out: TextIO) -> int:
    """Makes the officer and prints the link and code; 1 with a reason when it cannot."""
    now = SystemClock().now()
    with db.session() as session:
        org = orgs.find_org(session=session, name=args.org)
        if org is None:
            out.write(f"No organisation named {args.org!r}. See: chibot org list\n")
            return 1
        if not officers.cells_under(session=session, org_id=org.id or 0):
            out.write(f"No cell is under {org.name}: add cells with --parent first.\n")
            return 1
        member, issued = officers.add_officer(
            session=session, org=org, full_name=args.name, now=now
        )
        org_name, member_name = org.name, member.full_name
    link = invites.deep_link(args.bot or "<bot>", issued.token)
    out.write(f"Officer of {org_name}: {member_name}\n")
    out.write(f"Telegram link (one use, until {issued.expires_at:%Y-%m-%d}): {link}\n")
    if not args.bot:
        out.write("  (replace <bot> with the bot's username, or pass --bot)\n")
    out.write(f"Zalo: send the bot the code {issued.code}\n")
    return 0

"""The demo's Zalo member: on the roster, invited by the secretary, joined on Zalo by code.

She joins the way a member without Telegram does: the secretary's personal invite carries a join
code, she sends `/start <code>` to the bot on Zalo and types "1" to confirm.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from bot.db import Database
from bot.models import Account, MemberStatus, Reachability, Role
from bot.services import invites, members, orgs, people
from fake_zalo import FakeZalo, FakeZaloUser
from sandbox.seed import CELL_NAME, REPLY_TIMEOUT, SECRETARY
from sandbox.seed import CHANNEL as TELEGRAM
from sandbox.zalo import CHANNEL


@dataclass(frozen=True)
class ZaloPerson:
    """A simulated Zalo user of the demo, with a fixed id so restarts find the same person.

    Attributes:
        user_id: The Zalo user id (fixed; Zalo's ids are strings).
        full_name: The name on the roster and on Zalo.
        role: The role on the roster.
        status: The membership status on the roster.
    """

    user_id: str
    full_name: str
    role: Role = Role.MEMBER
    status: MemberStatus = MemberStatus.FULL


MAI = ZaloPerson("6a1f0c3e9b2d4e5f7a80", "Lê Thị Mai")
ZALO_PEOPLE: tuple[ZaloPerson, ...] = (MAI,)


def reachable_ids(db: Database) -> set[str]:
    """Returns the Zalo users who wrote to the bot in earlier runs (it may write to them)."""
    with db.session() as session:
        found = session.exec(
            select(Account.external_id).where(
                Account.channel == CHANNEL, Account.reachability == Reachability.OK
            )
        ).all()
    return set(found)


def prepare_zalo_world(zapi: FakeZalo, db: Database) -> None:
    """Creates the demo's Zalo users (fixed ids) in the fake Zalo server; every start.

    The fake keeps nothing between runs: someone who wrote to the bot before is marked as having
    interacted with it, as Zalo remembers, so the bot may write to them again. Their old events
    are gone with the old server, and new events get fresh random ids, so nothing is replayed.
    """
    reachable = reachable_ids(db)
    for person in ZALO_PEOPLE:
        user = zapi.add_user(person.full_name, user_id=person.user_id)
        if person.user_id in reachable:
            zapi.world.user_state(user).interacted = True


def issue_join_codes(db: Database, now: datetime) -> dict[str, str]:
    """Adds missing Zalo demo people to the roster (as the secretary) and invites them.

    Returns:
        The join code of each Zalo demo user who still has to join, by Zalo user id.
    """
    codes: dict[str, str] = {}
    with db.session() as session:
        cell = orgs.find_org(session=session, name=CELL_NAME)
        secretary = people.get_person(
            session=session, channel=TELEGRAM, external_id=str(SECRETARY.user_id)
        )
        if cell is None or cell.id is None or secretary is None:
            raise RuntimeError("the demo cell is not linked to its group yet")
        on_roster = {m.full_name for m in members.active_members(session=session, org_id=cell.id)}
        for person in ZALO_PEOPLE:
            if person.full_name not in on_roster:
                members.add_members(
                    session=session,
                    org_id=cell.id,
                    names=[person.full_name],
                    role=person.role,
                    status=person.status,
                    actor=secretary,
                    now=now,
                )
        unjoined = {
            m.full_name: m for m in invites.unjoined_members(session=session, org_id=cell.id)
        }
        for person in ZALO_PEOPLE:
            entry = unjoined.get(person.full_name)
            if entry is not None and entry.id is not None:
                issued = invites.issue_personal_invite(
                    session=session,
                    org_id=cell.id,
                    member_id=entry.id,
                    actor=secretary,
                    now=now,
                )
                codes[person.user_id] = issued.code
    return codes


async def say(zapi: FakeZalo, user: FakeZaloUser, text: str) -> str:
    """Sends text on Zalo and returns the next message the bot sends that user."""
    since = time.monotonic()
    await zapi.user_sends(user, text)
    call = await zapi.next_call(
        "sendMessage",
        timeout=REPLY_TIMEOUT,
        where=lambda c: c.params.get("chat_id") == user.id and c.at >= since,
    )
    if call.error is not None:
        raise RuntimeError(f"the bot could not answer {text!r} on Zalo: {call.error}")
    return str(call.params.get("text", ""))


async def join_on_zalo(zapi: FakeZalo, db: Database, now: datetime) -> None:
    """Joins each Zalo demo person who has not joined yet: `/start <code>`, then "1".

    Skipped for those the database shows joined, so a restart or an interrupted seed resumes.
    """
    for user_id, code in issue_join_codes(db, now).items():
        user = zapi.world.user_state(user_id).user
        prompt = await say(zapi, user, f"/start {code}")
        if "\n1. " not in prompt:
            raise RuntimeError(f"unexpected answer to a join code on Zalo: {prompt!r}")
        await say(zapi, user, "1")

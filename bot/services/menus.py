"""A person's own command menu in their private chat: it follows their role in their cells
and their language, and is queued again when either changes (they join, a role changes, they
leave the roster, they choose a language). Only channels with menus (Telegram) get one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.channels import profile_of
from bot.i18n import DEFAULT_LOCALE, translator
from bot.menus import Level, private_menu
from bot.models import COMMITTEE_ROLES, Person, Reachability, Role
from bot.services import members, outbox, people

MENU_CHANNELS = frozenset({"telegram"})


def level_of(*, session: Session, person: Person) -> Level:
    """Returns whose menu a person gets: the highest of their roles in all their cells."""
    roles = {member.role for member, _ in members.memberships(session=session, person=person)}
    if roles & {Role.SECRETARY, Role.DEPUTY}:
        return Level.SECRETARY
    if roles & COMMITTEE_ROLES:
        return Level.COMMITTEE
    return Level.MEMBER


def queue_menu(*, session: Session, person: Person, now: datetime) -> int:
    """Queues the person's menu for each private chat of theirs on a channel with menus where
    they wrote to the bot; returns how many were queued."""
    if person.id is None:
        return 0
    cells = members.memberships(session=session, person=person)
    locale = person.locale or (cells[0][1].locale if cells else DEFAULT_LOCALE)
    level = level_of(session=session, person=person)
    t = translator(locale)
    queued = 0
    for account in people.accounts_of(session=session, person_id=person.id):
        if account.channel not in MENU_CHANNELS or not profile_of(account.channel).buttons:
            continue
        if account.reachability != Reachability.OK:
            # Only a chat the person opened has a menu of its own (Telegram knows no other);
            # their first private message queues it (queue_own_menu).
            continue
        queued += outbox.enqueue_menu(
            session=session,
            dedupe_key=f"menu:{account.channel}:{account.external_id}:{level.name}:{locale}:"
            f"{now.isoformat()}",
            chat_id=account.external_id,
            commands=private_menu(t, level),
            now=now,
            person_id=person.id,
            channel=account.channel,
        )
    return queued


def queue_own_menu(*, session: Session, person: Person, now: datetime) -> int:
    """Queues the person's menu when it is not the members' menu every private chat already
    has in its language (a committee member, or a language chosen): when they join, or first
    write privately (before that, Telegram knows no chat to set it for)."""
    if person.locale is None and level_of(session=session, person=person) == Level.MEMBER:
        return 0
    return queue_menu(session=session, person=person, now=now)

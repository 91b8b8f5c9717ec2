"""People: the channel accounts the bot has seen, their language and reachability."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.i18n import LOCALES
from bot.models import Person, Reachability
from bot.services.errors import InvalidInput
from bot.text import clean_line


def ensure_person(
    *,
    session: Session,
    channel: str,
    external_id: str,
    display_name: str,
    username: str | None,
    now: datetime,
) -> Person:
    """Returns the person for a channel account, creating or refreshing it."""
    person = session.exec(
        select(Person).where(Person.channel == channel, Person.external_id == external_id)
    ).first()
    name = clean_line(display_name)[:255]
    if person is None:
        person = Person(
            channel=channel,
            external_id=external_id,
            display_name=name,
            username=username,
            created_at=now,
        )
        session.add(person)
        session.flush()
    elif person.display_name != name or person.username != username:
        person.display_name = name
        person.username = username
    return person


def get_person(*, session: Session, channel: str, external_id: str) -> Person | None:
    """Returns the person for a channel account, if seen before."""
    return session.exec(
        select(Person).where(Person.channel == channel, Person.external_id == external_id)
    ).first()


def set_locale(*, session: Session, person: Person, locale: str) -> Person:
    """Remembers the language a person chose."""
    if locale not in LOCALES:
        raise InvalidInput("bad_locale")
    person.locale = locale
    session.add(person)
    return person


def mark_reachability(*, session: Session, person_id: int, reachability: Reachability) -> None:
    """Records whether the bot can write to a person privately."""
    person = session.get(Person, person_id)
    if person is not None and person.reachability != reachability:
        person.reachability = reachability
        session.add(person)


def mark_started(*, session: Session, person: Person) -> None:
    """Records that the person wrote to the bot privately (so it may write back)."""
    if person.reachability != Reachability.OK:
        person.reachability = Reachability.OK
        session.add(person)

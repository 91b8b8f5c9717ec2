"""A cell's settings (/caidat): its time zone, the reminders of new meetings, the weekly
digest's day and time, the language of new members. Secretary or deputy only; every change is
audited and a bad value changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from bot.datetext import DateTextError, parse_time
from bot.i18n import LOCALES
from bot.models import Member, Organisation, Person
from bot.models.commitments import Cadence
from bot.services import audit, campaigns, members, orgs
from bot.services.digest_schedule import missing_local_day, next_digest_at
from bot.services.errors import InvalidInput
from bot.services.meetings import DEFAULT_OFFSETS
from bot.text import clean_line


def default_offsets(org: Organisation) -> list[int]:
    """Returns the reminders a new meeting of the cell gets, in minutes before, longest first."""
    chosen = org.reminder_offsets
    return sorted(DEFAULT_OFFSETS if chosen is None else chosen, reverse=True)


def editable_cell(*, session: Session, person: Person, org_id: int) -> tuple[Organisation, Member]:
    """Returns the cell and the person's entry if they may change its settings."""
    org = orgs.get_org(session=session, org_id=org_id)  # raises NotFound first
    member = members.require_secretary(session=session, person=person, org_id=org_id)
    return org, member


def check_timezone(text: str) -> str:
    """Returns a valid IANA zone name ("Asia/Ho_Chi_Minh"), or raises InvalidInput."""
    name = clean_line(text).replace(" ", "_")
    if not name or len(name) > 64 or ("/" not in name and name != "UTC"):
        raise InvalidInput("bad_timezone", timezone=text.strip()[:64])
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("bad_timezone", timezone=text.strip()[:64]) from exc
    return name


def check_digest_time(text: str) -> str:
    """Returns a typed time of day as HH:MM, or raises InvalidInput."""
    try:
        return str(parse_time(text))
    except DateTextError as exc:
        raise InvalidInput(f"date_{exc.reason}") from exc


def check_digest_slot(
    org: Organisation, zone: str, weekday: int, hhmm: str, now: datetime
) -> None:
    """Refuses a weekly time that the zone skips on some day of the coming year (DST)."""
    day = missing_local_day(ZoneInfo(zone), weekday, hhmm, campaigns.local_today(org, now))
    if day is not None:
        raise InvalidInput("digest_time_missing", time=hhmm, day=day, timezone=zone)


def _save(
    session: Session,
    org: Organisation,
    member: Member,
    person: Person,
    what: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
) -> Organisation:
    for name, value in after.items():
        setattr(org, name, value)
    org.digest_due_at = next_digest_at(org, now)
    session.add(org)
    session.flush()
    audit.record_action(
        session=session,
        org_id=org.id,
        actor_person_id=person.id,
        actor_label=member.full_name,
        action=f"settings.{what}",
        target=f"#{org.id}",
        before=before,
        after=after,
        now=now,
    )
    return org


def set_timezone(
    *, session: Session, org_id: int, person: Person, timezone: str, now: datetime
) -> Organisation:
    """Changes the cell's time zone (the digest keeps its local day and time)."""
    org, member = editable_cell(session=session, person=person, org_id=org_id)
    name = check_timezone(timezone)
    if org.digest_enabled:
        check_digest_slot(org, name, org.digest_weekday, org.digest_time, now)
    before = {"timezone": org.timezone}
    return _save(session, org, member, person, "timezone", before, {"timezone": name}, now)


def set_reminders(
    *, session: Session, org_id: int, person: Person, offsets: list[int], now: datetime
) -> Organisation:
    """Changes the reminders new meetings of the cell get (meetings already set keep theirs)."""
    org, member = editable_cell(session=session, person=person, org_id=org_id)
    before = {"reminder_offsets": default_offsets(org)}
    after = {"reminder_offsets": sorted(set(offsets), reverse=True)}
    return _save(session, org, member, person, "reminders", before, after, now)


def set_digest(
    *,
    session: Session,
    org_id: int,
    person: Person,
    enabled: bool,
    weekday: int,
    hhmm: str,
    now: datetime,
) -> Organisation:
    """Changes the weekly digest's day and time (or turns it off)."""
    org, member = editable_cell(session=session, person=person, org_id=org_id)
    if not 0 <= weekday <= 6:
        raise InvalidInput("stale")
    hhmm = check_digest_time(hhmm)
    if enabled:
        check_digest_slot(org, org.timezone, weekday, hhmm, now)
    before = {
        "digest_enabled": org.digest_enabled,
        "digest_weekday": org.digest_weekday,
        "digest_time": org.digest_time,
    }
    after = {"digest_enabled": enabled, "digest_weekday": weekday, "digest_time": hhmm}
    return _save(session, org, member, person, "digest", before, after, now)


def set_cadence(
    *, session: Session, org_id: int, person: Person, cadence: str, now: datetime
) -> Organisation:
    """Changes how often new registrations check in by default (open ones keep theirs)."""
    org, member = editable_cell(session=session, person=person, org_id=org_id)
    if cadence not in {c.value for c in Cadence}:
        raise InvalidInput("stale")
    before = {"checkin_cadence": org.checkin_cadence}
    after = {"checkin_cadence": cadence}
    return _save(session, org, member, person, "cadence", before, after, now)


def set_language(
    *, session: Session, org_id: int, person: Person, locale: str, now: datetime
) -> Organisation:
    """Changes the language of members who have not chosen one."""
    org, member = editable_cell(session=session, person=person, org_id=org_id)
    if locale not in LOCALES:
        raise InvalidInput("bad_locale")
    before = {"locale": org.locale}
    return _save(session, org, member, person, "language", before, {"locale": locale}, now)

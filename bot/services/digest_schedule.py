"""When the weekly digest falls due and how it goes out: the next instant from the cell's day
and time in its zone (APScheduler's CronTrigger, DST-safe), claimed by one tick only; a digest
missed by more than a day is skipped, one missed by less is sent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import exists, update
from sqlmodel import Session, col, select

from bot.channels import profile_of
from bot.db import rowcount
from bot.i18n import translator
from bot.models import Member, Organisation, Priority
from bot.render_digests import committee_digest, group_digest
from bot.render_rollups import rollup_text
from bot.services import digest_charts, digests, files, members, notices, outbox, rollups
from bot.text import escape
from bot.ui import FileOut, Screen

# A digest found later than this after its due time is stale: skipped, not sent.
MISSED_LIMIT = timedelta(days=1)
# Digests queued by one tick at most (each draws a chart).
PER_TICK = 50
CHART_FILE = "bieu-do.png"


@dataclass(frozen=True)
class DigestReport:
    """What one pass did."""

    sent: int = 0  # cells whose digest was queued
    skipped: int = 0  # cells whose digest was stale
    rows: int = 0  # outbox rows queued


def _hour_minute(text: str) -> tuple[int, int]:
    hour, minute = text.split(":")
    return int(hour), int(minute)


def next_digest_at(org: Organisation, after: datetime) -> datetime | None:
    """Returns the first digest instant strictly after `after` (UTC), None when it is off."""
    if not org.digest_enabled:
        return None
    hour, minute = _hour_minute(org.digest_time)
    zone = ZoneInfo(org.timezone)
    trigger = CronTrigger(day_of_week=org.digest_weekday, hour=hour, minute=minute, timezone=zone)
    fire = trigger.get_next_fire_time(None, (after + timedelta(microseconds=1)).astimezone(zone))
    return None if fire is None else fire.astimezone(UTC)


def missing_local_day(zone: ZoneInfo, weekday: int, hhmm: str, today: date) -> date | None:
    """Returns the first day of the coming year on `weekday` when `hhmm` does not exist in the
    zone (clocks moved forward over it), or None when it always exists."""
    hour, minute = _hour_minute(hhmm)
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    for _ in range(54):
        wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        back = wall.astimezone(UTC).astimezone(zone)
        if (back.hour, back.minute) != (hour, minute):
            return day
        day += timedelta(days=7)
    return None


def _has_members() -> Any:
    return exists().where(col(Member.org_id) == col(Organisation.id))


def _schedule_new(session: Session, now: datetime) -> None:
    """Gives every cell with a roster and no due instant its next one."""
    fresh = session.exec(
        select(Organisation).where(
            col(Organisation.digest_enabled).is_(True),
            col(Organisation.digest_due_at).is_(None),
            _has_members(),
        )
    ).all()
    for org in fresh:
        session.execute(
            update(Organisation)
            .where(col(Organisation.id) == org.id, col(Organisation.digest_due_at).is_(None))
            .values(digest_due_at=next_digest_at(org, now))
        )


def run_due(*, session: Session, now: datetime, photos_by_url: bool = False) -> DigestReport:
    """Queues every cell's digest due at `now`, with its chart (see digest_rows); each due
    instant is claimed by one tick, and at most PER_TICK digests go out per tick (drawing
    charts takes time; the rest are still due at the next tick)."""
    _schedule_new(session, now)
    due = session.exec(
        select(Organisation)
        .where(
            col(Organisation.digest_enabled).is_(True),
            col(Organisation.digest_due_at) <= now,
        )
        .order_by(col(Organisation.digest_due_at), col(Organisation.id))
        .limit(PER_TICK)
    ).all()
    sent = skipped = rows = 0
    for org in due:
        at = org.digest_due_at
        assert at is not None
        claimed = session.execute(
            update(Organisation)
            .where(col(Organisation.id) == org.id, col(Organisation.digest_due_at) == at)
            .values(digest_due_at=next_digest_at(org, max(now, at)))
            .execution_options(synchronize_session=False)
        )
        if rowcount(claimed) != 1:
            continue  # another tick took it
        if now - at > MISSED_LIMIT:
            skipped += 1
            continue
        rows += queue_digest(
            session=session,
            org=org,
            key=f"digest:{org.id}:{at:%Y%m%dT%H%M}",
            now=now,
            photos_by_url=photos_by_url,
        )
        sent += 1
    return DigestReport(sent=sent, skipped=skipped, rows=rows)


def _committee(session: Session, org_id: int) -> list[notices.Recipient]:
    """The committee members who can be written to (a đảng bộ's: its officers)."""
    ids = {m.id for m, _ in members.committee_people(session=session, org_id=org_id)}
    people = notices.recipients(session=session, org_ids=[org_id])[org_id]
    return [r for r in people if r.member_id in ids]


def _store_png(session: Session, png: bytes, now: datetime) -> int:
    found = files.store(
        session=session, file_name=CHART_FILE, content=png, mime_type="image/png", now=now
    )
    assert found.id is not None
    return found.id


def chart_rows(
    *,
    session: Session,
    org: Organisation,
    people: list[notices.Recipient],
    in_group: bool,
    key: str,
    now: datetime,
    photos_by_url: bool,
) -> list[dict[str, Any]]:
    """Returns the rows of the cell's chart (drawn once per language and stored once): to each
    of `people` and the group, after their digest; none on Zalo unless the operator publishes
    files, and none when there is nothing to draw."""
    assert org.id is not None
    can_show = [p for p in people if profile_of(p.channel).file_upload or photos_by_url]
    if not can_show and not in_group:
        return []
    series = digest_charts.chart_series(session=session, org=org, now=now)
    if series.empty:
        return []
    from bot.reports.chart import digest_chart  # matplotlib is loaded only to draw

    stored: dict[str, int] = {}

    def photo(locale: str, channel: str) -> FileOut:
        t = translator(locale, org.timezone)
        if locale not in stored:
            png = digest_chart(t, series)
            assert png is not None
            stored[locale] = _store_png(session, png, now)
        name = escape(org.name) if profile_of(channel).html else org.name
        caption = t.gettext("📊 {cell}: attendance and check-in responses", cell=name)
        return FileOut(CHART_FILE, stored_id=stored[locale], caption=caption, photo=True)

    rows = [
        outbox.document_row(
            dedupe_key=f"{key}:chart:{p.member_id}",
            chat_id=p.chat_id,
            document=photo(p.locale or org.locale, p.channel),
            now=now,
            is_group=False,
            priority=Priority.BULK,
            person_id=p.person_id,
            org_id=org.id,
            channel=p.channel,
            photos_by_url=photos_by_url,
        )
        for p in can_show
    ]
    if in_group and org.group_chat_id:
        channel = org.channel or "telegram"
        rows.append(
            outbox.document_row(
                dedupe_key=f"{key}:chart:group",
                chat_id=org.group_chat_id,
                document=photo(org.locale, channel),
                now=now,
                is_group=True,
                priority=Priority.BULK,
                org_id=org.id,
                channel=channel,
                photos_by_url=photos_by_url,
            )
        )
    return rows


def rollup_rows(
    *, session: Session, org: Organisation, key: str, now: datetime, photos_by_url: bool
) -> list[dict[str, Any]]:
    """Returns the rows of a đảng bộ's weekly roll-up: to each of its officers privately, the
    message and then its chart."""
    assert org.id is not None
    rollup = rollups.weekly(session=session, org=org, now=now)
    ids = {m.id for m, _ in members.committee_people(session=session, org_id=org.id)}
    officers = [
        r
        for r in notices.recipients(session=session, org_ids=[org.id])[org.id]
        if r.member_id in ids
    ]
    rows = notices.fan_out_rows(
        org=org,
        people=officers,
        build=lambda t: Screen(rollup_text(t, rollup)),
        key=key,
        now=now,
        include_group=False,
        priority=Priority.BULK,
    )
    stored: dict[str, int | None] = {}

    def chart_of(locale: str) -> int | None:
        if locale not in stored:
            from bot.reports.rollup_files import rollup_chart  # matplotlib: only to draw

            png = rollup_chart(translator(locale, org.timezone), rollup)
            found = None
            if png is not None:
                found = files.store(
                    session=session,
                    file_name=CHART_FILE,
                    content=png,
                    mime_type="image/png",
                    now=now,
                ).id
            stored[locale] = found
        return stored[locale]

    for officer in officers:
        if not (profile_of(officer.channel).file_upload or photos_by_url):
            continue
        stored_id = chart_of(officer.locale or org.locale)
        if stored_id is None:
            continue
        rows.append(
            outbox.document_row(
                dedupe_key=f"{key}:chart:{officer.member_id}",
                chat_id=officer.chat_id,
                document=FileOut(CHART_FILE, stored_id=stored_id, photo=True),
                now=now,
                is_group=False,
                priority=Priority.BULK,
                person_id=officer.person_id,
                org_id=org.id,
                channel=officer.channel,
                photos_by_url=photos_by_url,
            )
        )
    return rows


def digest_rows(
    *,
    session: Session,
    org: Organisation,
    key: str,
    now: datetime,
    committee: list[notices.Recipient] | None = None,
    photos_by_url: bool = False,
) -> list[dict[str, Any]]:
    """Returns the rows of one digest: the group's (when the cell has one) and each committee
    member's private one, exceptions first, each followed by the chart. `committee` narrows
    who gets the private one. A đảng bộ's officers get the roll-up of its cells instead."""
    assert org.id is not None
    if rollups.is_dang_bo(session=session, org_id=org.id):
        return rollup_rows(session=session, org=org, key=key, now=now, photos_by_url=photos_by_url)
    figures = digests.digest_figures(session=session, org=org, now=now)
    found = digests.exceptions(session=session, figures=figures)
    in_group = bool(org.group_chat_id)
    rows = notices.fan_out_rows(
        org=org,
        people=[],
        build=lambda t: Screen(group_digest(t, figures)),
        key=key,
        now=now,
        include_group=in_group,
        priority=Priority.BULK,
    )
    if committee is None:
        committee = _committee(session, org.id)
    rows += notices.fan_out_rows(
        org=org,
        people=committee,
        build=lambda t: Screen(committee_digest(t, figures, found, posted_in_group=in_group)),
        key=f"{key}:committee",
        now=now,
        include_group=False,
        priority=Priority.BULK,
    )
    rows += chart_rows(
        session=session,
        org=org,
        people=committee,
        in_group=in_group,
        key=key,
        now=now,
        photos_by_url=photos_by_url,
    )
    return rows


def queue_digest(
    *, session: Session, org: Organisation, key: str, now: datetime, photos_by_url: bool = False
) -> int:
    """Queues one digest (dedupe keys from `key`); returns how many rows were new."""
    rows = digest_rows(session=session, org=org, key=key, now=now, photos_by_url=photos_by_url)
    return outbox.enqueue_many(session=session, rows=rows)

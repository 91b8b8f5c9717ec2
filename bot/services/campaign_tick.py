"""What the tick does for campaigns: registration reminders, opening and closing check-in
rounds, nudges. A fixed number of statements whatever the number of members; dedupe keys on
the outbox rows and unique (campaign, seq) rounds make a second run, or a second process,
change nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.db import insert_for, rowcount
from bot.models import Organisation, Priority
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignStatus,
    CheckInRound,
    Commitment,
    CommitmentStatus,
    RoundStatus,
)
from bot.render_checkins import nudge_notice, registration_reminder, round_notice
from bot.services import campaigns, checkins, notices, outbox

NUDGE_EVERY = timedelta(days=2)
MAX_NUDGES = 2
# A round found this long after it should have opened says it opened late.
LATE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class CampaignReport:
    """What one pass did."""

    reminded: int = 0  # campaigns whose registration reminder went out
    opened: int = 0  # rounds opened
    closed: int = 0  # rounds closed
    nudged: int = 0  # rounds nudged
    rows: int = 0  # outbox rows queued


def run_due(*, session: Session, now: datetime) -> CampaignReport:
    """Does every campaign chore due at `now`."""
    closed = rowcount(
        session.execute(
            update(CheckInRound)
            .where(
                col(CheckInRound.status) == RoundStatus.OPEN,
                col(CheckInRound.closes_at) <= now,
            )
            .values(status=RoundStatus.CLOSED)
        )
    )
    found = list(
        session.exec(
            select(Campaign, Organisation)
            .join(Organisation, col(Organisation.id) == col(Campaign.org_id))
            .where(Campaign.status == CampaignStatus.OPEN)
            .order_by(col(Campaign.id))
        ).all()
    )
    if not found:
        return CampaignReport(closed=closed)
    remind = [(c, o) for c, o in found if campaigns.reminder_due(campaign=c, org=o, now=now)]
    rounds = _open_rounds(session, found, now)
    nudge = _nudges_due(session, now)
    if not (remind or rounds or nudge):
        return CampaignReport(closed=closed)
    org_ids = {o.id or 0 for _, o in found}
    people = notices.recipients(session=session, org_ids=org_ids)
    rows: list[dict[str, Any]] = []
    rows += _reminder_rows(session, remind, people, now)
    by_id = {c.id: (c, o) for c, o in found}
    rows += _round_rows(session, rounds, by_id, people, now)
    rows += _nudge_rows(session, nudge, by_id, people, now)
    queued = outbox.enqueue_many(session=session, rows=rows)
    return CampaignReport(
        reminded=len(remind), opened=len(rounds), closed=closed, nudged=len(nudge), rows=queued
    )


# --- registration reminders ----------------------------------------------------------------------


def _reminder_rows(
    session: Session,
    due: list[tuple[Campaign, Organisation]],
    people: dict[int, list[notices.Recipient]],
    now: datetime,
) -> list[dict[str, Any]]:
    """Reminds the expected members who have submitted nothing (a draft is not submitted)."""
    if not due:
        return []
    ids = [c.id or 0 for c, _ in due]
    submitted: dict[int, set[int]] = {i: set() for i in ids}
    for campaign_id, member_id in session.exec(
        select(Commitment.campaign_id, Commitment.member_id)
        .where(
            col(Commitment.campaign_id).in_(ids),
            Commitment.status != CommitmentStatus.DRAFT,
        )
        .distinct()
    ).all():
        submitted[campaign_id].add(member_id)
    rows: list[dict[str, Any]] = []
    for campaign, org in due:
        waiting = [
            r
            for r in people.get(org.id or 0, [])
            if r.expected and r.member_id not in submitted[campaign.id or 0]
        ]
        stamp = campaigns.local_today(org, now).isoformat()
        rows += notices.fan_out_rows(
            org=org,
            people=waiting,
            build=partial(registration_reminder, campaign=campaign),
            key=f"campaign:{campaign.id}:remind:{stamp}",
            now=now,
            include_group=False,
            priority=Priority.BULK,
        )
    session.execute(update(Campaign).where(col(Campaign.id).in_(ids)).values(reminded_at=now))
    return rows


# --- rounds --------------------------------------------------------------------------------------


def _open_rounds(
    session: Session, found: list[tuple[Campaign, Organisation]], now: datetime
) -> list[CheckInRound]:
    """Inserts the round each campaign should have open now, once: a round missed while the
    bot was down opens late (only the latest one), and a racing tick inserts nothing."""
    wanted = []
    for campaign, org in found:
        if campaign.cadence == Cadence.NONE:
            continue
        window = checkins.due_window(campaign, org, now)
        if window is not None:
            wanted.append((campaign.id or 0, window))
    if not wanted:
        return []
    have = set(
        session.exec(
            select(CheckInRound.campaign_id, CheckInRound.seq).where(
                col(CheckInRound.campaign_id).in_([c for c, _ in wanted])
            )
        ).all()
    )
    values = [
        {
            "campaign_id": campaign_id,
            "seq": w.seq,
            "period_start": w.period_start,
            "opens_at": w.opens_at,
            "closes_at": w.closes_at,
            "status": RoundStatus.OPEN.value,
            "nudges": 0,
        }
        for campaign_id, w in wanted
        if (campaign_id, w.seq) not in have
    ]
    if not values:
        return []
    table = CheckInRound.__table__  # type: ignore[attr-defined]
    insert = insert_for(session)
    stmt = (
        insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["campaign_id", "seq"])
        .returning(table.c.id)
    )
    new_ids = [row[0] for row in session.execute(stmt)]
    if not new_ids:
        return []
    return list(session.exec(select(CheckInRound).where(col(CheckInRound.id).in_(new_ids))))


def _round_rows(
    session: Session,
    rounds: list[CheckInRound],
    by_id: dict[int | None, tuple[Campaign, Organisation]],
    people: dict[int, list[notices.Recipient]],
    now: datetime,
) -> list[dict[str, Any]]:
    """Tells each member whose commitment in force has items that a round is open."""
    if not rounds:
        return []
    asked = checkins.asked_member_ids(
        session=session, campaign_ids=sorted({r.campaign_id for r in rounds})
    )
    rows: list[dict[str, Any]] = []
    for round_ in rounds:
        campaign, org = by_id[round_.campaign_id]
        late = now - round_.opens_at > LATE_AFTER
        rows += notices.fan_out_rows(
            org=org,
            people=[
                r for r in people.get(org.id or 0, []) if r.member_id in asked[campaign.id or 0]
            ],
            build=partial(round_notice, campaign=campaign, round_=round_, late=late),
            key=f"checkin:{round_.id}:open",
            now=now,
            include_group=False,
            priority=Priority.BULK,
        )
    return rows


# --- nudges --------------------------------------------------------------------------------------


def _nudges_due(session: Session, now: datetime) -> list[tuple[CheckInRound, int]]:
    """Returns the open rounds to nudge now, each with the number of its nudge (1 or 2), and
    counts the nudge (a racing tick counting the same one changes nothing)."""
    found = session.exec(
        select(CheckInRound, Organisation)
        .join(Campaign, col(Campaign.id) == col(CheckInRound.campaign_id))
        .join(Organisation, col(Organisation.id) == col(Campaign.org_id))
        .where(
            CheckInRound.status == RoundStatus.OPEN,
            col(CheckInRound.closes_at) > now,
            col(CheckInRound.nudges) < MAX_NUDGES,
            Campaign.status == CampaignStatus.OPEN,
        )
    ).all()
    out = []
    for round_, org in found:
        last = round_.nudged_at or round_.opens_at
        if now - last < NUDGE_EVERY or not campaigns.daytime(org, now):
            continue
        out.append((round_, round_.nudges + 1))
    for round_, number in out:
        session.execute(
            update(CheckInRound)
            .where(col(CheckInRound.id) == round_.id, col(CheckInRound.nudges) == number - 1)
            .values(nudges=number, nudged_at=now)
        )
    return out


def _nudge_rows(
    session: Session,
    due: list[tuple[CheckInRound, int]],
    by_id: dict[int | None, tuple[Campaign, Organisation]],
    people: dict[int, list[notices.Recipient]],
    now: datetime,
) -> list[dict[str, Any]]:
    """Nudges the members asked in a round who have answered nothing and are not away."""
    if not due:
        return []
    asked = checkins.asked_member_ids(
        session=session, campaign_ids=sorted({r.campaign_id for r, _ in due})
    )
    responded = checkins.responded_member_ids(
        session=session, round_ids=[r.id or 0 for r, _ in due]
    )
    rows: list[dict[str, Any]] = []
    for round_, number in due:
        campaign, org = by_id[round_.campaign_id]
        silent = asked[campaign.id or 0] - responded[round_.id or 0]
        rows += notices.fan_out_rows(
            org=org,
            people=[r for r in people.get(org.id or 0, []) if r.member_id in silent],
            build=partial(nudge_notice, campaign=campaign, round_=round_),
            key=f"checkin:{round_.id}:nudge{number}",
            now=now,
            include_group=False,
            priority=Priority.BULK,
        )
    return rows


# --- what is next (the sandbox's clock) ----------------------------------------------------------


def next_due(*, session: Session, now: datetime) -> tuple[datetime, str] | None:
    """Returns the next instant a campaign chore falls due after `now`, and what it is: a
    registration reminder, a round opening or a nudge (daytime rules applied)."""
    found = session.exec(
        select(Campaign, Organisation)
        .join(Organisation, col(Organisation.id) == col(Campaign.org_id))
        .where(Campaign.status == CampaignStatus.OPEN)
    ).all()
    candidates: list[tuple[datetime, str]] = []
    for campaign, org in found:
        last = campaign.reminded_at or campaign.created_at
        at = _daytime_from(org, max(now, last + campaigns.REMIND_EVERY))
        if campaigns.reminder_due(campaign=campaign, org=org, now=at):
            candidates.append((at, "reminder"))
        opening = checkins.next_opening(campaign, org, now)
        if opening is not None:
            candidates.append((opening, "round"))
        current = checkins.current_round(session=session, campaign_id=campaign.id or 0, now=now)
        if current is not None and current.nudges < MAX_NUDGES:
            at = _daytime_from(
                org, max(now, (current.nudged_at or current.opens_at) + NUDGE_EVERY)
            )
            if at < current.closes_at:
                candidates.append((at, "nudge"))
    return min(candidates) if candidates else None


def _daytime_from(org: Organisation, instant: datetime) -> datetime:
    """Returns `instant`, or the next 07:00 in the cell's zone when it falls at night."""
    step = instant
    for _ in range(24 * 4):
        if campaigns.daytime(org, step):
            return step
        step = step + timedelta(minutes=15)
    return step

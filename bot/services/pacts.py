"""A cell's giao ước thi đua (emulation pact, domain.md §2.3): a campaign of kind PACT with
collective targets (a line, a unit, a plan value). The pact is the cell's, not each member's:
nobody registers for it; the committee records what has been achieved against each target,
and closes it at sơ kết / tổng kết, after which its final figures stay readable."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, or_, select

from bot.models import COMMITTEE_ROLES, Person
from bot.models.commitments import Campaign, CampaignKind, CampaignStatus, PactTarget
from bot.services import audit, campaigns, members
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.text import clean_input, clean_line

MAX_TARGETS = 20
MAX_TARGET_TEXT = 300
MAX_UNIT = 50
MAX_NOTE = 500
MAX_VALUE = 1_000_000_000
# How long a closed pact stays in /camket (its final figures), after its tổng kết.
HISTORY_FOR = timedelta(days=400)

_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)\s*(%?)")


@dataclass(frozen=True)
class TargetDraft:
    """One target as typed: what is aimed for, its plan value and unit."""

    text: str
    plan: float
    unit: str


def _number(raw: str) -> float:
    """Reads "2", "3,5", "1.000" (Vietnamese digit grouping) as a number."""
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
    return float(raw)


def _plan(raw: str, line: int) -> tuple[float, str]:
    """Reads the part after the colon: "2 người", "100 %", "100%"; the plan must be positive."""
    value = raw.strip()
    match = re.match(r"^(-?\s*[\d.,]+)\s*(.*)$", value)
    if match is None:
        raise InvalidInput("pact_plan_not_number", line=line)
    number_text = match.group(1).replace(" ", "")
    unit = clean_line(match.group(2))
    if number_text.startswith("-"):
        raise InvalidInput("pact_plan_not_positive", line=line)
    try:
        plan = _number(number_text)
    except ValueError:
        raise InvalidInput("pact_plan_not_number", line=line) from None
    if not math.isfinite(plan) or plan <= 0:
        raise InvalidInput("pact_plan_not_positive", line=line)
    if plan > MAX_VALUE:
        raise InvalidInput("target_too_large", limit=MAX_VALUE)
    if len(unit) > MAX_UNIT:
        raise InvalidInput("text_too_long", limit=MAX_UNIT)
    return plan, unit


def parse_target_line(text: str, line: int = 1) -> TargetDraft:
    """Reads one target. The plain form is "what: plan unit" ("Kết nạp đảng viên mới: 2
    người"); a line holding exactly one number ("100% đảng viên hoàn thành tốt nhiệm vụ trở
    lên", "Kết nạp 2 đảng viên mới") is read as it stands, the number being the plan."""
    value = clean_line(text)
    if not value:
        raise InvalidInput("pact_target_empty", line=line)
    head, colon, tail = value.rpartition(":")
    if colon:
        what = clean_line(head)
        if not what:
            raise InvalidInput("pact_target_empty", line=line)
        plan, unit = _plan(tail, line)
    else:
        numbers = list(_NUMBER.finditer(value))
        if len(numbers) != 1:
            raise InvalidInput("pact_target_format", line=line)
        if value[: numbers[0].start()].rstrip().endswith("-"):
            raise InvalidInput("pact_plan_not_positive", line=line)
        what = value
        plan = _number(numbers[0].group(1))
        unit = "%" if numbers[0].group(2) else ""
        if plan <= 0:
            raise InvalidInput("pact_plan_not_positive", line=line)
        if plan > MAX_VALUE:
            raise InvalidInput("target_too_large", limit=MAX_VALUE)
    if len(what) > MAX_TARGET_TEXT:
        raise InvalidInput("text_too_long", limit=MAX_TARGET_TEXT)
    return TargetDraft(text=what, plan=plan, unit=unit)


def parse_targets(text: str) -> list[TargetDraft]:
    """Reads the targets typed one per line (blank lines and list marks such as "-", "1." or
    "a)" are skipped); InvalidInput names the first line that cannot be read."""
    found: list[TargetDraft] = []
    lines = [line for line in clean_input(text).splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        stripped = re.sub(r"^\s*(?:[-–•*+]|\d{1,2}[.)]|[a-zđ][.)])\s+", "", line)
        found.append(parse_target_line(stripped, number))
    if not found:
        raise InvalidInput("pact_targets_empty")
    if len(found) > MAX_TARGETS:
        raise InvalidInput("pact_too_many_targets", limit=MAX_TARGETS)
    return found


def percent(target: PactTarget) -> int | None:
    """How far a target is reached, in whole percent (None until something is recorded)."""
    if target.achieved is None or target.plan <= 0:
        return None
    return round(100 * target.achieved / target.plan)


def reached(target: PactTarget) -> bool:
    """Tells whether a target's plan is met."""
    return target.achieved is not None and target.achieved >= target.plan


# --- opening -------------------------------------------------------------------------------------


def open_pact(
    *,
    session: Session,
    org_id: int,
    year: int,
    starts_on: date,
    ends_on: date,
    targets: list[TargetDraft],
    actor: Person,
    now: datetime,
    title: str = "",
) -> Campaign:
    """Opens the cell's pact for a period with its targets (committee only): one open pact
    per year in a cell, at least one target. Nobody is asked to register for it."""
    if not targets:
        raise InvalidInput("pact_targets_empty")
    if len(targets) > MAX_TARGETS:
        raise InvalidInput("pact_too_many_targets", limit=MAX_TARGETS)
    for number, target in enumerate(targets, start=1):
        if not clean_line(target.text):
            raise InvalidInput("pact_target_empty", line=number)
        if not math.isfinite(target.plan) or target.plan <= 0:
            raise InvalidInput("pact_plan_not_positive", line=number)
    draft = campaigns.CampaignDraft(
        kind=CampaignKind.PACT,
        year=year,
        deadline=ends_on,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    campaign = campaigns.open_campaign(
        session=session, org_id=org_id, draft=draft, actor=actor, now=now
    )
    session.add_all(
        PactTarget(
            campaign_id=campaign.id or 0,
            position=position,
            text=clean_line(target.text),
            unit=clean_line(target.unit),
            plan=target.plan,
        )
        for position, target in enumerate(targets)
    )
    session.flush()
    return campaign


# --- reading -------------------------------------------------------------------------------------


def targets_of(*, session: Session, campaign_id: int) -> list[PactTarget]:
    """Returns a pact's targets in order."""
    return list(
        session.exec(
            select(PactTarget)
            .where(PactTarget.campaign_id == campaign_id)
            .order_by(col(PactTarget.position), col(PactTarget.id))
        )
    )


def _pact(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.kind != CampaignKind.PACT:
        raise NotFound("pact_not_found")
    return campaign


def readable(*, session: Session, campaign_id: int, person: Person) -> Campaign:
    """Returns a pact a member of its cell may read (anyone else: NotAllowed)."""
    campaign = _pact(session, campaign_id)
    if members.membership_in(session=session, person=person, org_id=campaign.org_id) is None:
        raise NotAllowed("pact_other_cell")
    return campaign


def committee_pact(*, session: Session, campaign_id: int, person: Person) -> Campaign:
    """Returns an open pact the person may change (its cell's committee only)."""
    campaign = readable(session=session, campaign_id=campaign_id, person=person)
    member = members.membership_in(session=session, person=person, org_id=campaign.org_id)
    if member is None or member.role not in COMMITTEE_ROLES:
        raise NotAllowed("pact_committee_only")
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict("pact_closed")
    return campaign


def editable_target(
    *, session: Session, target_id: int, person: Person
) -> tuple[PactTarget, Campaign]:
    """Returns a target whose progress the person may record, with its pact."""
    target = session.get(PactTarget, target_id)
    if target is None:
        raise NotFound("pact_target_not_found")
    campaign = committee_pact(session=session, campaign_id=target.campaign_id, person=person)
    return target, campaign


@dataclass(frozen=True)
class PactFigures:
    """A pact with its targets, as the card, the digest and the report show it."""

    campaign: Campaign
    targets: list[PactTarget]

    @property
    def reached(self) -> int:
        """How many targets are met."""
        return sum(1 for target in self.targets if reached(target))


def _with_targets(session: Session, found: list[Campaign]) -> list[PactFigures]:
    ids = [c.id for c in found if c.id is not None]
    by_pact: dict[int, list[PactTarget]] = defaultdict(list)
    if ids:
        for target in session.exec(
            select(PactTarget)
            .where(col(PactTarget.campaign_id).in_(ids))
            .order_by(col(PactTarget.position), col(PactTarget.id))
        ):
            by_pact[target.campaign_id].append(target)
    return [PactFigures(campaign=c, targets=by_pact[c.id or 0]) for c in found]


def open_pacts(*, session: Session, org_id: int) -> list[PactFigures]:
    """Returns a cell's open pacts with their targets (two statements)."""
    found = session.exec(
        select(Campaign)
        .where(
            Campaign.org_id == org_id,
            Campaign.kind == CampaignKind.PACT,
            Campaign.status == CampaignStatus.OPEN,
        )
        .order_by(col(Campaign.id))
    )
    return _with_targets(session, list(found))


def visible_pacts(*, session: Session, org_ids: list[int], now: datetime) -> list[Campaign]:
    """Returns the pacts /camket lists for these cells: the open ones and those closed in the
    last 400 days (their final figures), newest first, in one statement."""
    if not org_ids:
        return []
    return list(
        session.exec(
            select(Campaign)
            .where(
                col(Campaign.org_id).in_(org_ids),
                Campaign.kind == CampaignKind.PACT,
                or_(
                    col(Campaign.status) == CampaignStatus.OPEN,
                    col(Campaign.closed_at) >= now - HISTORY_FOR,
                ),
            )
            .order_by(col(Campaign.id).desc())
        )
    )


def pacts_between(*, session: Session, org_id: int, start: date, end: date) -> list[PactFigures]:
    """Returns the pacts whose period overlaps [start, end], with their targets."""
    found = session.exec(
        select(Campaign)
        .where(
            Campaign.org_id == org_id,
            Campaign.kind == CampaignKind.PACT,
            Campaign.starts_on <= end,
            Campaign.ends_on >= start,
        )
        .order_by(col(Campaign.id))
    )
    return _with_targets(session, list(found))


# --- following and closing -----------------------------------------------------------------------


def clean_note(text: str) -> str:
    """Returns a progress note as kept, or raises when it is too long."""
    value = campaigns.clean_text(text)
    if len(value) > MAX_NOTE:
        raise InvalidInput("text_too_long", limit=MAX_NOTE)
    return value


def parse_progress(text: str) -> float:
    """Reads "1", "1,5", "95 %", "2 người" as the value achieved; InvalidInput otherwise."""
    value = clean_line(text)
    match = re.match(r"^(-?)\s*([\d.,]+)\s*%?(?:\s.*)?$", value)
    if match is None:
        raise InvalidInput("pact_value_not_number")
    if match.group(1):
        raise InvalidInput("value_negative")
    try:
        number = _number(match.group(2))
    except ValueError:
        raise InvalidInput("pact_value_not_number") from None
    if not math.isfinite(number):
        raise InvalidInput("pact_value_not_number")
    if number > MAX_VALUE:
        raise InvalidInput("target_too_large", limit=MAX_VALUE)
    return number


def record_progress(
    *,
    session: Session,
    target_id: int,
    actor: Person,
    value: float,
    note: str | None,
    now: datetime,
) -> PactTarget:
    """Records what a target has achieved so far (committee of the pact's cell, pact open),
    with an optional note (None keeps the note there is); audited."""
    target, campaign = editable_target(session=session, target_id=target_id, person=actor)
    if not math.isfinite(value) or value < 0:
        raise InvalidInput("value_negative")
    if value > MAX_VALUE:
        raise InvalidInput("target_too_large", limit=MAX_VALUE)
    acting = members.require_committee(session=session, person=actor, org_id=campaign.org_id)
    before = {"achieved": target.achieved, "note": target.note}
    target.achieved = value
    if note is not None:
        target.note = clean_note(note)
    target.updated_by = actor.id
    target.updated_at = now
    session.add(target)
    audit.record_action(
        session=session,
        org_id=campaign.org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action="pact.progress",
        target=f"pacttarget:{target.id}",
        before=before,
        after={"achieved": target.achieved, "note": target.note},
        now=now,
    )
    session.flush()
    return target


def close_pact(*, session: Session, campaign_id: int, actor: Person, now: datetime) -> Campaign:
    """Closes a pact at sơ kết / tổng kết (committee only); its figures are kept as they are."""
    campaign = committee_pact(session=session, campaign_id=campaign_id, person=actor)
    acting = members.require_committee(session=session, person=actor, org_id=campaign.org_id)
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = now
    session.add(campaign)
    figures = {str(t.id): t.achieved for t in targets_of(session=session, campaign_id=campaign_id)}
    audit.record_action(
        session=session,
        org_id=campaign.org_id,
        actor_person_id=actor.id,
        actor_label=acting.full_name,
        action="pact.close",
        target=f"campaign:{campaign.id}",
        before={"status": "open"},
        after={"status": "closed", "achieved": figures},
        now=now,
    )
    session.flush()
    return campaign

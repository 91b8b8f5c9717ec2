"""Officers of a đảng bộ (đảng ủy viên): made by the operator, they send announcements and
study material to the cells under the đảng bộ, each cell's members getting it as their cell's
own, and follow acknowledgement and participation per cell — counts only: a cell's names stay
with its own committee unless the officer also holds a role in that cell."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, col, select

from bot.models import (
    COMMITTEE_ROLES,
    Announcement,
    AnnouncementBatch,
    AnnouncementKind,
    AudienceKind,
    Member,
    MemberStatus,
    Organisation,
    Person,
    Role,
)
from bot.services import (
    announcement_audience,
    announcement_ledger,
    announcements,
    audit,
    invites,
    members,
    study,
)
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.text import nfc

MAX_NAME = 120
RECENT = 5


# --- the operator makes officers -----------------------------------------------------------------


def add_officer(
    *, session: Session, org: Organisation, full_name: str, now: datetime
) -> tuple[Member, invites.IssuedInvite]:
    """Puts a person on the đảng bộ's committee (or finds them there) and issues their
    personal join link and code; refuses an organisation with no cell under it."""
    assert org.id is not None
    name = " ".join(nfc(full_name).split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("officer_name", limit=MAX_NAME)
    if not cells_under(session=session, org_id=org.id):
        raise Conflict("no_cells_under")
    member = session.exec(
        select(Member).where(
            Member.org_id == org.id,
            Member.full_name == name,
            col(Member.removed_at).is_(None),
        )
    ).first()
    if member is None:
        member = Member(
            org_id=org.id,
            full_name=name,
            role=Role.COMMITTEE,
            status=MemberStatus.FULL,
            created_at=now,
        )
    member.role = Role.COMMITTEE
    session.add(member)
    session.flush()
    assert member.id is not None
    issued = invites.issue_for_member(
        session=session, org_id=org.id, member_id=member.id, created_by=None, now=now
    )
    audit.record_action(
        session=session,
        org_id=org.id,
        actor_person_id=None,
        actor_label="operator",
        action="officer.add",
        target=f"member:{member.id}",
        before=None,
        after={"name": name},
        now=now,
    )
    return member, issued


# --- who is an officer over which cells ----------------------------------------------------------


def cells_under(*, session: Session, org_id: int) -> list[Organisation]:
    """Returns the cells under an organisation, at any depth, by name."""
    found: list[Organisation] = []
    level = [org_id]
    while level:
        children = list(
            session.exec(select(Organisation).where(col(Organisation.parent_id).in_(level)))
        )
        found += children
        level = [c.id for c in children if c.id is not None]
    return sorted(found, key=lambda o: o.name)


def _ancestors(session: Session, org_id: int) -> list[int]:
    ids: list[int] = []
    org = session.get(Organisation, org_id)
    while org is not None and org.parent_id is not None and org.parent_id not in ids:
        ids.append(org.parent_id)
        org = session.get(Organisation, org.parent_id)
    return ids


def is_officer_over(*, session: Session, person: Person, org_id: int) -> bool:
    """Tells whether the person sits on the committee of an organisation above this cell."""
    above = _ancestors(session, org_id)
    if not above:
        return False
    return (
        session.exec(
            select(Member.id).where(
                col(Member.org_id).in_(above),
                Member.person_id == person.id,
                col(Member.role).in_(list(COMMITTEE_ROLES)),
                col(Member.removed_at).is_(None),
            )
        ).first()
        is not None
    )


def require_author(*, session: Session, person: Person, org_id: int) -> None:
    """Refuses anyone but the cell's committee or an officer of an organisation above it."""
    try:
        members.require_committee(session=session, person=person, org_id=org_id)
    except NotAllowed:
        if not is_officer_over(session=session, person=person, org_id=org_id):
            raise


def require_officer(*, session: Session, person: Person, org_id: int) -> None:
    """Refuses anyone but a committee member of this đảng bộ."""
    members.require_committee(session=session, person=person, org_id=org_id)
    if not cells_under(session=session, org_id=org_id):
        raise Conflict("no_cells_under")


# --- sending to several cells --------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What sending to several cells did: the batch, and the cells nobody could receive it in."""

    batch: AnnouncementBatch
    skipped: list[str]


def create_for_cells(
    *,
    session: Session,
    draft: announcements.Draft,
    cell_ids: list[int],
    actor: Person,
    now: datetime,
) -> Sent:
    """Sends (or schedules) the draft in each chosen cell under the đảng bộ `draft.org_id`, to
    the whole cell, as that cell's own announcement; a cell in which nobody can be reached is
    skipped and named. Refuses a cell not under the đảng bộ, and a send that reaches no cell."""
    require_officer(session=session, person=actor, org_id=draft.org_id)
    under = {c.id: c for c in cells_under(session=session, org_id=draft.org_id)}
    if not cell_ids or any(cell_id not in under for cell_id in cell_ids):
        raise InvalidInput("cells_unknown")
    batch = AnnouncementBatch(
        org_id=draft.org_id,
        author_person_id=actor.id,
        kind=draft.kind,
        text=announcements.clean_text(draft.text),
        created_at=now,
    )
    session.add(batch)
    session.flush()
    skipped: list[str] = []
    made = 0
    for cell_id in cell_ids:
        cell = under[cell_id]
        own = replace(
            draft,
            org_id=cell_id,
            audience=AudienceKind.CELL,
            chosen_member_ids=(),
            post_to_group=False,
        )
        addressees = announcement_audience.audience(
            session=session, org_id=cell_id, kind=AudienceKind.CELL
        )
        try:
            announcement_audience.require_reachable(addressees)
        except Conflict:
            skipped.append(cell.name)
            continue
        created = announcements.create(session=session, draft=own, actor=actor, now=now)
        created.batch_id = batch.id
        session.add(created)
        made += 1
    if not made:
        raise Conflict("audience_not_joined")
    return Sent(batch, skipped)


# --- figures per cell, counts only ---------------------------------------------------------------


@dataclass(frozen=True)
class CellFigures:
    """One cell's counts for a batch: reached, confirmed (or did all a study asks)."""

    cell: str
    audience: int
    delivered: int
    unreachable: int
    done: int

    @property
    def rate(self) -> float:
        """The share of the audience who confirmed or did all that was asked."""
        return self.done / self.audience if self.audience else 0.0


@dataclass(frozen=True)
class BatchFigures:
    """A batch's counts per cell and in total; no names."""

    batch: AnnouncementBatch
    cells: list[CellFigures]

    @property
    def audience(self) -> int:
        """Members in all the cells."""
        return sum(c.audience for c in self.cells)

    @property
    def delivered(self) -> int:
        """Members it was delivered to."""
        return sum(c.delivered for c in self.cells)

    @property
    def done(self) -> int:
        """Members who confirmed or did all that was asked."""
        return sum(c.done for c in self.cells)

    @property
    def rate(self) -> float:
        """The share of all members who confirmed or did all that was asked."""
        return self.done / self.audience if self.audience else 0.0

    @property
    def meets_bar(self) -> bool:
        """More than 95% took part."""
        return self.rate > study.BAR


def get_batch(*, session: Session, batch_id: int, person: Person) -> AnnouncementBatch:
    """Returns a batch for a committee member of its đảng bộ; refuses anyone else."""
    batch = session.get(AnnouncementBatch, batch_id)
    if batch is None:
        raise NotFound("announcement_not_found")
    members.require_committee(session=session, person=person, org_id=batch.org_id)
    return batch


def batch_figures(*, session: Session, batch: AnnouncementBatch) -> BatchFigures:
    """Returns the counts per cell of a batch, by cell name."""
    rows = session.exec(
        select(Announcement, Organisation)
        .join(Organisation, col(Organisation.id) == col(Announcement.org_id))
        .where(Announcement.batch_id == batch.id)
        .order_by(col(Organisation.name))
    ).all()
    cells = []
    for announcement, org in rows:
        ledger = announcement_ledger.ledger(session=session, announcement=announcement)
        if announcement.kind == AnnouncementKind.STUDY:
            done = study.participation(session=session, announcement=announcement).complete
        else:
            done = ledger.acked
        cells.append(
            CellFigures(org.name, ledger.audience, ledger.delivered, ledger.unreachable, done)
        )
    return BatchFigures(batch, cells)


def recent_batches(*, session: Session, org_ids: list[int]) -> list[AnnouncementBatch]:
    """Returns the newest batches of these đảng bộ, newest first."""
    if not org_ids:
        return []
    return list(
        session.exec(
            select(AnnouncementBatch)
            .where(col(AnnouncementBatch.org_id).in_(org_ids))
            .order_by(col(AnnouncementBatch.created_at).desc(), col(AnnouncementBatch.id).desc())
            .limit(RECENT)
        )
    )


def refuse_names(*, session: Session, person: Person, org_id: int) -> None:
    """Raises the officer's refusal (counts only) if the person is an officer over this cell
    without a role in it; returns quietly otherwise."""
    if is_officer_over(session=session, person=person, org_id=org_id):
        raise NotAllowed("officer_counts_only")

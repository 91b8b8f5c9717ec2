"""The announcement screens the forms and the actions share: the committee's list, one
announcement with its live figures, and its delivery ledger."""

from __future__ import annotations

from sqlmodel import Session

from bot.i18n import Translator
from bot.models import Announcement, AnnouncementKind, Person, Role
from bot.render_announcements import (
    announcement_keyboard,
    announcement_text,
    ledger_keyboard,
    ledger_text,
    list_screen,
    status_line,
)
from bot.render_officers import batch_label
from bot.render_study import study_keyboard, study_text
from bot.services import announcement_ledger, announcements, members, officers, study
from bot.services.errors import NotAllowed
from bot.ui import Button, Screen, choice


def announcements_screen(session: Session, t: Translator, person: Person) -> Screen:
    """Returns /thongbao: a new announcement, then the recent ones of the person's cells."""
    cells = members.committee_cells(session=session, person=person)
    if not cells:
        raise NotAllowed("committee_only")
    orgs = {org.id or 0: org for _, org in cells}
    found = announcements.recent(session=session, org_ids=list(orgs))
    screen = list_screen(t, [(a, orgs[a.org_id]) for a in found])
    # An officer of a đảng bộ also finds what they sent to its cells.
    batches = officers.recent_batches(session=session, org_ids=list(orgs))
    screen.keyboard[1:1] = [
        [Button(batch_label(t, b, 0), data=choice("ob", b.id or 0))] for b in batches
    ]
    return screen


def announcement_screen(
    session: Session, t: Translator, announcement: Announcement, note: str = ""
) -> Screen:
    """Returns one announcement as the committee sees it, with its live figures."""
    org = announcements.org_of(session, announcement)
    if announcement.kind == AnnouncementKind.STUDY:
        found = study.participation(session=session, announcement=announcement)
        text = study_text(t, org, found, status_line(t, announcement))
        keyboard = study_keyboard(t, found)
    else:
        ledger = announcement_ledger.ledger(session=session, announcement=announcement)
        text = announcement_text(t, announcement, org, ledger)
        keyboard = announcement_keyboard(t, announcement, ledger)
    if note:
        text = f"{note}\n\n{text}"
    return Screen(text, keyboard)


def ledger_screen(
    session: Session, t: Translator, announcement: Announcement, person: Person, note: str = ""
) -> Screen:
    """Returns the delivery ledger; the secretary also gets "told in person" buttons."""
    acting = members.require_committee(session=session, person=person, org_id=announcement.org_id)
    ledger = announcement_ledger.ledger(session=session, announcement=announcement)
    text = ledger_text(t, announcement, ledger)
    if note:
        text = f"{note}\n\n{text}"
    secretary = acting.role in {Role.SECRETARY, Role.DEPUTY}
    return Screen(text, ledger_keyboard(t, announcement, ledger, secretary=secretary))

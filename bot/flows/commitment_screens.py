"""The screens the commitment forms and actions share: a member's card, an items list, a
commitment under review, and telling a person privately."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.flows.common import translator_for
from bot.flows.engine import FlowContext, InvalidAnswer
from bot.i18n import Translator
from bot.models import COMMITTEE_ROLES, Member, Organisation, Person, Priority
from bot.models.commitments import (
    Cadence,
    Campaign,
    Commitment,
    CommitmentStatus,
)
from bot.render import error_text
from bot.render_checkins import (
    card_progress,
    no_round_yet,
    round_evidence_text,
    round_figures_text,
)
from bot.render_commitments import (
    card_keyboard,
    commitment_text,
    committee_buttons,
    items_keyboard,
    items_text,
    review_keyboard,
)
from bot.services import (
    campaigns,
    checkins,
    commitments,
    evidence,
    members,
    outbox,
    people,
    reviews,
)
from bot.services.campaigns import Section
from bot.services.errors import DomainError, NotAllowed, NotFound
from bot.text import escape
from bot.ui import Screen

SKIP = "~skip"
NO_TITLE = "none"


def invalid_answer(ctx: FlowContext, error: DomainError) -> InvalidAnswer:
    """Returns a refused answer's localized explanation (the form asks again)."""
    return InvalidAnswer(error_text(ctx.t, error))


def commitment_id_of(ctx: FlowContext) -> int:
    """Returns the commitment a form is about."""
    return int(ctx.params["commitment_id"])


def saved_note(t: Translator) -> str:
    """Returns the line that tells a member their answer is kept."""
    return t.gettext("✅ Saved.")


def stopped_note(t: Translator) -> str:
    """Returns the line shown when a member leaves a form: nothing answered is lost."""
    return t.gettext("Stopped here. Every answer given so far is saved.")


# --- screens the forms and the actions share -----------------------------------------------------


def org_of(session: Session, campaign: Campaign) -> Organisation:
    """Returns a campaign's cell."""
    org = session.get(Organisation, campaign.org_id)
    if org is None:
        raise NotFound("org_not_found")
    return org


def _expected_member(session: Session, campaign: Campaign, person: Person) -> Member:
    member = members.membership_in(session=session, person=person, org_id=campaign.org_id)
    if member is None:
        raise NotAllowed("not_in_campaign_cell")
    if not campaigns.expected(member):
        raise NotAllowed("not_expected_to_register")
    return member


def card_screen(
    session: Session, t: Translator, campaign: Campaign, person: Person, note: str = ""
) -> Screen:
    """Returns a member's own commitment as a card with the buttons to write, submit or edit;
    a committee member also gets progress and "open a registration"."""
    org = org_of(session, campaign)
    member = _expected_member(session, campaign, person)
    assert member.id is not None
    assert campaign.id is not None
    sections = campaigns.sections_of(campaign)
    commitment = commitments.current(session=session, campaign_id=campaign.id, member_id=member.id)
    items = (
        commitments.items(session=session, commitment_id=commitment.id or 0) if commitment else []
    )
    if commitment is None:
        missing = [s for s in sections if s.required]
    else:
        missing = commitments.missing_sections(
            session=session, commitment=commitment, campaign=campaign
        )
    approved = commitments.in_force(session=session, campaign_id=campaign.id, member_id=member.id)
    text = commitment_text(
        t,
        campaign=campaign,
        sections=sections,
        org=org,
        member=member,
        commitment=commitment,
        items=items,
        in_force=approved,
    )
    if approved is not None and approved.id is not None and campaign.cadence != Cadence.NONE:
        in_force_items = commitments.items(session=session, commitment_id=approved.id)
        latest = checkins.latest_answers(session=session, items=in_force_items)
        text = "\n".join([text, *card_progress(t, in_force_items, latest)])
    keyboard = card_keyboard(
        t, campaign=campaign, sections=sections, commitment=commitment, missing=missing
    )
    if commitment is not None and commitment.status == CommitmentStatus.SUBMITTED:
        text += "\n\n" + t.gettext("You will be told when the committee has reviewed it.")
    elif commitment is not None and commitment.status == CommitmentStatus.APPROVED:
        text += "\n\n" + t.gettext(
            "Approved by the committee. To change it, tap “Edit (makes a new version)”."
        )
    elif missing:
        text += "\n\n" + t.gettext(
            "Tap “Continue” to write the next section; each answer is saved at once."
        )
    else:
        text += "\n\n" + t.gettext("Every section is written: check it and submit it.")
    if member.role in COMMITTEE_ROLES:
        keyboard += committee_buttons(
            t, campaigns.open_campaigns(session=session, org_id=org.id or 0), can_open=True
        )
    if note:
        text = f"{note}\n\n{text}"
    return Screen(text, keyboard)


def items_screen(
    session: Session,
    t: Translator,
    campaign: Campaign,
    commitment: Commitment,
    section: Section,
    note: str = "",
    question: str = "",
) -> Screen:
    """Returns an items section of a draft with add, delete and done buttons."""
    assert commitment.id is not None
    own = [
        i
        for i in commitments.items(session=session, commitment_id=commitment.id)
        if i.section_key == section.key
    ]
    text = items_text(t, campaigns.sections_of(campaign), section, own)
    if note:
        text = f"{note}\n\n{text}"
    if question:
        text += f"\n\n{question}"
    return Screen(text, items_keyboard(t, campaign, section, own))


def checkin_lines(
    session: Session, t: Translator, campaign: Campaign, org: Organisation, now: datetime
) -> list[str]:
    """Returns the committee's check-in figures for a campaign's newest round (or when the
    first one opens); nothing for a campaign without check-ins."""
    if campaign.cadence == Cadence.NONE or campaign.id is None:
        return []
    latest = checkins.latest_round(session=session, campaign_id=campaign.id)
    if latest is None:
        return no_round_yet(t, checkins.next_opening(campaign, org, now))
    figures = checkins.round_figures(session=session, round_=latest)
    sent = evidence.of_round(session=session, round_id=latest.id or 0)
    return [*round_figures_text(t, campaign, figures), *round_evidence_text(t, sent)]


def review_screen(
    session: Session, t: Translator, commitment: Commitment, note: str = "", waiting: int = 0
) -> Screen:
    """Returns a submitted commitment as the committee reviews it, with its buttons."""
    campaign = campaigns.get_campaign(session=session, campaign_id=commitment.campaign_id)
    org = org_of(session, campaign)
    member = session.get(Member, commitment.member_id)
    assert member is not None
    assert commitment.id is not None
    text = commitment_text(
        t,
        campaign=campaign,
        sections=campaigns.sections_of(campaign),
        org=org,
        member=member,
        commitment=commitment,
        items=commitments.items(session=session, commitment_id=commitment.id),
        in_force=commitments.in_force(
            session=session, campaign_id=campaign.id or 0, member_id=member.id or 0
        ),
    )
    head = t.gettext("🔎 <b>Commitment to review</b> (version {n})", n=commitment.version)
    if commitment.submitted_at is not None:
        head += "\n" + t.gettext(
            "Submitted: {when}", when=t.datetime_text(commitment.submitted_at)
        )
    if commitment.review_comment:
        head += "\n" + t.gettext(
            "Returned before with the comment: {comment}",
            comment=escape(commitment.review_comment),
        )
    if waiting > 1:
        head += "\n" + t.gettext("{n} commitments are waiting for review.", n=t.number(waiting))
    body = f"{head}\n\n{text}"
    if note:
        body = f"{note}\n\n{body}"
    return Screen(body, review_keyboard(t, commitment, others=waiting > 1))


def tell(
    session: Session,
    *,
    person: Person,
    org: Organisation,
    build: Callable[[Translator], Screen],
    key: str,
    now: Any,
) -> None:
    """Queues a private message to a person, in their language, on their notifying channel."""
    account = people.address(session=session, person=person)
    if account is None:
        return
    screen = build(translator_for(person, org))
    outbox.enqueue_message(
        session=session,
        dedupe_key=key,
        chat_id=account.external_id,
        channel=account.channel,
        text=screen.text,
        keyboard=screen.keyboard,
        priority=Priority.NORMAL,
        person_id=person.id,
        org_id=org.id,
        is_group=False,
        now=now,
    )


def waiting_line(session: Session, t: Translator, org: Organisation) -> str:
    """Says how many commitments still wait for review in a cell."""
    left = len(reviews.awaiting_review(session=session, org_id=org.id or 0))
    if left:
        return t.gettext("{n} more waiting: send /duyet.", n=t.number(left))
    return t.gettext("Nothing else is waiting for review.")

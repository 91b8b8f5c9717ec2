"""Forms of the sơ kết / tổng kết: a member writes the self-assessment of their self-review; the
committee commends a member (or one item of their commitment) with a one-line reason."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.flows.commitment_screens import invalid_answer, org_of, tell
from bot.flows.engine import Flow, FlowContext, Option, Step, StepKind
from bot.flows.matching import match_key
from bot.i18n import N_
from bot.models import EXPECTED_STATUSES, Member, Person
from bot.models.commitments import Campaign, CommitmentItem, SelfReview
from bot.render_commitments import campaign_short
from bot.render_reviews import commended_notice, self_review_screen
from bot.services import campaigns, commitments, members, self_reviews
from bot.services.errors import DomainError, InvalidInput, NotFound
from bot.text import escape
from bot.ui import Screen

WHOLE = "0"  # the commendation is for the member's whole commitment, not one item
MAX_ITEM_CHOICES = 30

# --- the self-assessment (member) ----------------------------------------------------------------


def _review(ctx: FlowContext) -> SelfReview:
    if "review" not in ctx.memo:
        ctx.memo["review"] = self_reviews.own_review(
            session=ctx.session, review_id=int(ctx.params["review_id"]), person=ctx.person
        )
    found: SelfReview = ctx.memo["review"]
    return found


def _review_screen(ctx: FlowContext, note: str) -> Screen:
    review = _review(ctx)
    campaign = campaigns.get_campaign(session=ctx.session, campaign_id=review.campaign_id)
    items = self_reviews.results(session=ctx.session, review=review)
    return self_review_screen(ctx.t, campaign, review, items, note)


def _check_text(ctx: FlowContext) -> None:
    review = _review(ctx)
    if review.submitted_at is not None:
        raise InvalidInput("self_review_submitted")


def _text_prompt(ctx: FlowContext) -> str:
    review = _review(ctx)
    lines = [
        ctx.t.gettext(
            "Your self-assessment: strengths, shortcomings and how you will fix them "
            "(at most {limit} characters).",
            limit=self_reviews.MAX_REVIEW,
        )
    ]
    if review.text:
        lines.append(ctx.t.gettext("What you wrote before is replaced:"))
        lines.append(f"<i>{escape(review.text)}</i>")
    return "\n".join(lines)


def _parse_text(ctx: FlowContext, text: str) -> Any:
    value = campaigns.clean_text(text)
    if not value:
        raise invalid_answer(ctx, InvalidInput("self_review_empty"))
    if len(value) > self_reviews.MAX_REVIEW:
        raise invalid_answer(ctx, InvalidInput("text_too_long", limit=self_reviews.MAX_REVIEW))
    return value


def _complete_text(ctx: FlowContext) -> Screen:
    self_reviews.set_text(
        session=ctx.session,
        review_id=int(ctx.params["review_id"]),
        person=ctx.person,
        text=str(ctx.answers["text"]),
        now=ctx.now,
    )
    ctx.memo.pop("review", None)
    return _review_screen(ctx, ctx.t.gettext("✅ Saved."))


def _back_to_review(ctx: FlowContext) -> Screen:
    note = ctx.t.gettext("Cancelled. Nothing was changed.")
    try:
        return _review_screen(ctx, note)
    except DomainError:
        return Screen(note)


SELF_REVIEW_TEXT_FLOW = Flow(
    name="self_review_text",
    title=N_("Self-review"),
    check=_check_text,
    steps=(
        Step(
            "text",
            StepKind.TEXT,
            _text_prompt,
            parse=_parse_text,
            limit=self_reviews.MAX_REVIEW,
        ),
    ),
    complete=_complete_text,
    on_cancel=_back_to_review,
)

# --- commending (committee) ----------------------------------------------------------------------


def _campaign(ctx: FlowContext) -> Campaign:
    if "campaign" not in ctx.memo:
        campaign = campaigns.get_campaign(
            session=ctx.session, campaign_id=int(ctx.params["campaign_id"])
        )
        members.require_committee(session=ctx.session, person=ctx.person, org_id=campaign.org_id)
        ctx.memo["campaign"] = campaign
    found: Campaign = ctx.memo["campaign"]
    return found


def _check_commend(ctx: FlowContext) -> None:
    _campaign(ctx)


def _member_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "Whom does the cell commend in {what}? Type the comrade's name (the full name, or "
        "enough of it to tell them apart).",
        what=campaign_short(ctx.t, _campaign(ctx)),
    )


def _parse_member(ctx: FlowContext, text: str) -> Any:
    """Finds the expected member whose name fits what was typed (folded: case and diacritics
    do not matter); the full name wins over a part of several names."""
    typed = match_key(text)
    if not typed:
        raise invalid_answer(ctx, InvalidInput("member_name_empty"))
    campaign = _campaign(ctx)
    rows = ctx.session.exec(
        select(Member.id, Member.full_name)
        .where(
            Member.org_id == campaign.org_id,
            col(Member.removed_at).is_(None),
            col(Member.status).in_(list(EXPECTED_STATUSES)),
        )
        .order_by(col(Member.sort_key))
    ).all()
    exact = [(i, n) for i, n in rows if match_key(n) == typed]
    fitting = exact or [(i, n) for i, n in rows if f" {typed} " in f" {match_key(n)} "]
    if not fitting:
        raise invalid_answer(ctx, InvalidInput("member_name_unknown", name=text.strip()[:60]))
    if len(fitting) > 1:
        names = ", ".join(n for _, n in fitting[:8])
        raise invalid_answer(ctx, InvalidInput("member_name_ambiguous", names=names))
    return str(fitting[0][0])


def _items(ctx: FlowContext) -> list[CommitmentItem]:
    commitment = commitments.in_force(
        session=ctx.session,
        campaign_id=_campaign(ctx).id or 0,
        member_id=int(ctx.answers["member"]),
    )
    if commitment is None:
        return []
    return commitments.items(session=ctx.session, commitment_id=commitment.id or 0)


def _item_options(ctx: FlowContext) -> list[Option]:
    whole = Option(WHOLE, ctx.t.gettext("The whole commitment"))
    # Numbered, so that two tasks worded alike stay two choices.
    return [whole] + [
        Option(str(item.id), f"{n}) {item.text[:60]}")
        for n, item in enumerate(_items(ctx)[:MAX_ITEM_CHOICES], start=1)
    ]


def _only_whole(ctx: FlowContext) -> Any:
    return WHOLE if not _items(ctx) else None


def _member_name(ctx: FlowContext) -> str:
    member = ctx.session.get(Member, int(ctx.answers["member"]))
    return member.full_name if member is not None else ""


def _reason_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "Why is comrade {name} commended? One line (at most {limit} characters); it is sent to "
        "them and listed in the cell's digest.",
        name=escape(_member_name(ctx)),
        limit=self_reviews.MAX_REASON,
    )


def _parse_reason(ctx: FlowContext, text: str) -> Any:
    value = " ".join(campaigns.clean_text(text).split())
    if not value:
        raise invalid_answer(ctx, InvalidInput("reason_empty"))
    if len(value) > self_reviews.MAX_REASON:
        raise invalid_answer(ctx, InvalidInput("text_too_long", limit=self_reviews.MAX_REASON))
    return value


def _chosen_item(ctx: FlowContext) -> CommitmentItem | None:
    value = str(ctx.answers.get("item", WHOLE))
    if value == WHOLE:
        return None
    item = ctx.session.get(CommitmentItem, int(value))
    if item is None:
        raise NotFound("commitment_item_not_found")
    return item


def _confirm_prompt(ctx: FlowContext) -> str:
    item = _chosen_item(ctx)
    lines = [
        ctx.t.gettext("🏅 Commend comrade {name}?", name=escape(_member_name(ctx))),
        ctx.t.gettext("Reason: {reason}", reason=escape(str(ctx.answers["reason"]))),
    ]
    if item is not None:
        lines.append(ctx.t.gettext("For: {item}", item=escape(item.text)))
    lines.append(ctx.t.gettext("They are told privately; the group sees it in the digest."))
    return "\n".join(lines)


def _complete_commend(ctx: FlowContext) -> Screen:
    campaign = _campaign(ctx)
    item = _chosen_item(ctx)
    commendation = self_reviews.commend(
        session=ctx.session,
        campaign_id=campaign.id or 0,
        member_id=int(ctx.answers["member"]),
        item_id=item.id if item is not None else None,
        reason=str(ctx.answers["reason"]),
        actor=ctx.person,
        now=ctx.now,
    )
    member = ctx.session.get(Member, commendation.member_id)
    owner = ctx.session.get(Person, member.person_id) if member and member.person_id else None
    if owner is not None:
        tell(
            ctx.session,
            person=owner,
            org=org_of(ctx.session, campaign),
            build=lambda t: commended_notice(
                t, campaign, commendation.reason, item.text if item else None
            ),
            key=f"commendation:{commendation.id}",
            now=ctx.now,
        )
    return Screen(
        ctx.t.gettext(
            "🏅 Commended: comrade {name}. They have been told.",
            name=escape(member.full_name if member else ""),
        )
    )


COMMEND_FLOW = Flow(
    name="commend",
    title=N_("Commendation"),
    check=_check_commend,
    steps=(
        Step("member", StepKind.TEXT, _member_prompt, parse=_parse_member),
        Step(
            "item",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("For the whole commitment, or one task?"),
            options=_item_options,
            auto=_only_whole,
        ),
        Step(
            "reason",
            StepKind.TEXT,
            _reason_prompt,
            parse=_parse_reason,
            limit=self_reviews.MAX_REASON,
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt),
    ),
    complete=_complete_commend,
)

PERIOD_FLOWS = (SELF_REVIEW_TEXT_FLOW, COMMEND_FLOW)

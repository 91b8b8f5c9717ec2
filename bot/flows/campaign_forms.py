"""The committee's commitment forms: open a campaign, return a commitment with a comment."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.date_examples import date_error_text, example_within, full_day, short_day
from bot.datetext import DateTextError, parse_day
from bot.flows.commitment_screens import (
    commitment_id_of,
    invalid_answer,
    org_of,
    review_screen,
    tell,
    waiting_line,
)
from bot.flows.common_people import (
    chosen_org,
    committee_cell_step,
    require_some_committee,
)
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.flows.pact_forms import (
    PACT_PROGRESS_FLOW,
    complete_open,
    confirm_prompt,
    is_pact,
    not_pact,
    pact_period_steps,
    pact_steps,
)
from bot.i18n import N_
from bot.models import Member, Organisation, Person
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignKind,
    Commitment,
)
from bot.render_commitment_notices import opened_notice, returned_notice, write_button
from bot.render_commitments import (
    cadence_label,
    campaign_title,
    kind_label,
    section_label,
)
from bot.services import campaigns, commitments, notices, outbox, reviews
from bot.services.errors import Conflict, DomainError, InvalidInput
from bot.text import clean_line, escape
from bot.ui import Screen

# --- returning a commitment with a comment (committee) -------------------------------------------


def _reviewed(ctx: FlowContext) -> tuple[Commitment, Campaign]:
    return reviews.reviewable(
        session=ctx.session, commitment_id=commitment_id_of(ctx), actor=ctx.person
    )


def _member_name(ctx: FlowContext, commitment: Commitment) -> str:
    member = ctx.session.get(Member, commitment.member_id)
    return member.full_name if member is not None else ""


def _check_return(ctx: FlowContext) -> None:
    _reviewed(ctx)


def _comment_prompt(ctx: FlowContext) -> str:
    commitment, _ = _reviewed(ctx)
    return ctx.t.gettext(
        "What should comrade {name} change? Type your comment (at most {limit} characters); "
        "it goes to them with the commitment.",
        name=escape(_member_name(ctx, commitment)),
        limit=commitments.MAX_COMMENT,
    )


def _parse_comment(ctx: FlowContext, text: str) -> Any:
    value = campaigns.clean_text(text)
    if not value:
        raise invalid_answer(ctx, InvalidInput("comment_empty"))
    if len(value) > commitments.MAX_COMMENT:
        raise invalid_answer(ctx, InvalidInput("text_too_long", limit=commitments.MAX_COMMENT))
    return value


def _complete_return(ctx: FlowContext) -> Screen:
    commitment, campaign = reviews.return_for_changes(
        session=ctx.session,
        commitment_id=commitment_id_of(ctx),
        actor=ctx.person,
        comment=str(ctx.answers["comment"]),
        now=ctx.now,
    )
    org = org_of(ctx.session, campaign)
    member = ctx.session.get(Member, commitment.member_id)
    owner = ctx.session.get(Person, member.person_id) if member and member.person_id else None
    if owner is not None:
        tell(
            ctx.session,
            person=owner,
            org=org,
            build=lambda t: Screen(returned_notice(t, campaign, commitment.review_comment)),
            key=f"commitment:{commitment.id}:returned:{ctx.now.timestamp() * 1_000_000:.0f}",
            now=ctx.now,
        )
    return Screen(
        ctx.t.gettext(
            "↩️ Returned to comrade {name} with your comment; they have been told.",
            name=escape(member.full_name if member else ""),
        )
        + "\n"
        + waiting_line(ctx.session, ctx.t, org)
    )


def _back_to_review(ctx: FlowContext) -> Screen:
    cancelled = ctx.t.gettext("Cancelled. Nothing was changed.")
    try:
        commitment, _ = _reviewed(ctx)
    except DomainError:
        return Screen(cancelled)
    return review_screen(ctx.session, ctx.t, commitment, cancelled)


COMMITMENT_RETURN_FLOW = Flow(
    name="commitment_return",
    title=N_("Returning a commitment"),
    check=_check_return,
    steps=(
        Step(
            "comment",
            StepKind.TEXT,
            _comment_prompt,
            parse=_parse_comment,
            limit=commitments.MAX_COMMENT,
        ),
    ),
    complete=_complete_return,
    on_cancel=_back_to_review,
)


# --- opening a campaign (committee) --------------------------------------------------------------


def _kind(ctx: FlowContext) -> CampaignKind:
    return CampaignKind(str(ctx.answers["kind"]))


def _kind_options(ctx: FlowContext) -> list[Option]:
    return [Option(kind.value, kind_label(ctx.t, kind)) for kind in CampaignKind]


def _parse_theme(ctx: FlowContext, text: str) -> Any:
    theme = clean_line(text)
    if not theme:
        raise invalid_answer(ctx, InvalidInput("campaign_theme_required"))
    if len(theme) > campaigns.MAX_TITLE:
        raise invalid_answer(ctx, InvalidInput("text_too_long", limit=campaigns.MAX_TITLE))
    return theme


def _today(ctx: FlowContext) -> date:
    return campaigns.local_today(chosen_org(ctx), ctx.now)


def _year_options(ctx: FlowContext) -> list[Option]:
    year = _today(ctx).year
    return [
        Option(str(year), ctx.t.gettext("{year} (this year)", year=str(year))),
        Option(str(year + 1), ctx.t.gettext("{year} (next year)", year=str(year + 1))),
    ]


def _check_year(ctx: FlowContext, value: Any) -> None:
    if _kind(ctx) == CampaignKind.EMULATION:
        return  # movements may run side by side
    org = chosen_org(ctx)
    for campaign in campaigns.open_campaigns(session=ctx.session, org_id=org.id or 0):
        if campaign.kind == _kind(ctx) and campaign.year == int(value):
            raise invalid_answer(ctx, Conflict("campaign_exists", year=str(value)))


def _deadline_prompt_open(ctx: FlowContext) -> str:
    t = ctx.t
    year = int(ctx.answers["year"])
    today = ctx.now.astimezone(ZoneInfo(chosen_org(ctx).timezone)).date()
    sample = example_within(today, date(year, 1, 1), date(year, 12, 31))
    return t.gettext(
        "The registration deadline: type a date such as “{day}” or “{full}”.",
        day=short_day(t, sample),
        full=full_day(t, sample),
    )


def _parse_open_deadline(ctx: FlowContext, text: str) -> Any:
    org = chosen_org(ctx)
    try:
        day = parse_day(text, now=ctx.now, tz=ZoneInfo(org.timezone)).day
    except DateTextError as exc:
        today = ctx.now.astimezone(ZoneInfo(org.timezone)).date()
        raise InvalidAnswer(date_error_text(ctx.t, exc.reason, today)) from exc
    end = date(int(ctx.answers["year"]), 12, 31)
    if day > end:
        raise invalid_answer(
            ctx,
            InvalidInput("deadline_after_period", day=day, end=end),
        )
    return day.isoformat()


def _cadence_options(ctx: FlowContext) -> list[Option]:
    """The cadences, the cell's default (/caidat) first."""
    default = Cadence(chosen_org(ctx).checkin_cadence)
    order = [
        default,
        *(c for c in (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.NONE) if c != default),
    ]
    return [Option(c.value, cadence_label(ctx.t, c)) for c in order]


def _draft(ctx: FlowContext) -> campaigns.CampaignDraft:
    kind = _kind(ctx)
    return campaigns.CampaignDraft(
        kind=kind,
        year=int(ctx.answers["year"]),
        deadline=date.fromisoformat(str(ctx.answers["deadline"])),
        cadence=Cadence(str(ctx.answers["cadence"])),
        title=str(ctx.answers.get("theme", "")) if kind == CampaignKind.EMULATION else "",
    )


def _expected_recipients(ctx: FlowContext, org: Organisation) -> list[notices.Recipient]:
    assert org.id is not None
    found = notices.recipients(session=ctx.session, org_ids=[org.id])[org.id]
    return [r for r in found if r.expected]


def _confirm_prompt(ctx: FlowContext) -> str:
    if is_pact(ctx):
        return confirm_prompt(ctx)
    draft = _draft(ctx)
    org = chosen_org(ctx)
    t = ctx.t
    # A preview, never saved.
    preview = Campaign(
        org_id=org.id or 0,
        kind=draft.kind,
        title=draft.title,
        year=draft.year,
        starts_on=date(draft.year, 1, 1),
        ends_on=date(draft.year, 12, 31),
        deadline=draft.deadline,
        cadence=draft.cadence,
        sections=campaigns.default_sections(draft.kind),
    )
    sections = campaigns.sections_of(preview)
    lines = [
        t.gettext("<b>Please check before opening:</b>"),
        f"📜 <b>{campaign_title(t, preview)}</b> — {escape(org.name)}",
        t.gettext("Registration deadline: {day}", day=t.date_text(draft.deadline)),
        t.gettext("Check-ins on progress: {cadence}", cadence=cadence_label(t, draft.cadence)),
        t.gettext("Sections:"),
    ]
    lines.extend(f"{n}. {section_label(t, s)}" for n, s in enumerate(sections, start=1))
    lines.append(
        t.gettext(
            "On confirm each of the {n} comrades expected to register (full and probationary "
            "members) is told privately.",
            n=t.number(len(_expected_recipients(ctx, org))),
        )
    )
    return "\n".join(lines)


def _complete_open(ctx: FlowContext) -> Screen:
    if is_pact(ctx):
        return complete_open(ctx)
    org = chosen_org(ctx)
    assert org.id is not None
    campaign = campaigns.open_campaign(
        session=ctx.session, org_id=org.id, draft=_draft(ctx), actor=ctx.person, now=ctx.now
    )
    people_to_tell = _expected_recipients(ctx, org)
    rows = notices.fan_out_rows(
        org=org,
        people=people_to_tell,
        build=lambda t: Screen(opened_notice(t, campaign, org), [[write_button(t, campaign)]]),
        key=f"campaign:{campaign.id}:opened",
        now=ctx.now,
        include_group=False,
    )
    outbox.enqueue_many(session=ctx.session, rows=rows)
    return Screen(
        ctx.t.gettext(
            "✅ Opened: <b>{title}</b>. {n} comrades were told privately. Send /camket to "
            "follow the progress.",
            title=campaign_title(ctx.t, campaign),
            n=ctx.t.number(len(people_to_tell)),
        )
    )


OPEN_CAMPAIGN_FLOW = Flow(
    name="open_campaign",
    title=N_("Opening a registration round"),
    check=require_some_committee,
    steps=(
        committee_cell_step(),
        Step(
            "kind",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("What do members register for?"),
            options=_kind_options,
        ),
        Step(
            "theme",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "The theme of the emulation movement, for example “Phát huy phong trào thi "
                "đua yêu nước, đẩy mạnh thực hiện nhiệm vụ chính trị”:"
            ),
            parse=_parse_theme,
            when=answered("kind", CampaignKind.EMULATION.value),
            limit=campaigns.MAX_TITLE,
        ),
        *pact_steps(),
        Step(
            "year",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("For which year?"),
            options=_year_options,
            save=_check_year,
        ),
        *pact_period_steps(),
        Step(
            "deadline",
            StepKind.TEXT,
            _deadline_prompt_open,
            parse=_parse_open_deadline,
            when=not_pact,
        ),
        Step(
            "cadence",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("How often should members report progress on their items?"),
            options=_cadence_options,
            when=not_pact,
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt),
    ),
    complete=_complete_open,
)

CAMPAIGN_FLOWS = (COMMITMENT_RETURN_FLOW, OPEN_CAMPAIGN_FLOW, PACT_PROGRESS_FLOW)

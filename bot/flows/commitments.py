"""Commitment forms: write a text section, add an item, choose the goal, return a commitment
with a comment, open a campaign; and the screens they come back to (the card, an items list,
a commitment under review).

Every answer is kept as a row of the member's draft the moment it is given (`Step.save`, or
the form's one answer on completion), so a member who stops halfway loses nothing; cancelling
goes back to the card or the list the form was opened from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.datetext import DateTextError, parse_day
from bot.flows.common import translator_for
from bot.flows.common_people import (
    chosen_org,
    committee_cell_options,
    only_committee_cell,
    require_some_committee,
)
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.i18n import Translator
from bot.models import COMMITTEE_ROLES, Member, Organisation, Person, Priority
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignKind,
    Commitment,
    CommitmentStatus,
    EmulationTitle,
    RatingLevel,
    SectionKind,
)
from bot.render import error_text
from bot.render_commitments import (
    GOAL_LEVELS,
    cadence_label,
    campaign_title,
    card_keyboard,
    commitment_text,
    committee_buttons,
    items_keyboard,
    items_text,
    kind_label,
    numbered_label,
    opened_notice,
    rating_label,
    returned_notice,
    review_keyboard,
    section_label,
    title_label,
    write_button,
)
from bot.services import campaigns, commitments, members, notices, outbox, people
from bot.services.campaigns import Section
from bot.services.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from bot.text import clean_line, escape
from bot.ui import Screen

SKIP = "~skip"
NO_TITLE = "none"


def _invalid(ctx: FlowContext, error: DomainError) -> InvalidAnswer:
    return InvalidAnswer(error_text(ctx.t, error))


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
    text = commitment_text(
        t,
        campaign=campaign,
        sections=sections,
        org=org,
        member=member,
        commitment=commitment,
        items=items,
        in_force=commitments.in_force(
            session=session, campaign_id=campaign.id, member_id=member.id
        ),
    )
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


# --- shared pieces of the member's forms ---------------------------------------------------------


def _campaign(ctx: FlowContext) -> Campaign:
    return campaigns.get_campaign(session=ctx.session, campaign_id=int(ctx.params["campaign_id"]))


def _commitment_id(ctx: FlowContext) -> int:
    return int(ctx.params["commitment_id"])


def _section(ctx: FlowContext) -> Section:
    return campaigns.section_of(_campaign(ctx), str(ctx.params["section"]))


def _writable(ctx: FlowContext) -> tuple[Commitment, Campaign]:
    return commitments.writable(
        session=ctx.session, commitment_id=_commitment_id(ctx), person=ctx.person
    )


def _heading(ctx: FlowContext) -> str:
    campaign = _campaign(ctx)
    return f"<b>{numbered_label(ctx.t, campaigns.sections_of(campaign), _section(ctx))}</b>"


def _card(ctx: FlowContext, note: str) -> Screen:
    return card_screen(ctx.session, ctx.t, _campaign(ctx), ctx.person, note)


def _back_to_card(ctx: FlowContext) -> Screen:
    return _card(ctx, stopped_note(ctx.t))


# --- a text section ------------------------------------------------------------------------------


def _check_text(ctx: FlowContext) -> None:
    _writable(ctx)
    if _section(ctx).kind != SectionKind.TEXT:
        raise InvalidInput("section_not_text")


def _text_prompt(ctx: FlowContext) -> str:
    commitment, _ = _writable(ctx)
    current = commitment.answers.get(str(ctx.params["section"]))
    lines = [_heading(ctx)]
    if current:
        lines.append(ctx.t.gettext("Now written:"))
        lines.append(f"<i>{escape(current)}</i>")
        lines.append("")
        lines.append(
            ctx.t.gettext(
                "Type the new text of this section (at most {limit} characters); it replaces "
                "the one above.",
                limit=commitments.MAX_ANSWER,
            )
        )
    else:
        lines.append(
            ctx.t.gettext(
                "Type what you commit to in this section (at most {limit} characters).",
                limit=commitments.MAX_ANSWER,
            )
        )
    return "\n".join(lines)


def _parse_text(ctx: FlowContext, text: str) -> Any:
    value = campaigns.clean_text(text)
    if not value:
        raise _invalid(ctx, InvalidInput("answer_empty"))
    if len(value) > commitments.MAX_ANSWER:
        raise _invalid(ctx, InvalidInput("text_too_long", limit=commitments.MAX_ANSWER))
    return value


def _complete_text(ctx: FlowContext) -> Screen:
    commitments.set_answer(
        session=ctx.session,
        commitment_id=_commitment_id(ctx),
        section_key=str(ctx.params["section"]),
        text=str(ctx.answers["text"]),
        person=ctx.person,
        now=ctx.now,
    )
    return _card(ctx, saved_note(ctx.t))


COMMITMENT_TEXT_FLOW = Flow(
    name="commitment_text",
    check=_check_text,
    steps=(
        Step(
            "text",
            StepKind.TEXT,
            _text_prompt,
            parse=_parse_text,
            limit=commitments.MAX_ANSWER,
        ),
    ),
    complete=_complete_text,
    on_cancel=_back_to_card,
)


# --- an item of an items section -----------------------------------------------------------------


def _items_of(ctx: FlowContext, note: str, question: str = "") -> Screen:
    commitment = ctx.session.get(Commitment, _commitment_id(ctx))
    if commitment is None:
        raise NotFound("commitment_not_found")
    return items_screen(
        ctx.session, ctx.t, _campaign(ctx), commitment, _section(ctx), note, question
    )


def _check_item(ctx: FlowContext) -> None:
    commitment, _ = _writable(ctx)
    section = _section(ctx)
    if section.kind != SectionKind.ITEMS:
        raise InvalidInput("section_not_items")
    assert commitment.id is not None
    own = [
        i
        for i in commitments.items(session=ctx.session, commitment_id=commitment.id)
        if i.section_key == section.key
    ]
    if len(own) >= commitments.MAX_ITEMS:
        raise InvalidInput("too_many_items", limit=commitments.MAX_ITEMS)


def _item_prompt(ctx: FlowContext) -> str:
    return "\n".join(
        [
            _heading(ctx),
            ctx.t.gettext(
                "Type one concrete task (at most {limit} characters), for example “Tham gia "
                "đầy đủ các buổi học tập nghị quyết”.",
                limit=commitments.MAX_ITEM,
            ),
        ]
    )


def _parse_item(ctx: FlowContext, text: str) -> Any:
    value = clean_line(text)
    if not value:
        raise _invalid(ctx, InvalidInput("answer_empty"))
    if len(value) > commitments.MAX_ITEM:
        raise _invalid(ctx, InvalidInput("text_too_long", limit=commitments.MAX_ITEM))
    return value


def _save_item(ctx: FlowContext, value: Any) -> None:
    item = commitments.add_item(
        session=ctx.session,
        commitment_id=_commitment_id(ctx),
        section_key=str(ctx.params["section"]),
        text=str(value),
        person=ctx.person,
        now=ctx.now,
    )
    ctx.answers["item_id"] = item.id


def _skip(ctx: FlowContext) -> list[Option]:
    return [Option(SKIP, ctx.t.gettext("Skip"))]


def _target_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "The target, as a number and a unit, for example “12 buổi” or “100%” (or tap Skip):"
    )


def _parse_target(ctx: FlowContext, text: str) -> Any:
    try:
        number, unit = commitments.parse_target(text)
    except InvalidInput as exc:
        raise _invalid(ctx, exc) from exc
    return [number, unit]


def _save_target(ctx: FlowContext, value: Any) -> None:
    if value == SKIP:
        return
    number, unit = value
    commitments.update_item(
        session=ctx.session,
        item_id=int(ctx.answers["item_id"]),
        person=ctx.person,
        now=ctx.now,
        target=(float(number), str(unit)),
    )


def _deadline_prompt(ctx: FlowContext) -> str:
    campaign = _campaign(ctx)
    return ctx.t.gettext(
        "The deadline, between {start} and {end}: type a date such as “30/6” or “30/6/{year}” "
        "(or tap Skip):",
        start=ctx.t.date_text(campaign.starts_on),
        end=ctx.t.date_text(campaign.ends_on),
        year=str(campaign.year),
    )


def _tz(ctx: FlowContext, campaign: Campaign) -> ZoneInfo:
    return ZoneInfo(org_of(ctx.session, campaign).timezone)


def _read_day(ctx: FlowContext, campaign: Campaign, text: str) -> date:
    try:
        return parse_day(text, now=ctx.now, tz=_tz(ctx, campaign)).day
    except DateTextError as exc:
        raise _invalid(ctx, InvalidInput(f"date_{exc.reason}")) from exc


# A day and month without a year ("31/12"): that day within the campaign's period.
_DAY_MONTH = re.compile(r"\s*\d{1,2}\s*[/.-]\s*\d{1,2}\s*")


def _within(campaign: Campaign, day: date) -> date:
    for year in sorted({campaign.starts_on.year, campaign.ends_on.year}):
        try:
            candidate = day.replace(year=year)
        except ValueError:  # 29/02
            continue
        if campaign.starts_on <= candidate <= campaign.ends_on:
            return candidate
    return day


def _parse_deadline(ctx: FlowContext, text: str) -> Any:
    campaign = _campaign(ctx)
    day = _read_day(ctx, campaign, text)
    if _DAY_MONTH.fullmatch(text):
        day = _within(campaign, day)
    if not campaign.starts_on <= day <= campaign.ends_on:
        raise _invalid(
            ctx,
            InvalidInput(
                "deadline_outside_period", start=campaign.starts_on, end=campaign.ends_on
            ),
        )
    return day.isoformat()


def _save_deadline(ctx: FlowContext, value: Any) -> None:
    if value == SKIP:
        return
    commitments.update_item(
        session=ctx.session,
        item_id=int(ctx.answers["item_id"]),
        person=ctx.person,
        now=ctx.now,
        deadline=date.fromisoformat(str(value)),
    )


def _complete_item(ctx: FlowContext) -> Screen:
    return _items_of(ctx, saved_note(ctx.t), ctx.t.gettext("Add another task?"))


COMMITMENT_ITEM_FLOW = Flow(
    name="commitment_item",
    check=_check_item,
    steps=(
        Step(
            "text",
            StepKind.TEXT,
            _item_prompt,
            parse=_parse_item,
            save=_save_item,
            limit=commitments.MAX_ITEM,
        ),
        Step(
            "target",
            StepKind.TEXT,
            _target_prompt,
            options=_skip,
            parse=_parse_target,
            save=_save_target,
        ),
        Step(
            "deadline",
            StepKind.TEXT,
            _deadline_prompt,
            options=_skip,
            parse=_parse_deadline,
            save=_save_deadline,
        ),
    ),
    complete=_complete_item,
    on_cancel=lambda ctx: _items_of(ctx, stopped_note(ctx.t)),
)


# --- the goal ------------------------------------------------------------------------------------


def _check_goal(ctx: FlowContext) -> None:
    _writable(ctx)
    if _section(ctx).kind != SectionKind.GOAL:
        raise NotFound("section_not_found")


def _level_prompt(ctx: FlowContext) -> str:
    commitment, _ = _writable(ctx)
    lines = [_heading(ctx), ctx.t.gettext("Which rating level do you strive for this year?")]
    if commitment.rating_goal is not None:
        lines.append(
            ctx.t.gettext("Now: {level}", level=rating_label(ctx.t, commitment.rating_goal))
        )
    return "\n".join(lines)


def _level_options(ctx: FlowContext) -> list[Option]:
    return [Option(level.value, rating_label(ctx.t, level)) for level in GOAL_LEVELS]


def _save_level(ctx: FlowContext, value: Any) -> None:
    commitments.set_goal(
        session=ctx.session,
        commitment_id=_commitment_id(ctx),
        person=ctx.person,
        now=ctx.now,
        level=RatingLevel(str(value)),
    )


def _title_options(ctx: FlowContext) -> list[Option]:
    return [
        *(Option(title.value, title_label(ctx.t, title)) for title in EmulationTitle),
        Option(NO_TITLE, title_label(ctx.t, None)),
    ]


def _save_title(ctx: FlowContext, value: Any) -> None:
    chosen = str(value)
    commitments.set_goal(
        session=ctx.session,
        commitment_id=_commitment_id(ctx),
        person=ctx.person,
        now=ctx.now,
        title=None if chosen == NO_TITLE else EmulationTitle(chosen),
        clear_title=chosen == NO_TITLE,
    )


COMMITMENT_GOAL_FLOW = Flow(
    name="commitment_goal",
    check=_check_goal,
    steps=(
        Step("level", StepKind.CHOICE, _level_prompt, options=_level_options, save=_save_level),
        Step(
            "title",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Do you also register for an emulation title?"),
            options=_title_options,
            save=_save_title,
        ),
    ),
    complete=lambda ctx: _card(ctx, saved_note(ctx.t)),
    on_cancel=_back_to_card,
)


# --- returning a commitment with a comment (committee) -------------------------------------------


def _reviewed(ctx: FlowContext) -> tuple[Commitment, Campaign]:
    return commitments.reviewable(
        session=ctx.session, commitment_id=_commitment_id(ctx), actor=ctx.person
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
        raise _invalid(ctx, InvalidInput("comment_empty"))
    if len(value) > commitments.MAX_COMMENT:
        raise _invalid(ctx, InvalidInput("text_too_long", limit=commitments.MAX_COMMENT))
    return value


def _complete_return(ctx: FlowContext) -> Screen:
    commitment, campaign = commitments.return_for_changes(
        session=ctx.session,
        commitment_id=_commitment_id(ctx),
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


def waiting_line(session: Session, t: Translator, org: Organisation) -> str:
    """Says how many commitments still wait for review in a cell."""
    left = len(commitments.awaiting_review(session=session, org_id=org.id or 0))
    if left:
        return t.gettext("{n} more waiting: send /duyet.", n=t.number(left))
    return t.gettext("Nothing else is waiting for review.")


def _back_to_review(ctx: FlowContext) -> Screen:
    cancelled = ctx.t.gettext("Cancelled. Nothing was changed.")
    try:
        commitment, _ = _reviewed(ctx)
    except DomainError:
        return Screen(cancelled)
    return review_screen(ctx.session, ctx.t, commitment, cancelled)


COMMITMENT_RETURN_FLOW = Flow(
    name="commitment_return",
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
        raise _invalid(ctx, InvalidInput("campaign_theme_required"))
    if len(theme) > campaigns.MAX_TITLE:
        raise _invalid(ctx, InvalidInput("text_too_long", limit=campaigns.MAX_TITLE))
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
            raise _invalid(ctx, Conflict("campaign_exists", year=str(value)))


def _deadline_prompt_open(ctx: FlowContext) -> str:
    year = str(ctx.answers["year"])
    return ctx.t.gettext(
        "The registration deadline: type a date such as “15/12” or “15/1/{year}”.", year=year
    )


def _parse_open_deadline(ctx: FlowContext, text: str) -> Any:
    org = chosen_org(ctx)
    try:
        day = parse_day(text, now=ctx.now, tz=ZoneInfo(org.timezone)).day
    except DateTextError as exc:
        raise _invalid(ctx, InvalidInput(f"date_{exc.reason}")) from exc
    end = date(int(ctx.answers["year"]), 12, 31)
    if day > end:
        raise _invalid(
            ctx,
            InvalidInput("deadline_after_period", day=day, end=end),
        )
    return day.isoformat()


def _cadence_options(ctx: FlowContext) -> list[Option]:
    order = (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.NONE)
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
    check=require_some_committee,
    steps=(
        Step(
            "org",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Which cell is this for?"),
            options=committee_cell_options,
            auto=only_committee_cell,
        ),
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
        Step(
            "year",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("For which year?"),
            options=_year_options,
            save=_check_year,
        ),
        Step(
            "deadline",
            StepKind.TEXT,
            _deadline_prompt_open,
            parse=_parse_open_deadline,
        ),
        Step(
            "cadence",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("How often should members report progress on their items?"),
            options=_cadence_options,
        ),
        Step("confirm", StepKind.CONFIRM, _confirm_prompt),
    ),
    complete=_complete_open,
)

COMMITMENT_FLOWS = (
    COMMITMENT_TEXT_FLOW,
    COMMITMENT_ITEM_FLOW,
    COMMITMENT_GOAL_FLOW,
    COMMITMENT_RETURN_FLOW,
    OPEN_CAMPAIGN_FLOW,
)

"""A member's commitment forms: write a text section, add an item, choose the goal.

Every answer is kept as a row of the member's draft the moment it is given (`Step.save`, or
the form's one answer on completion), so a member who stops halfway loses nothing; cancelling
goes back to the card or the list the form was opened from.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.date_examples import date_error_text, example_within, full_day, short_day
from bot.datetext import DateTextError, parse_day
from bot.flows.commitment_screens import (
    NO_TITLE,
    SKIP,
    card_screen,
    commitment_id_of,
    invalid_answer,
    items_screen,
    org_of,
    saved_note,
    stopped_note,
)
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind
from bot.i18n import N_
from bot.models.commitments import (
    Campaign,
    Commitment,
    EmulationTitle,
    RatingLevel,
    SectionKind,
)
from bot.render_commitments import (
    GOAL_LEVELS,
    numbered_label,
    rating_label,
    title_label,
)
from bot.services import campaigns, commitments
from bot.services.campaigns import Section
from bot.services.errors import InvalidInput, NotFound
from bot.text import clean_line, escape
from bot.ui import Screen

# --- shared pieces of the member's forms ---------------------------------------------------------


def _campaign(ctx: FlowContext) -> Campaign:
    return campaigns.get_campaign(session=ctx.session, campaign_id=int(ctx.params["campaign_id"]))


def _section(ctx: FlowContext) -> Section:
    return campaigns.section_of(_campaign(ctx), str(ctx.params["section"]))


def _writable(ctx: FlowContext) -> tuple[Commitment, Campaign]:
    return commitments.writable(
        session=ctx.session, commitment_id=commitment_id_of(ctx), person=ctx.person
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
        raise invalid_answer(ctx, InvalidInput("answer_empty"))
    if len(value) > commitments.MAX_ANSWER:
        raise invalid_answer(ctx, InvalidInput("text_too_long", limit=commitments.MAX_ANSWER))
    return value


def _complete_text(ctx: FlowContext) -> Screen:
    commitments.set_answer(
        session=ctx.session,
        commitment_id=commitment_id_of(ctx),
        section_key=str(ctx.params["section"]),
        text=str(ctx.answers["text"]),
        person=ctx.person,
        now=ctx.now,
    )
    return _card(ctx, saved_note(ctx.t))


COMMITMENT_TEXT_FLOW = Flow(
    name="commitment_text",
    title=N_("Commitment"),
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
    commitment = ctx.session.get(Commitment, commitment_id_of(ctx))
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
        raise invalid_answer(ctx, InvalidInput("answer_empty"))
    if len(value) > commitments.MAX_ITEM:
        raise invalid_answer(ctx, InvalidInput("text_too_long", limit=commitments.MAX_ITEM))
    return value


def _save_item(ctx: FlowContext, value: Any) -> None:
    item = commitments.add_item(
        session=ctx.session,
        commitment_id=commitment_id_of(ctx),
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
        raise invalid_answer(ctx, exc) from exc
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
    t = ctx.t
    today = ctx.now.astimezone(_tz(ctx, campaign)).date()
    sample = example_within(today, campaign.starts_on, campaign.ends_on)
    return t.gettext(
        "The deadline, between {start} and {end}: type a date such as “{day}” or “{full}” "
        "(or tap Skip):",
        start=t.date_text(campaign.starts_on),
        end=t.date_text(campaign.ends_on),
        day=short_day(t, sample),
        full=full_day(t, sample),
    )


def _tz(ctx: FlowContext, campaign: Campaign) -> ZoneInfo:
    return ZoneInfo(org_of(ctx.session, campaign).timezone)


def _read_day(ctx: FlowContext, campaign: Campaign, text: str) -> date:
    try:
        return parse_day(text, now=ctx.now, tz=_tz(ctx, campaign)).day
    except DateTextError as exc:
        today = ctx.now.astimezone(_tz(ctx, campaign)).date()
        raise InvalidAnswer(date_error_text(ctx.t, exc.reason, today)) from exc


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
        raise invalid_answer(
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
    title=N_("Commitment item"),
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
            StepKind.NUMBER,
            _target_prompt,
            options=_skip,
            parse=_parse_target,
            save=_save_target,
        ),
        Step(
            "deadline",
            StepKind.NUMBER,
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
        commitment_id=commitment_id_of(ctx),
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
        commitment_id=commitment_id_of(ctx),
        person=ctx.person,
        now=ctx.now,
        title=None if chosen == NO_TITLE else EmulationTitle(chosen),
        clear_title=chosen == NO_TITLE,
    )


COMMITMENT_GOAL_FLOW = Flow(
    name="commitment_goal",
    title=N_("Commitment goal"),
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

COMMITMENT_FLOWS = (COMMITMENT_TEXT_FLOW, COMMITMENT_ITEM_FLOW, COMMITMENT_GOAL_FLOW)

"""The giao ước thi đua forms of the committee: the pact's part of "➕ Mở đợt đăng ký", and
recording a target's progress from the pact's card (✏️ n).

Opening a pact asks, after the kind: the title (or Skip for "Giao ước thi đua năm …"), the year
and the period as buttons (the whole year, the first or the second half), then all the targets
in one message, one per line, such as

    Kết nạp đảng viên mới: 2 người
    Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên: 100 %

A secretary on a phone usually copies the targets from the signed pact: one message with every
line is quicker than a round of questions per target, and a line that cannot be read is named
by its number so that only that line needs retyping. A line with a single number, as the pact
writes it ("Kết nạp 2 đảng viên mới"), is read as it stands. There is no registration deadline
and no check-in cadence: a pact is the cell's, and members are only told of it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.flows.commitment_screens import SKIP, invalid_answer, org_of
from bot.flows.common_people import chosen_org
from bot.flows.engine import Flow, FlowContext, Option, Step, StepKind, answered
from bot.i18n import N_
from bot.models import Organisation
from bot.models.commitments import Campaign, CampaignKind, PactTarget
from bot.render_commitments import campaign_title
from bot.render_pacts import (
    amount_text,
    draft_lines,
    opened_notice,
    pact_screen,
    period_text,
    view_button,
)
from bot.services import campaigns, notices, outbox, pacts
from bot.services.errors import InvalidInput
from bot.text import clean_line, escape
from bot.ui import Screen

# The longest message of targets read at once (twenty lines of a pact, with room).
MAX_TARGETS_TEXT = 4000

PERIOD_LABELS = {
    "year": N_("The whole year {year}"),
    "h1": N_("First half of {year} (1/1 – 30/6)"),
    "h2": N_("Second half of {year} (1/7 – 31/12)"),
}

is_pact = answered("kind", CampaignKind.PACT.value)


def not_pact(ctx: FlowContext) -> bool:
    """Asked for every kind but a pact (deadline, cadence)."""
    return not is_pact(ctx)


def _period(ctx: FlowContext, code: str | None = None) -> tuple[date, date]:
    year = int(ctx.answers["year"])
    code = code or str(ctx.answers.get("pact_period", "year"))
    if code == "h1":
        return date(year, 1, 1), date(year, 6, 30)
    if code == "h2":
        return date(year, 7, 1), date(year, 12, 31)
    return date(year, 1, 1), date(year, 12, 31)


def _period_options(ctx: FlowContext) -> list[Option]:
    today = campaigns.local_today(chosen_org(ctx), ctx.now)
    year = str(ctx.answers["year"])
    return [
        Option(code, ctx.t.gettext(label, year=year))
        for code, label in PERIOD_LABELS.items()
        if _period(ctx, code)[1] >= today
    ]


def _parse_title(ctx: FlowContext, text: str) -> Any:
    title = clean_line(text)
    if not title:
        raise invalid_answer(ctx, InvalidInput("pact_title_empty"))
    if len(title) > campaigns.MAX_TITLE:
        raise invalid_answer(ctx, InvalidInput("text_too_long", limit=campaigns.MAX_TITLE))
    return title


def _title(ctx: FlowContext) -> str:
    value = str(ctx.answers.get("pact_title", SKIP))
    return "" if value == SKIP else value


def _targets_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "The pact's targets, all in one message, one per line, each as “what: plan value and "
        "unit”, for example:\n<i>Kết nạp đảng viên mới: 2 người\nTỷ lệ đảng viên hoàn thành "
        "tốt nhiệm vụ trở lên: 100 %</i>\nAt most {limit} targets.",
        limit=pacts.MAX_TARGETS,
    )


def _parse_targets(ctx: FlowContext, text: str) -> Any:
    try:
        found = pacts.parse_targets(text)
    except InvalidInput as exc:
        raise invalid_answer(ctx, exc) from exc
    return [{"text": d.text, "plan": d.plan, "unit": d.unit} for d in found]


def _drafts(ctx: FlowContext) -> list[pacts.TargetDraft]:
    return [
        pacts.TargetDraft(text=str(d["text"]), plan=float(d["plan"]), unit=str(d["unit"]))
        for d in ctx.answers.get("targets", [])
    ]


def _preview(ctx: FlowContext, org: Organisation) -> Campaign:
    starts_on, ends_on = _period(ctx)
    year = int(ctx.answers["year"])
    return Campaign(
        org_id=org.id or 0,
        kind=CampaignKind.PACT,
        title=_title(ctx),
        year=year,
        starts_on=starts_on,
        ends_on=ends_on,
        deadline=ends_on,
    )


def _members_told(ctx: FlowContext, org: Organisation) -> list[notices.Recipient]:
    assert org.id is not None
    found = notices.recipients(session=ctx.session, org_ids=[org.id])[org.id]
    # The comrade opening it has the card in front of them.
    return [r for r in found if r.expected and r.person_id != ctx.person.id]


def confirm_prompt(ctx: FlowContext) -> str:
    """The pact as it will be opened, for the committee to check."""
    org = chosen_org(ctx)
    preview = _preview(ctx, org)
    t = ctx.t
    lines = [t.gettext("<b>Please check before opening:</b>"), escape(org.name)]
    lines.extend(
        draft_lines(
            t,
            title=campaign_title(t, preview),
            period=period_text(t, preview),
            targets=_drafts(ctx),
        )
    )
    lines.append(
        t.gettext(
            "It is the cell's pact: nobody registers for it. On confirm each of the {n} "
            "comrades is told of it privately.",
            n=t.number(len(_members_told(ctx, org))),
        )
    )
    return "\n".join(lines)


def complete_open(ctx: FlowContext) -> Screen:
    """Opens the pact and tells each member privately, in their channel."""
    org = chosen_org(ctx)
    assert org.id is not None
    starts_on, ends_on = _period(ctx)
    campaign = pacts.open_pact(
        session=ctx.session,
        org_id=org.id,
        year=int(ctx.answers["year"]),
        starts_on=starts_on,
        ends_on=ends_on,
        targets=_drafts(ctx),
        title=_title(ctx),
        actor=ctx.person,
        now=ctx.now,
    )
    figures = pacts.PactFigures(
        campaign=campaign,
        targets=pacts.targets_of(session=ctx.session, campaign_id=campaign.id or 0),
    )
    people = _members_told(ctx, org)
    rows = notices.fan_out_rows(
        org=org,
        people=people,
        build=lambda t: Screen(opened_notice(t, figures, org), [[view_button(t, campaign)]]),
        key=f"pact:{campaign.id}:opened",
        now=ctx.now,
        include_group=False,
    )
    outbox.enqueue_many(session=ctx.session, rows=rows)
    note = ctx.t.gettext(
        "✅ Opened. {n} comrades were told privately. Record progress with ✏️ per target.",
        n=ctx.t.number(len(people)),
    )
    return pact_screen(ctx.t, figures, org, committee=True, note=note)


def pact_steps() -> tuple[Step, ...]:
    """The steps of "➕ Mở đợt đăng ký" that only a pact asks, before the year."""
    return (
        Step(
            "pact_title",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "The pact's title, for example “Giao ước thi đua năm 2027 giữa các chi bộ khối "
                "cơ quan”, or tap Skip to call it “Emulation pact for the year”:"
            ),
            options=lambda ctx: [Option(SKIP, ctx.t.gettext("Skip"))],
            parse=_parse_title,
            when=is_pact,
            limit=campaigns.MAX_TITLE,
        ),
    )


def pact_period_steps() -> tuple[Step, ...]:
    """The steps of "➕ Mở đợt đăng ký" that only a pact asks, after the year."""
    return (
        Step(
            "pact_period",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Which period does the pact cover?"),
            options=_period_options,
            when=is_pact,
        ),
        Step(
            "targets",
            StepKind.TEXT,
            _targets_prompt,
            parse=_parse_targets,
            when=is_pact,
            limit=MAX_TARGETS_TEXT,
        ),
    )


# --- recording a target's progress (committee) ---------------------------------------------------


def _target(ctx: FlowContext) -> tuple[PactTarget, Campaign]:
    found: tuple[PactTarget, Campaign] | None = ctx.memo.get("pact_target")
    if found is None:
        found = pacts.editable_target(
            session=ctx.session, target_id=int(ctx.params["target_id"]), person=ctx.person
        )
        ctx.memo["pact_target"] = found
    return found


def _check_progress(ctx: FlowContext) -> None:
    _target(ctx)


def _value_prompt(ctx: FlowContext) -> str:
    target, _ = _target(ctx)
    t = ctx.t
    lines = [
        t.gettext("<b>Target</b>: {target}", target=escape(target.text)),
        t.gettext("Plan: {plan}", plan=amount_text(t, target.plan, target.unit)),
    ]
    if target.achieved is not None:
        lines.append(
            t.gettext(
                "Recorded so far: {value}", value=amount_text(t, target.achieved, target.unit)
            )
        )
    lines.append(t.gettext("How much has been achieved so far? Type a number, e.g. “1”."))
    return "\n".join(lines)


def _parse_value(ctx: FlowContext, text: str) -> Any:
    try:
        return pacts.parse_progress(text)
    except InvalidInput as exc:
        raise invalid_answer(ctx, exc) from exc


def _parse_note(ctx: FlowContext, text: str) -> Any:
    try:
        return pacts.clean_note(text)
    except InvalidInput as exc:
        raise invalid_answer(ctx, exc) from exc


def _complete_progress(ctx: FlowContext) -> Screen:
    target, campaign = _target(ctx)
    note = ctx.answers.get("note", SKIP)
    pacts.record_progress(
        session=ctx.session,
        target_id=target.id or 0,
        actor=ctx.person,
        value=float(ctx.answers["value"]),
        note=None if note == SKIP else str(note),
        now=ctx.now,
    )
    figures = pacts.PactFigures(
        campaign=campaign,
        targets=pacts.targets_of(session=ctx.session, campaign_id=campaign.id or 0),
    )
    saved = ctx.t.gettext("✅ Progress recorded: {target}", target=escape(target.text))
    return pact_screen(ctx.t, figures, org_of(ctx.session, campaign), committee=True, note=saved)


PACT_PROGRESS_FLOW = Flow(
    name="pact_progress",
    title=N_("Recording a pact target's progress"),
    check=_check_progress,
    steps=(
        Step("value", StepKind.NUMBER, _value_prompt, parse=_parse_value),
        Step(
            "note",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "A short note, if you wish (at most {limit} characters), or tap Skip:",
                limit=pacts.MAX_NOTE,
            ),
            options=lambda ctx: [Option(SKIP, ctx.t.gettext("Skip"))],
            parse=_parse_note,
            limit=pacts.MAX_NOTE,
        ),
    ),
    complete=_complete_progress,
)

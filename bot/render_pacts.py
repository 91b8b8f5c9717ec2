"""A cell's giao ước thi đua → localized card, notice, digest and report lines.

Every target reads "đạt x/y (z%)"; every string the committee typed is escaped here.
"""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.models import Organisation
from bot.models.commitments import Campaign, CampaignStatus, PactTarget
from bot.render import ERROR_MESSAGES
from bot.render_commitments import button_label, campaign_title, plain_label
from bot.services import pacts
from bot.services.pacts import PactFigures
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

ERROR_MESSAGES.update(
    {
        "pact_targets_empty": N_(
            "The pact needs at least one target. Write each target on its own line as “what: "
            "plan value and unit”, e.g. “Kết nạp đảng viên mới: 2 người”."
        ),
        "pact_target_empty": N_(
            "Line {line}: the target is empty. Write what is aimed for before the colon, e.g. "
            "“Kết nạp đảng viên mới: 2 người”."
        ),
        "pact_target_format": N_(
            "Line {line} could not be read: it needs exactly one plan value. Write it as “what: "
            "plan value and unit”, e.g. “Kết nạp đảng viên mới: 2 người”."
        ),
        "pact_plan_not_number": N_(
            "Line {line}: the plan value after the colon must be a number, e.g. “2 người” or "
            "“100 %”."
        ),
        "pact_plan_not_positive": N_(
            "Line {line}: the plan value must be a number greater than 0."
        ),
        "pact_too_many_targets": N_("A pact can have at most {limit} targets."),
        "pact_title_empty": N_("The title cannot be empty. Type it, or tap Skip."),
        "pact_value_not_number": N_(
            "Please type the value achieved as a number, e.g. “1” or “95”."
        ),
        "pact_not_found": N_("That emulation pact no longer exists."),
        "pact_target_not_found": N_("That target of the pact no longer exists."),
        "pact_closed": N_("This pact has been closed; its figures can no longer be changed."),
        "pact_other_cell": N_("This emulation pact belongs to another cell."),
        "pact_committee_only": N_(
            "Only the cell committee records the pact's progress or closes it."
        ),
    }
)


def period_text(t: Translator, campaign: Campaign) -> str:
    """Returns "01/01/2027 – 31/12/2027"."""
    return f"{t.date_text(campaign.starts_on)} – {t.date_text(campaign.ends_on)}"


def amount_text(t: Translator, value: float, unit: str) -> str:
    """Returns "2 người", "100%", "3,5 triệu đồng"."""
    number = t.number(value)
    if not unit:
        return number
    if unit.startswith("%"):
        return escape(f"{number}{unit}")
    return escape(f"{number} {unit}")


def progress_text(t: Translator, target: PactTarget) -> str:
    """Returns "đạt 1/2 người (50%)", or "chưa ghi nhận (kế hoạch: 2 người)"."""
    plan = amount_text(t, target.plan, target.unit)
    share = pacts.percent(target)
    if target.achieved is None or share is None:
        return t.gettext("nothing recorded yet (plan: {plan})", plan=plan)
    return t.gettext(
        "achieved {value}/{plan} ({percent}%)",
        value=t.number(target.achieved),
        plan=plan,
        percent=t.number(share),
    )


def target_line(t: Translator, number: int, target: PactTarget) -> str:
    """Returns one target numbered as its ✏️ button: "1) Kết nạp đảng viên mới — đạt …"."""
    mark = "✅ " if pacts.reached(target) else ""
    line = f"{number}) {mark}{escape(target.text)} — {progress_text(t, target)}"
    if target.note:
        line += "\n    " + t.gettext("Note: {note}", note=escape(target.note))
    return line


def pact_text(t: Translator, figures: PactFigures, org: Organisation, note: str = "") -> str:
    """Returns the pact as its card shows it: title, cell, period, state, each target."""
    campaign = figures.campaign
    lines = [f"🤝 <b>{campaign_title(t, campaign)}</b>", escape(org.name)]
    lines.append(t.gettext("Period: {period}", period=period_text(t, campaign)))
    if campaign.status == CampaignStatus.CLOSED and campaign.closed_at is not None:
        lines.append(
            t.gettext("🏁 Closed on {day}; final figures:", day=t.date_text(campaign.closed_at))
        )
    lines.append(
        t.gettext(
            "Targets met: {n}/{total}",
            n=t.number(figures.reached),
            total=t.number(len(figures.targets)),
        )
    )
    lines.extend(target_line(t, n, target) for n, target in enumerate(figures.targets, start=1))
    if note:
        lines.insert(0, note + "\n")
    return "\n".join(lines)


def pact_keyboard(t: Translator, figures: PactFigures, *, committee: bool) -> Keyboard:
    """Returns the committee's buttons on an open pact: ✏️ per target, then close it."""
    campaign = figures.campaign
    if not committee or campaign.status != CampaignStatus.OPEN:
        return []
    keyboard: Keyboard = []
    row: list[Button] = []
    for number, target in enumerate(figures.targets, start=1):
        row.append(Button(t.gettext("✏️ Target {n}", n=number), data=choice("ge", target.id or 0)))
        if len(row) == 3:
            keyboard.append(row)
            row = []
    if row:
        keyboard.append(row)
    keyboard.append([Button(t.gettext("🏁 Close the pact"), data=choice("gc", campaign.id or 0))])
    return keyboard


def pact_screen(
    t: Translator, figures: PactFigures, org: Organisation, *, committee: bool, note: str = ""
) -> Screen:
    """Returns the pact's card with the buttons the reader may use."""
    return Screen(pact_text(t, figures, org, note), pact_keyboard(t, figures, committee=committee))


def close_question(t: Translator, figures: PactFigures, org: Organisation) -> Screen:
    """Returns the question before closing a pact, with its figures as they will stay."""
    campaign = figures.campaign
    text = "\n".join(
        [
            pact_text(t, figures, org),
            "",
            t.gettext(
                "Close the pact at the sơ kết / tổng kết? Its figures stay as they are now and "
                "can no longer be changed."
            ),
        ]
    )
    keyboard: Keyboard = [
        [Button(t.gettext("🏁 Yes, close it"), data=choice("gz", campaign.id or 0))],
        [Button(t.gettext("↩️ Not now"), data=choice("gp", campaign.id or 0))],
    ]
    return Screen(text, keyboard)


def pact_buttons(t: Translator, found: list[Campaign]) -> Keyboard:
    """Returns one button per pact /camket lists (open ones, then those closed lately)."""
    keyboard: Keyboard = []
    for campaign in found:
        label = "🤝 " + plain_label(campaign_title(t, campaign))
        if campaign.status == CampaignStatus.CLOSED:
            label += " " + t.gettext("(closed)")
        keyboard.append([Button(button_label(label), data=choice("gp", campaign.id or 0))])
    return keyboard


def draft_lines(
    t: Translator, *, title: str, period: str, targets: list[pacts.TargetDraft]
) -> list[str]:
    """Returns the pact as the committee checks it before opening it."""
    lines = [f"🤝 <b>{title}</b>", t.gettext("Period: {period}", period=period)]
    lines.append(t.gettext("Targets:"))
    lines.extend(
        f"{n}) {escape(target.text)} — "
        + t.gettext("plan: {plan}", plan=amount_text(t, target.plan, target.unit))
        for n, target in enumerate(targets, start=1)
    )
    return lines


def opened_notice(t: Translator, figures: PactFigures, org: Organisation) -> str:
    """Returns what each member is told privately when the cell signs a pact."""
    campaign = figures.campaign
    lines = [
        t.gettext(
            "🤝 <b>{cell}</b> has signed an emulation pact: <b>{title}</b> ({period}).",
            cell=escape(org.name),
            title=campaign_title(t, campaign),
            period=period_text(t, campaign),
        ),
        t.gettext("Targets:"),
    ]
    lines.extend(
        f"{n}) {escape(target.text)} — "
        + t.gettext("plan: {plan}", plan=amount_text(t, target.plan, target.unit))
        for n, target in enumerate(figures.targets, start=1)
    )
    lines.append(
        t.gettext(
            "It is the whole cell's pact: comrades need not register anything for it. The "
            "committee records its progress; send /camket to follow it."
        )
    )
    return "\n".join(lines)


def view_button(t: Translator, campaign: Campaign) -> Button:
    """Returns the button of the notice that opens the pact's card."""
    return Button(t.gettext("🤝 See the pact"), data=choice("gp", campaign.id or 0))


def summary_lines(t: Translator, found: list[PactFigures]) -> list[str]:
    """Returns the pacts as the group may see them: per target the figures, never names."""
    lines: list[str] = []
    for figures in found:
        lines.append(
            t.gettext(
                "🤝 {title}: {n}/{total} targets met",
                title=campaign_title(t, figures.campaign),
                n=t.number(figures.reached),
                total=t.number(len(figures.targets)),
            )
        )
        lines.extend(
            f"• {escape(target.text)}: {progress_text(t, target)}" for target in figures.targets
        )
    return lines


def report_lines(t: Translator, found: list[PactFigures]) -> list[str]:
    """Returns the pacts of a period as the report lists them, plan against achieved, as
    plain text (the report escapes its lines where it needs to)."""
    lines: list[str] = []
    for figures in found:
        campaign = figures.campaign
        state = (
            t.gettext("closed") if campaign.status == CampaignStatus.CLOSED else t.gettext("open")
        )
        lines.append(
            f"{campaign_title(t, campaign)} ({period_text(t, campaign)}, {state}): "
            + t.gettext(
                "{n}/{total} targets met",
                n=t.number(figures.reached),
                total=t.number(len(figures.targets)),
            )
        )
        for target in figures.targets:
            achieved = (
                amount_text(t, target.achieved, target.unit)
                if target.achieved is not None
                else t.gettext("not recorded")
            )
            share = pacts.percent(target)
            line = "  - " + t.gettext(
                "{target}: plan {plan}, achieved {achieved}",
                target=escape(target.text),
                plan=amount_text(t, target.plan, target.unit),
                achieved=achieved,
            )
            if share is not None:
                line += f" ({t.number(share)}%)"
            lines.append(line)
    return [plain_label(line) for line in lines]

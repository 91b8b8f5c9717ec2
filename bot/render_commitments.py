"""Commitments → localized cards laid out like the document, item lists, progress, notices.

Every label follows domain.md §2 (the headings of a bản cam kết, the rating levels of
Quy định 366, the emulation titles); every string a person typed is escaped here.
"""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.models import Member, Organisation
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignKind,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    EmulationTitle,
    RatingLevel,
    SectionKind,
)
from bot.services.campaigns import Progress, Section
from bot.text import escape
from bot.ui import Button, Keyboard, choice

SECTION_LABELS = {
    "politics": N_("On political ideology"),
    "ethics": N_("On ethics and lifestyle"),
    "style": N_("On work style and manner"),
    "discipline": N_("On organisational discipline"),
    "duties": N_("On carrying out the duties and tasks assigned"),
    "follow": N_("Following Hồ Chí Minh's thought, ethics and style"),
    "goal": N_("Rating goal and emulation title"),
    "emulation": N_("Emulation tasks registered"),
    "targets": N_("Targets of the emulation pact"),
}

KIND_LABELS = {
    CampaignKind.PLEDGE: N_("Commitment to self-cultivation, training and striving"),
    CampaignKind.FOLLOW: N_("Registration to study and follow Uncle Hồ"),
    CampaignKind.EMULATION: N_("Emulation movement"),
    CampaignKind.PACT: N_("Emulation pact"),
}

RATING_LABELS = {
    RatingLevel.EXCELLENT: N_("Excellent completion of duties"),
    RatingLevel.GOOD: N_("Good completion of duties"),
    RatingLevel.DONE: N_("Completion of duties"),
    RatingLevel.FAIL: N_("Failure to complete duties"),
}
# The levels a member may aim for (nobody aims to fail).
GOAL_LEVELS = (RatingLevel.EXCELLENT, RatingLevel.GOOD, RatingLevel.DONE)

TITLE_LABELS = {
    EmulationTitle.ADVANCED_WORKER: N_("Advanced worker"),
    EmulationTitle.GRASSROOTS_SOLDIER: N_("Grassroots emulation fighter"),
}

STATUS_LABELS = {
    CommitmentStatus.DRAFT: N_("being written (draft)"),
    CommitmentStatus.SUBMITTED: N_("submitted, awaiting the committee's review"),
    CommitmentStatus.APPROVED: N_("approved"),
    CommitmentStatus.RETURNED: N_("returned by the committee for changes"),
    CommitmentStatus.SUPERSEDED: N_("replaced by a newer approved version"),
}

CADENCE_LABELS = {
    Cadence.MONTHLY: N_("Monthly"),
    Cadence.QUARTERLY: N_("Quarterly"),
    Cadence.NONE: N_("No check-ins"),
}


# --- labels --------------------------------------------------------------------------------------


def section_label(t: Translator, section: Section) -> str:
    """Returns a section's heading: the one the committee typed, else the default, localized."""
    if section.title:
        return escape(section.title)
    label = SECTION_LABELS.get(section.key)
    return t.gettext(label) if label else escape(section.key)


def numbered_label(t: Translator, sections: list[Section], section: Section) -> str:
    """Returns "5. Về thực hiện chức trách, nhiệm vụ được giao"."""
    number = next(i for i, s in enumerate(sections, start=1) if s.key == section.key)
    return f"{number}. {section_label(t, section)}"


def kind_label(t: Translator, kind: CampaignKind) -> str:
    """Returns the localized name of a campaign kind."""
    return t.gettext(KIND_LABELS[kind])


def rating_label(t: Translator, level: RatingLevel) -> str:
    """Returns the localized name of a rating level (domain.md §2.5)."""
    return t.gettext(RATING_LABELS[level])


def title_label(t: Translator, title: EmulationTitle | None) -> str:
    """Returns the localized name of an emulation title, or "not registered"."""
    if title is None:
        return t.gettext("Not registering for a title")
    return t.gettext(TITLE_LABELS[title])


def status_label(t: Translator, status: CommitmentStatus) -> str:
    """Returns where a commitment stands, localized."""
    return t.gettext(STATUS_LABELS[status])


def cadence_label(t: Translator, cadence: Cadence) -> str:
    """Returns how often check-ins come, localized."""
    return t.gettext(CADENCE_LABELS[cadence])


def campaign_title(t: Translator, campaign: Campaign) -> str:
    """Returns the document's title: "Bản cam kết tu dưỡng, rèn luyện, phấn đấu năm 2027"."""
    year = str(campaign.year)  # never "2.027"
    if campaign.kind == CampaignKind.PLEDGE:
        return t.gettext(
            "Commitment to self-cultivation, training and striving for {year}", year=year
        )
    if campaign.kind == CampaignKind.FOLLOW:
        return t.gettext("Registration to study and follow Uncle Hồ for {year}", year=year)
    if campaign.kind == CampaignKind.EMULATION:
        return t.gettext("Emulation registration: {theme}", theme=escape(campaign.title))
    if campaign.title:
        return escape(campaign.title)  # the pact's own title, as the cell signed it
    return t.gettext("Emulation pact for {year}", year=year)


def campaign_short(t: Translator, campaign: Campaign) -> str:
    """Returns the name used inside a sentence: "bản cam kết năm 2027"."""
    year = str(campaign.year)
    if campaign.kind == CampaignKind.PLEDGE:
        return t.gettext("the commitment for {year}", year=year)
    if campaign.kind == CampaignKind.FOLLOW:
        return t.gettext("the registration to follow Uncle Hồ for {year}", year=year)
    if campaign.kind == CampaignKind.EMULATION:
        return t.gettext("the emulation movement “{theme}”", theme=escape(campaign.title))
    if campaign.title:
        return t.gettext("the emulation pact “{title}”", title=escape(campaign.title))
    return t.gettext("the emulation pact for {year}", year=year)


def button_label(text: str, limit: int = 72) -> str:
    """Cuts a button's label to fit a phone's width (buttons carry no markup)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain_label(text: str) -> str:
    """Returns an HTML label as a button shows it (buttons carry no markup, so a typed
    section title or theme is unescaped again)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# --- the card ------------------------------------------------------------------------------------


def target_text(t: Translator, item: CommitmentItem) -> str:
    """Returns "12 buổi", "100%", "3,5 triệu đồng"."""
    assert item.target is not None
    number = t.number(item.target)
    if not item.unit:
        return number
    if item.unit.startswith("%"):
        return escape(f"{number}{item.unit}")
    return escape(f"{number} {item.unit}")


def item_line(t: Translator, number: int, item: CommitmentItem) -> str:
    """Returns one item with its target and deadline, e.g. "1) … (chỉ tiêu: 12 buổi; hạn …)"."""
    details = []
    if item.target is not None:
        details.append(t.gettext("target: {target}", target=target_text(t, item)))
    if item.deadline is not None:
        details.append(t.gettext("due {day}", day=t.date_text(item.deadline)))
    line = f"{number}) {escape(item.text)}"
    if details:
        line += f" ({'; '.join(details)})"
    return line


def section_body(
    t: Translator, section: Section, commitment: Commitment | None, items: list[CommitmentItem]
) -> list[str]:
    """Returns the lines under a section's heading ("— chưa viết" when empty)."""
    empty = [t.gettext("— not written yet")]
    if commitment is None:
        return empty
    if section.kind == SectionKind.TEXT:
        text = commitment.answers.get(section.key)
        return [escape(text)] if text else empty
    if section.kind == SectionKind.ITEMS:
        own = [i for i in items if i.section_key == section.key]
        return [item_line(t, n, item) for n, item in enumerate(own, start=1)] or empty
    if commitment.rating_goal is None:
        return empty
    return [
        t.gettext("Striving for: {level}", level=rating_label(t, commitment.rating_goal)),
        t.gettext("Emulation title: {title}", title=title_label(t, commitment.title_goal)),
    ]


def commitment_text(
    t: Translator,
    *,
    campaign: Campaign,
    sections: list[Section],
    org: Organisation,
    member: Member,
    commitment: Commitment | None,
    items: list[CommitmentItem],
    in_force: Commitment | None = None,
) -> str:
    """Returns a commitment laid out like the document: title, cell and name, deadline and
    status, then each section numbered with its text, items or goal."""
    lines = [
        f"📜 <b>{campaign_title(t, campaign)}</b>",
        t.gettext("{cell} · comrade {name}", cell=escape(org.name), name=escape(member.full_name)),
    ]
    status = (
        status_label(t, commitment.status)
        if commitment is not None
        else t.gettext("not started yet")
    )
    if commitment is not None and commitment.late and commitment.submitted_at is not None:
        status += " " + t.gettext("(submitted late)")
    lines.append(
        t.gettext(
            "Deadline: {day} · Status: {status}", day=t.date_text(campaign.deadline), status=status
        )
    )
    if commitment is not None and commitment.status == CommitmentStatus.RETURNED:
        lines.append(
            t.gettext(
                "↩️ The committee's comment: {comment}", comment=escape(commitment.review_comment)
            )
        )
    if in_force is not None and commitment is not None and in_force.id != commitment.id:
        lines.append(
            t.gettext(
                "The approved version {n} stays in force until this one is approved.",
                n=in_force.version,
            )
        )
    for number, section in enumerate(sections, start=1):
        lines.append("")
        lines.append(f"<b>{number}. {section_label(t, section)}</b>")
        lines.extend(section_body(t, section, commitment, items))
    return "\n".join(lines)


def card_keyboard(
    t: Translator,
    *,
    campaign: Campaign,
    sections: list[Section],
    commitment: Commitment | None,
    missing: list[Section],
) -> Keyboard:
    """Returns the member's buttons: go on writing or submit, edit each section, or (approved)
    start a new version."""
    campaign_id = campaign.id or 0
    status = commitment.status if commitment is not None else CommitmentStatus.DRAFT
    if status == CommitmentStatus.SUBMITTED:
        return []
    if status == CommitmentStatus.APPROVED:
        return [
            [Button(t.gettext("✏️ Edit (makes a new version)"), data=choice("ke", campaign_id))]
        ]
    keyboard: Keyboard = []
    if missing:
        label = t.gettext(
            "▶️ Continue: {section}", section=plain_label(numbered_label(t, sections, missing[0]))
        )
        keyboard.append(
            [Button(button_label(label), data=choice("ks", campaign_id, missing[0].key))]
        )
    else:
        keyboard.append(
            [Button(t.gettext("📤 Submit for approval"), data=choice("ku", campaign_id))]
        )
    for section in sections:
        label = "✏️ " + plain_label(numbered_label(t, sections, section))
        keyboard.append([Button(button_label(label), data=choice("ks", campaign_id, section.key))])
    return keyboard


def committee_buttons(t: Translator, campaigns: list[Campaign], *, can_open: bool) -> Keyboard:
    """Returns the committee's buttons: progress of each open campaign (a pact has its own
    card, bot.render_pacts), and open a new one."""
    campaigns = [c for c in campaigns if c.kind != CampaignKind.PACT]
    keyboard: Keyboard = []
    for campaign in campaigns:
        label = (
            t.gettext("📋 Progress")
            if len(campaigns) == 1
            else t.gettext("📋 Progress: {name}", name=plain_label(campaign_short(t, campaign)))
        )
        keyboard.append([Button(button_label(label), data=choice("kp", campaign.id or 0))])
    if can_open:
        keyboard.append([Button(t.gettext("➕ Open a registration"), data=choice("ko"))])
    return keyboard


# --- items ---------------------------------------------------------------------------------------


def items_text(
    t: Translator, sections: list[Section], section: Section, items: list[CommitmentItem]
) -> str:
    """Returns an items section with its items numbered as the delete buttons name them."""
    lines = [f"<b>{numbered_label(t, sections, section)}</b>"]
    lines.append(
        t.gettext("Concrete, checkable tasks, each with a target and a deadline if it has them.")
    )
    if items:
        lines.extend(item_line(t, n, item) for n, item in enumerate(items, start=1))
    else:
        lines.append(t.gettext("No tasks yet."))
    return "\n".join(lines)


def items_keyboard(
    t: Translator, campaign: Campaign, section: Section, items: list[CommitmentItem]
) -> Keyboard:
    """Returns "➕ Add a task", one delete button per item, and "✅ Done"."""
    campaign_id = campaign.id or 0
    keyboard: Keyboard = [
        [Button(t.gettext("➕ Add a task"), data=choice("ka", campaign_id, section.key))]
    ]
    row: list[Button] = []
    for number, item in enumerate(items, start=1):
        row.append(Button(t.gettext("🗑 Delete {n}", n=number), data=choice("kd", item.id or 0)))
        if len(row) == 3:
            keyboard.append(row)
            row = []
    if row:
        keyboard.append(row)
    keyboard.append([Button(t.gettext("✅ Done"), data=choice("kx", campaign_id))])
    return keyboard


# --- review and progress -------------------------------------------------------------------------


def review_keyboard(t: Translator, commitment: Commitment, *, others: bool) -> Keyboard:
    """Returns the reviewer's buttons: approve, return with a comment, another one."""
    commitment_id = commitment.id or 0
    keyboard: Keyboard = [
        [
            Button(t.gettext("✅ Approve"), data=choice("kv", commitment_id)),
            Button(t.gettext("↩️ Return"), data=choice("kr", commitment_id)),
        ]
    ]
    if others:
        keyboard.append([Button(t.gettext("⏭ Another one"), data=choice("kn", commitment_id))])
    return keyboard


_PROGRESS_STATES: tuple[tuple[CommitmentStatus | None, str], ...] = (
    (CommitmentStatus.APPROVED, N_("✅ Approved ({n}):")),
    (CommitmentStatus.SUBMITTED, N_("📨 Awaiting review ({n}):")),
    (CommitmentStatus.RETURNED, N_("↩️ Returned for changes ({n}):")),
    (CommitmentStatus.DRAFT, N_("✏️ Writing, not submitted ({n}):")),
    (None, N_("⏳ Not started ({n}):")),
)


def progress_text(t: Translator, campaign: Campaign, org: Organisation, progress: Progress) -> str:
    """Returns, for the committee only, where registration stands, with names per state."""
    expected = len(progress.expected)
    lines = [
        t.gettext("📋 <b>Registration progress</b> — {title}", title=campaign_title(t, campaign)),
        t.gettext(
            "{cell} · deadline {day}", cell=escape(org.name), day=t.date_text(campaign.deadline)
        ),
        t.gettext(
            "Expected: {expected} · submitted: {submitted} ({percent}%)",
            expected=t.number(expected),
            submitted=t.number(progress.registered),
            percent=t.number(round(100 * progress.registered / expected) if expected else 0),
        ),
    ]
    for state, heading in _PROGRESS_STATES:
        names = [
            escape(m.full_name)
            for m in progress.expected
            if progress.by_member.get(m.id or 0) == state
        ]
        lines.append(t.gettext(heading, n=t.number(len(names))))
        if names:
            lines.append("  " + ", ".join(names))
    return "\n".join(lines)


def aggregate_text(t: Translator, campaign: Campaign, progress: Progress) -> str:
    """Returns the figure the group may see: how many registered, never who."""
    return t.gettext(
        "{n}/{total} comrades have registered {what}.",
        n=t.number(progress.registered),
        total=t.number(len(progress.expected)),
        what=campaign_short(t, campaign),
    )

"""Commitments: /camket (my card, writing section by section, submitting; the figures in the
group), the committee's progress, export and opening a registration (/duyet is in
bot.actions.commitment_reviews, the cell's pact in bot.actions.pacts)."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form, outcome_reply
from bot.actions.pacts import group_lines, pact_rows, show_pact
from bot.actions.registry import ActionRegistry, word
from bot.actions.roster import private_only
from bot.flows.commitment_screens import (
    card_screen,
    checkin_lines,
    items_screen,
    org_of,
    tell,
)
from bot.models import COMMITTEE_ROLES, Member, Organisation
from bot.models.commitments import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    SectionKind,
)
from bot.render_checkins import group_round_line
from bot.render_commitment_notices import submitted_notice
from bot.render_commitments import (
    aggregate_text,
    button_label,
    campaign_short,
    campaign_title,
    committee_buttons,
    numbered_label,
    plain_label,
    progress_text,
)
from bot.render_reviews import period_label, review_counts_lines
from bot.services import (
    campaigns,
    checkins,
    commitments,
    members,
    registers,
    self_reviews,
)
from bot.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.text import escape
from bot.ui import Button, FileOut, Keyboard, Screen, choice

# --- /camket -------------------------------------------------------------------------------------


def my_commitments(turn: Turn) -> Reply:
    """Shows my commitment as a card (or which one, when several registrations are open); in
    the group, only how many have registered."""
    if turn.in_group:
        return _group_figures(turn)
    cells = members.memberships(session=turn.session, person=turn.person)
    if not cells:
        raise NotAllowed("not_in_cell")
    found: list[tuple[Campaign, Member, Organisation]] = [
        (campaign, member, org)
        for member, org in cells
        for campaign in campaigns.open_campaigns(session=turn.session, org_id=org.id or 0)
        if campaign.kind != CampaignKind.PACT  # the cell's pact: nobody registers for it
    ]
    committee = any(member.role in COMMITTEE_ROLES for member, _ in cells)
    watched = [c for c, member, _ in found if member.role in COMMITTEE_ROLES] + [
        c
        for member, org in cells
        if member.role in COMMITTEE_ROLES
        for c in campaigns.recently_closed(session=turn.session, org_id=org.id or 0, now=turn.now)
        if c.kind != CampaignKind.PACT
    ]
    pact_keyboard = pact_rows(turn, cells)
    extra = pact_keyboard + (
        committee_buttons(turn.t, watched, can_open=True) if committee else []
    )
    mine = [(c, m, o) for c, m, o in found if campaigns.expected(m)]
    drafts = self_reviews.drafts_of(session=turn.session, person=turn.person)
    waiting: Keyboard = []
    if drafts:
        waiting = [
            [
                Button(
                    button_label(
                        turn.t.gettext(
                            "📝 Self-review: {period}, {what}",
                            period=period_label(turn.t, review.period),
                            what=plain_label(campaign_short(turn.t, campaign)),
                        )
                    ),
                    data=choice("kk", campaign.id or 0, review.period.value),
                )
            ]
            for review, campaign in drafts
        ]
        if not mine:
            text = turn.t.gettext("Comrade, a self-review is waiting for you.")
            return Reply(screens=[Screen(text, waiting + extra)])
    extra = waiting + extra
    if len(mine) == 1:
        card = card_screen(turn.session, turn.t, mine[0][0], turn.person)
        return Reply(screens=[Screen(card.text, waiting + card.keyboard + pact_keyboard)])
    if mine:
        several_cells = len({o.id for _, _, o in mine}) > 1
        keyboard: Keyboard = []
        for campaign, _, org in mine:
            label = "📝 " + plain_label(campaign_title(turn.t, campaign))
            if several_cells:
                label += f" — {org.name}"
            keyboard.append([Button(button_label(label), data=choice("kc", campaign.id or 0))])
        text = turn.t.gettext("Several registrations are open. Which one?")
        return Reply(screens=[Screen(text, keyboard + extra)])
    if found:
        text = turn.t.gettext(
            "Comrade, you are not expected to register: commitments are written by full and "
            "probationary members, not by members exempt from activities or attached to another "
            "cell."
        )
    else:
        text = turn.t.gettext("No registration is open in your cell right now.")
        if pact_keyboard:
            text += " " + turn.t.gettext("Tap 🤝 to follow the cell's emulation pact.")
        if committee:
            text += " " + turn.t.gettext("Tap “➕ Open a registration” to open one.")
    return Reply(screens=[Screen(text, extra)])


def _group_figures(turn: Turn) -> Reply:
    """The group sees how many have registered, never who."""
    org = turn.group_org
    if org is None or org.id is None:
        return Reply()
    found = [
        c
        for c in campaigns.open_campaigns(session=turn.session, org_id=org.id)
        if c.kind != CampaignKind.PACT
    ]
    lines = group_lines(turn, org)
    if not found and not lines:
        return Reply(screens=[Screen(turn.t.gettext("No registration is open in the cell."))])
    for c in found:
        lines.append(
            "📊 " + aggregate_text(turn.t, c, campaigns.progress(session=turn.session, campaign=c))
        )
        last = checkins.latest_round(session=turn.session, campaign_id=c.id or 0)
        if last is not None:
            figures = checkins.round_figures(session=turn.session, round_=last)
            lines.append(group_round_line(turn.t, c, figures))
    if found:
        lines.append(
            turn.t.gettext(
                "Each comrade writes and submits privately: send /camket to me directly."
            )
        )
    return Reply(screens=[Screen("\n".join(lines))])


def show_card(turn: Turn, campaign_id: int) -> Reply:
    """Shows my commitment in one campaign (from the picker or the opening notice)."""
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    return Reply(screens=[card_screen(turn.session, turn.t, campaign, turn.person)])


# --- writing -------------------------------------------------------------------------------------


def _draft(turn: Turn, campaign: Campaign) -> Commitment:
    """Returns the version being written; an approved one is changed only through "Edit"."""
    member = members.membership_in(
        session=turn.session, person=turn.person, org_id=campaign.org_id
    )
    if member is not None and member.id is not None and campaign.id is not None:
        now = commitments.current(
            session=turn.session, campaign_id=campaign.id, member_id=member.id
        )
        if now is not None and now.status == CommitmentStatus.APPROVED:
            raise Conflict("commitment_not_editable")
    return commitments.draft_for(
        session=turn.session, campaign_id=campaign.id or 0, person=turn.person, now=turn.now
    )


def write_section(turn: Turn, campaign_id: int, key: str) -> Reply:
    """Opens a section: a text to type, a list of tasks, or the goal."""
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    section = campaigns.section_of(campaign, key)
    commitment = _draft(turn, campaign)
    params = {"campaign_id": campaign.id, "commitment_id": commitment.id, "section": key}
    if section.kind == SectionKind.TEXT:
        return outcome_reply(open_form(turn, "commitment_text", **params))
    if section.kind == SectionKind.GOAL:
        return outcome_reply(open_form(turn, "commitment_goal", **params))
    return Reply(screens=[items_screen(turn.session, turn.t, campaign, commitment, section)])


def add_item(turn: Turn, campaign_id: int, key: str) -> Reply:
    """Opens the form that adds a task: text, target, deadline."""
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    commitment = _draft(turn, campaign)
    return outcome_reply(
        open_form(
            turn,
            "commitment_item",
            campaign_id=campaign.id,
            commitment_id=commitment.id,
            section=key,
        )
    )


def delete_item(turn: Turn, item_id: int) -> Reply:
    """Deletes one task and shows the list again."""
    private_only(turn)
    item = turn.session.get(CommitmentItem, item_id)
    if item is None:
        raise NotFound("item_not_found")
    commitment, campaign = commitments.writable(
        session=turn.session, commitment_id=item.commitment_id, person=turn.person
    )
    section = campaigns.section_of(campaign, item.section_key)
    text = item.text
    commitments.remove_item(
        session=turn.session, item_id=item_id, person=turn.person, now=turn.now
    )
    note = turn.t.gettext("🗑 Deleted: {task}", task=escape(text))
    return Reply(edit=items_screen(turn.session, turn.t, campaign, commitment, section, note))


def items_done(turn: Turn, campaign_id: int) -> Reply:
    """Goes back from a list of tasks to the card."""
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    return Reply(edit=card_screen(turn.session, turn.t, campaign, turn.person))


def submit(turn: Turn, campaign_id: int) -> Reply:
    """Submits my commitment for approval and tells the committee privately."""
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    commitment = _draft(turn, campaign)
    try:
        commitment, campaign = commitments.submit(
            session=turn.session,
            commitment_id=commitment.id or 0,
            person=turn.person,
            now=turn.now,
        )
    except InvalidInput as exc:
        if exc.code != "sections_missing":
            raise
        sections = campaigns.sections_of(campaign)
        keys = exc.params.get("sections")
        wanted = {str(k) for k in keys} if isinstance(keys, list) else set()
        missing = [s for s in sections if s.key in wanted]
        names = "; ".join(numbered_label(turn.t, sections, s) for s in missing)
        raise InvalidInput("sections_missing", sections=names) from exc
    org = org_of(turn.session, campaign)
    member = turn.session.get(Member, commitment.member_id)
    assert member is not None
    stamp = f"{turn.now.timestamp() * 1_000_000:.0f}"  # one notice per submission
    for _, person in members.committee_people(session=turn.session, org_id=org.id or 0):
        if person.id == turn.person.id:
            continue
        tell(
            turn.session,
            person=person,
            org=org,
            build=lambda t: Screen(submitted_notice(t, campaign, member, commitment)),
            key=f"commitment:{commitment.id}:submitted:{stamp}:{person.id}",
            now=turn.now,
        )
    note = turn.t.gettext("📤 Submitted to the cell committee for approval.")
    if commitment.late:
        note += "\n" + turn.t.gettext(
            "The deadline was {day}, so it is marked as submitted late.",
            day=turn.t.date_text(campaign.deadline),
        )
    return Reply(edit=card_screen(turn.session, turn.t, campaign, turn.person, note))


def edit_approved(turn: Turn, campaign_id: int) -> Reply:
    """Starts a new version from the approved one (which stays in force until then)."""
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    commitment = commitments.draft_for(
        session=turn.session, campaign_id=campaign.id or 0, person=turn.person, now=turn.now
    )
    note = turn.t.gettext(
        "✏️ Version {n} started from the approved one. Change what you need and submit it; "
        "the approved version stays in force until this one is approved.",
        n=commitment.version,
    )
    return Reply(edit=card_screen(turn.session, turn.t, campaign, turn.person, note))


# --- the committee -------------------------------------------------------------------------------


def open_registration(turn: Turn) -> Reply:
    """Opens the form that opens a registration (committee)."""
    private_only(turn)
    return outcome_reply(open_form(turn, "open_campaign"))


def progress(turn: Turn, campaign_id: int) -> Reply:
    """Shows the committee, privately, who has registered and who has not."""
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    if campaign.kind == CampaignKind.PACT:
        return show_pact(turn, campaign_id)  # nobody registers for the cell's pact
    members.require_committee(session=turn.session, person=turn.person, org_id=campaign.org_id)
    org = org_of(turn.session, campaign)
    figures = campaigns.progress(session=turn.session, campaign=campaign)
    text = progress_text(turn.t, campaign, org, figures)
    lines = checkin_lines(turn.session, turn.t, campaign, org, turn.now)
    counts = self_reviews.review_counts(session=turn.session, campaign_id=campaign_id)
    lines.extend(review_counts_lines(turn.t, counts))
    t = turn.t
    keyboard = [
        [Button(t.gettext("📄 Export the register"), data=choice("kq", campaign_id))],
        [Button(t.gettext("🏅 Commend a comrade"), data=choice("kb", campaign_id))],
    ]
    if campaign.status == CampaignStatus.OPEN:
        keyboard.insert(
            1,
            [
                Button(t.gettext("🏁 Mid-year review"), data=choice("kt", campaign_id, "mid")),
                Button(t.gettext("🏁 Year-end review"), data=choice("kt", campaign_id, "year")),
            ],
        )
    return Reply(screens=[Screen("\n".join([text, *lines]), keyboard)])


def export_register(turn: Turn, campaign_id: int) -> Reply:
    """Sends the committee the campaign's register as XLSX and DOCX (where the channel takes
    files; on Zalo, says how to get them)."""
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    members.require_committee(session=turn.session, person=turn.person, org_id=campaign.org_id)
    if not turn.channel.file_upload:
        text = turn.t.gettext(
            "Zalo cannot carry files from me. Open /camket on Telegram for the register, or ask "
            "the operator: chibot report commitments “{cell}” --year {year}",
            cell=escape(org_of(turn.session, campaign).name),
            year=str(campaign.year),
        )
        return Reply(screens=[Screen(text)])
    from bot.reports.commitments_docx import register_docx  # loaded only when asked for
    from bot.reports.commitments_xlsx import register_xlsx

    register = registers.register_of(session=turn.session, campaign=campaign)
    today = campaigns.local_today(register.org, turn.now)
    name = f"{campaign.kind.value}-{campaign.year}-{campaign.id}"
    caption = turn.t.gettext(
        "{title}: {count} members",
        title=campaign_title(turn.t, campaign),
        count=len(register.records),
    )
    files = [
        FileOut(f"{name}.xlsx", content=register_xlsx(turn.t, register), caption=caption),
        FileOut(f"{name}.docx", content=register_docx(turn.t, register, today), caption=caption),
    ]
    return Reply(files=files)


def register(actions: ActionRegistry) -> None:
    """Adds this module's commands and choices."""
    actions.command(["camket", "commitments", "pledge"], my_commitments)
    actions.choice("kc", show_card, int)
    actions.choice("ks", write_section, int, word)
    actions.choice("ka", add_item, int, word)
    actions.choice("kd", delete_item, int)
    actions.choice("kx", items_done, int)
    actions.choice("ku", submit, int)
    actions.choice("ke", edit_approved, int)
    actions.choice("ko", open_registration)
    actions.choice("kp", progress, int)
    actions.choice("kq", export_register, int)

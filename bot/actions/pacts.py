"""The cell's giao ước thi đua: its card (any member of the cell), recording a target's
progress and closing it (the committee), and the pact buttons /camket lists."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form, outcome_reply
from bot.actions.registry import ActionRegistry
from bot.actions.roster import private_only
from bot.flows.commitment_screens import org_of
from bot.models import COMMITTEE_ROLES, Member, Organisation
from bot.models.commitments import Campaign
from bot.render_pacts import close_question, pact_buttons, pact_screen, summary_lines
from bot.services import members, pacts
from bot.ui import Keyboard


def _figures(turn: Turn, campaign: Campaign) -> pacts.PactFigures:
    return pacts.PactFigures(
        campaign=campaign,
        targets=pacts.targets_of(session=turn.session, campaign_id=campaign.id or 0),
    )


def _is_committee(turn: Turn, campaign: Campaign) -> bool:
    member = members.membership_in(
        session=turn.session, person=turn.person, org_id=campaign.org_id
    )
    return member is not None and member.role in COMMITTEE_ROLES


def show_pact(turn: Turn, campaign_id: int) -> Reply:
    """Shows a pact's card: each target "đạt x/y (z%)"; the committee's ✏️ while it is open."""
    private_only(turn)
    campaign = pacts.readable(session=turn.session, campaign_id=campaign_id, person=turn.person)
    screen = pact_screen(
        turn.t,
        _figures(turn, campaign),
        org_of(turn.session, campaign),
        committee=_is_committee(turn, campaign),
    )
    return Reply(screens=[screen])


def record_progress(turn: Turn, target_id: int) -> Reply:
    """Opens the two-question form recording what a target has achieved (committee)."""
    private_only(turn)
    pacts.editable_target(session=turn.session, target_id=target_id, person=turn.person)
    return outcome_reply(open_form(turn, "pact_progress", target_id=target_id))


def ask_close(turn: Turn, campaign_id: int) -> Reply:
    """Asks before closing a pact, showing the figures it will keep."""
    private_only(turn)
    campaign = pacts.committee_pact(
        session=turn.session, campaign_id=campaign_id, person=turn.person
    )
    org = org_of(turn.session, campaign)
    return Reply(edit=close_question(turn.t, _figures(turn, campaign), org))


def close(turn: Turn, campaign_id: int) -> Reply:
    """Closes a pact at sơ kết / tổng kết; its final figures stay in /camket."""
    private_only(turn)
    campaign = pacts.close_pact(
        session=turn.session, campaign_id=campaign_id, actor=turn.person, now=turn.now
    )
    note = turn.t.gettext(
        "🏁 The pact is closed. Its final figures stay in /camket and in the period report."
    )
    screen = pact_screen(
        turn.t, _figures(turn, campaign), org_of(turn.session, campaign), committee=True, note=note
    )
    return Reply(edit=screen)


def pact_rows(turn: Turn, cells: list[tuple[Member, Organisation]]) -> Keyboard:
    """Returns /camket's buttons for the pacts of the person's cells (open, then closed)."""
    org_ids = [org.id for _, org in cells if org.id is not None]
    found = pacts.visible_pacts(session=turn.session, org_ids=org_ids, now=turn.now)
    return pact_buttons(turn.t, found)


def group_lines(turn: Turn, org: Organisation) -> list[str]:
    """Returns the open pacts' figures for the group (per target, never names)."""
    return summary_lines(turn.t, pacts.open_pacts(session=turn.session, org_id=org.id or 0))


def register(actions: ActionRegistry) -> None:
    """Adds this module's choices."""
    actions.choice("gp", show_pact, int)
    actions.choice("ge", record_progress, int)
    actions.choice("gc", ask_close, int)
    actions.choice("gz", close, int)

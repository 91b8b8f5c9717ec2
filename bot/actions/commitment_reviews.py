"""/duyet: the committee reviews submitted commitments one at a time, approves them or returns
them with a comment, and each member is told either way."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form, outcome_reply
from bot.actions.registry import ActionRegistry
from bot.actions.roster import private_only
from bot.flows.commitment_screens import org_of, review_screen, tell, waiting_line
from bot.models import Member, Person
from bot.models.commitments import Commitment
from bot.render_commitment_notices import approved_notice
from bot.render_commitments import committee_buttons
from bot.services import campaigns, members, reviews
from bot.services.errors import NotAllowed
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice


def _waiting(turn: Turn) -> list[Commitment]:
    cells = members.committee_cells(session=turn.session, person=turn.person)
    if not cells:
        raise NotAllowed("committee_only")
    found = [
        c
        for _, org in cells
        for c in reviews.awaiting_review(session=turn.session, org_id=org.id or 0)
    ]
    return sorted(found, key=lambda c: (c.submitted_at or turn.now, c.id or 0))


def review(turn: Turn) -> Reply:
    """Shows the committee the oldest submitted commitment, with approve / return / another."""
    private_only(turn)
    waiting = _waiting(turn)
    if waiting:
        return Reply(
            screens=[review_screen(turn.session, turn.t, waiting[0], waiting=len(waiting))]
        )
    cells = members.committee_cells(session=turn.session, person=turn.person)
    watched = [
        c
        for _, org in cells
        for c in campaigns.open_campaigns(session=turn.session, org_id=org.id or 0)
    ]
    text = turn.t.gettext("No commitment is waiting for review.")
    return Reply(screens=[Screen(text, committee_buttons(turn.t, watched, can_open=False))])


def review_next(turn: Turn, commitment_id: int) -> Reply:
    """Shows another submitted commitment than this one."""
    private_only(turn)
    waiting = _waiting(turn)
    ids = [c.id for c in waiting]
    if commitment_id in ids and len(waiting) > 1:
        following = waiting[(ids.index(commitment_id) + 1) % len(waiting)]
    elif commitment_id not in ids and waiting:
        following = waiting[0]
    else:
        return Reply(toast=turn.t.gettext("No other commitment is waiting for review."))
    return Reply(edit=review_screen(turn.session, turn.t, following, waiting=len(waiting)))


def approve(turn: Turn, commitment_id: int) -> Reply:
    """Approves a submitted commitment and tells its member."""
    private_only(turn)
    commitment, campaign = reviews.approve(
        session=turn.session, commitment_id=commitment_id, actor=turn.person, now=turn.now
    )
    org = org_of(turn.session, campaign)
    member = turn.session.get(Member, commitment.member_id)
    assert member is not None
    owner = turn.session.get(Person, member.person_id) if member.person_id else None
    if owner is not None:
        tell(
            turn.session,
            person=owner,
            org=org,
            build=lambda t: Screen(approved_notice(t, campaign)),
            key=f"commitment:{commitment.id}:approved",
            now=turn.now,
        )
    text = turn.t.gettext(
        "✅ Approved: the commitment of comrade {name}; they have been told.",
        name=escape(member.full_name),
    )
    left = [c for c in _waiting(turn) if c.id != commitment_id]
    keyboard: Keyboard = []
    if left:
        keyboard = [[Button(turn.t.gettext("▶️ Next one"), data=choice("kn", commitment_id))]]
    return Reply(edit=Screen(f"{text}\n{waiting_line(turn.session, turn.t, org)}", keyboard))


def return_for_changes(turn: Turn, commitment_id: int) -> Reply:
    """Opens the one-question form asking the comment of a returned commitment."""
    private_only(turn)
    return outcome_reply(open_form(turn, "commitment_return", commitment_id=commitment_id))


def register(actions: ActionRegistry) -> None:
    """Adds this module's command and choices."""
    actions.command(["duyet", "review"], review, committee=True)
    actions.choice("kv", approve, int)
    actions.choice("kr", return_for_changes, int)
    actions.choice("kn", review_next, int)

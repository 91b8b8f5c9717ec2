"""Sơ kết / tổng kết and commendations: the committee starts a review period from a campaign's
progress screen and commends members; each member writes, rates and submits their
self-review."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form, outcome_reply
from bot.actions.registry import ActionRegistry, word
from bot.actions.roster import private_only
from bot.flows.commitment_screens import org_of
from bot.models.commitments import Campaign, CampaignStatus, RatingLevel, ReviewPeriod
from bot.render_commitments import campaign_short, rating_label
from bot.render_reviews import period_label, period_notice, self_review_screen
from bot.services import campaigns, members, notices, outbox, self_reviews
from bot.services.errors import Conflict, InvalidInput
from bot.ui import Button, Screen, choice


def _committee_campaign(turn: Turn, campaign_id: int) -> Campaign:
    private_only(turn)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=campaign_id)
    members.require_committee(session=turn.session, person=turn.person, org_id=campaign.org_id)
    return campaign


def _period(value: str) -> ReviewPeriod:
    try:
        return ReviewPeriod(value)
    except ValueError as exc:
        raise InvalidInput("stale") from exc


def ask_period(turn: Turn, campaign_id: int, value: str) -> Reply:
    """Asks the committee to confirm starting a sơ kết or tổng kết (what it does, first)."""
    campaign = _committee_campaign(turn, campaign_id)
    period = _period(value)
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict("campaign_closed")
    t = turn.t
    lines = [
        t.gettext(
            "Start the {period} of {what}?",
            period=period_label(t, period),
            what=campaign_short(t, campaign),
        ),
        t.gettext(
            "Each comrade expected to register gets a self-review to write privately: their "
            "results from the check-ins, their own assessment and a proposed rating level."
        ),
    ]
    if period == ReviewPeriod.YEAR:
        lines.append(
            t.gettext(
                "The year-end review closes the registration: no more check-ins or reminders."
            )
        )
    keyboard = [
        [
            Button(
                t.gettext("✅ Start the {period}", period=period_label(t, period)),
                data=choice("kw", campaign_id, period.value),
            )
        ],
        [Button(t.gettext("◀️ Back"), data=choice("kp", campaign_id))],
    ]
    return Reply(edit=Screen("\n".join(lines), keyboard))


def start_period(turn: Turn, campaign_id: int, value: str) -> Reply:
    """Starts the period: drafts for every expected member, each told privately."""
    _committee_campaign(turn, campaign_id)
    period = _period(value)
    started = self_reviews.start_period(
        session=turn.session,
        campaign_id=campaign_id,
        period=period,
        actor=turn.person,
        now=turn.now,
    )
    campaign = started.campaign
    org = org_of(turn.session, campaign)
    created = {member.id for _, member in started.created}
    found = notices.recipients(session=turn.session, org_ids=[org.id or 0])[org.id or 0]
    rows = notices.fan_out_rows(
        org=org,
        people=[r for r in found if r.member_id in created],
        build=lambda t: period_notice(t, campaign, period),
        key=f"campaign:{campaign.id}:review:{period.value}",
        now=turn.now,
        include_group=False,
    )
    outbox.enqueue_many(session=turn.session, rows=rows)
    text = turn.t.gettext(
        "✅ The {period} has started: {n} comrades were asked for their self-review.",
        period=period_label(turn.t, period),
        n=turn.t.number(len(created)),
    )
    if started.already:
        text += " " + turn.t.gettext(
            "{n} already had one and were not asked again.", n=turn.t.number(started.already)
        )
    return Reply(edit=Screen(text))


def show_mine(turn: Turn, campaign_id: int, value: str) -> Reply:
    """Shows the member their self-review of a campaign's period (from the notice)."""
    private_only(turn)
    review = self_reviews.mine(
        session=turn.session, campaign_id=campaign_id, period=_period(value), person=turn.person
    )
    return Reply(screens=[_screen(turn, review.id or 0)])


def _screen(turn: Turn, review_id: int, note: str = "") -> Screen:
    review = self_reviews.own_review(session=turn.session, review_id=review_id, person=turn.person)
    campaign = campaigns.get_campaign(session=turn.session, campaign_id=review.campaign_id)
    items = self_reviews.results(session=turn.session, review=review)
    return self_review_screen(turn.t, campaign, review, items, note)


def write_text(turn: Turn, review_id: int) -> Reply:
    """Opens the one-question form for the self-assessment."""
    private_only(turn)
    return outcome_reply(open_form(turn, "self_review_text", review_id=review_id))


def choose_level(turn: Turn, review_id: int, value: str) -> Reply:
    """Keeps the rating level the member proposes."""
    private_only(turn)
    try:
        level = RatingLevel(value)
    except ValueError as exc:
        raise InvalidInput("stale") from exc
    self_reviews.set_level(
        session=turn.session, review_id=review_id, person=turn.person, level=level, now=turn.now
    )
    note = turn.t.gettext("✅ Proposed: {level}.", level=rating_label(turn.t, level))
    return Reply(edit=_screen(turn, review_id, note))


def submit(turn: Turn, review_id: int) -> Reply:
    """Submits the self-review (it needs the assessment and the level)."""
    private_only(turn)
    self_reviews.submit(
        session=turn.session, review_id=review_id, person=turn.person, now=turn.now
    )
    note = turn.t.gettext("📤 Submitted. Thank you, comrade.")
    return Reply(edit=_screen(turn, review_id, note))


def commend(turn: Turn, campaign_id: int) -> Reply:
    """Opens the commendation form (committee)."""
    _committee_campaign(turn, campaign_id)
    return outcome_reply(open_form(turn, "commend", campaign_id=campaign_id))


def register(actions: ActionRegistry) -> None:
    """Adds this module's choices."""
    actions.choice("kt", ask_period, int, word)
    actions.choice("kw", start_period, int, word)
    actions.choice("kk", show_mine, int, word)
    actions.choice("kj", write_text, int)
    actions.choice("kg", choose_level, int, word)
    actions.choice("km", submit, int)
    actions.choice("kb", commend, int)
    actions.again("camket", "kt", "kw", "kk", "kj", "kg", "km", "kb")

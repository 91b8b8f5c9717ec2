"""Commitments → the notices a registration sends: opened (with its button), submitted,
approved, returned."""

from __future__ import annotations

from bot.i18n import Translator
from bot.models import Member, Organisation
from bot.models.commitments import Campaign, CampaignKind, Commitment
from bot.render_commitments import campaign_short, campaign_title
from bot.text import escape
from bot.ui import Button, choice


def opened_notice(t: Translator, campaign: Campaign, org: Organisation) -> str:
    """Returns what each expected member receives when a campaign opens."""
    return t.gettext(
        "📝 <b>{cell}</b> has opened the registration: <b>{title}</b>. Deadline: {day}.\n"
        "Write it right here, one section at a time; every answer is saved at once, so you "
        "can stop and carry on whenever you like.",
        cell=escape(org.name),
        title=campaign_title(t, campaign),
        day=t.date_text(campaign.deadline),
    )


def write_button(t: Translator, campaign: Campaign) -> Button:
    """Returns the button of the opening notice and of a returned commitment."""
    if campaign.kind == CampaignKind.PLEDGE:
        label = t.gettext("📝 Write my commitment")
    else:
        label = t.gettext("📝 Register")
    return Button(label, data=choice("kc", campaign.id or 0))


def submitted_notice(
    t: Translator, campaign: Campaign, member: Member, commitment: Commitment
) -> str:
    """Returns what the committee receives when a member submits."""
    text = t.gettext(
        "📨 Comrade {name} has submitted {what}",
        name=escape(member.full_name),
        what=campaign_short(t, campaign),
    )
    if commitment.late:
        text += " " + t.gettext("(submitted late)")
    return text + " " + t.gettext("— send /duyet to review it.")


def approved_notice(t: Translator, campaign: Campaign) -> str:
    """Returns what the member receives when their commitment is approved."""
    return t.gettext(
        "✅ The committee has approved {what}. Send /camket to see it.",
        what=campaign_short(t, campaign),
    )


def returned_notice(t: Translator, campaign: Campaign, comment: str) -> str:
    """Returns what the member receives when their commitment is returned."""
    return t.gettext(
        "↩️ The committee has returned {what} for changes.\nComment: {comment}\n"
        "Send /camket to edit it and submit it again.",
        what=campaign_short(t, campaign),
        comment=escape(comment),
    )

"""Every flow the bot knows, by name."""

from __future__ import annotations

from bot.flows.announcement_edit import EDIT_ANNOUNCEMENT_FLOW
from bot.flows.announcements import ANNOUNCE_FLOW
from bot.flows.campaign_forms import CAMPAIGN_FLOWS
from bot.flows.checkins import CHECKIN_FLOWS
from bot.flows.commitments import COMMITMENT_FLOWS
from bot.flows.conclusions import CONCLUSION_FLOW, CORRECTION_FLOW
from bot.flows.documents import ATTACH_DOCUMENT_FLOW
from bot.flows.engine import FlowEngine
from bot.flows.invites import INVITE_FLOW
from bot.flows.joining import JOIN_PERSONAL_FLOW, JOIN_REQUEST_FLOW
from bot.flows.meeting_changes import EDIT_MEETING_FLOW
from bot.flows.meetings import NEW_MEETING_FLOW
from bot.flows.period_forms import PERIOD_FLOWS
from bot.flows.roster import EDIT_MEMBER_FLOW
from bot.flows.rsvp_reason import RSVP_REASON_FLOW
from bot.flows.settings import SETTINGS_FLOWS
from bot.flows.study import STUDY_FLOWS


def build_engine() -> FlowEngine:
    """Returns the engine with all flows registered."""
    return FlowEngine(
        [
            INVITE_FLOW,
            JOIN_PERSONAL_FLOW,
            JOIN_REQUEST_FLOW,
            EDIT_MEMBER_FLOW,
            NEW_MEETING_FLOW,
            RSVP_REASON_FLOW,
            EDIT_MEETING_FLOW,
            CONCLUSION_FLOW,
            CORRECTION_FLOW,
            ATTACH_DOCUMENT_FLOW,
            *COMMITMENT_FLOWS,
            *CAMPAIGN_FLOWS,
            *CHECKIN_FLOWS,
            *PERIOD_FLOWS,
            ANNOUNCE_FLOW,
            EDIT_ANNOUNCEMENT_FLOW,
            *SETTINGS_FLOWS,
            *STUDY_FLOWS,
        ]
    )

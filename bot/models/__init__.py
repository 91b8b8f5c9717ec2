"""SQLModel tables, one module per entity group; every datetime is stored as UTC.

Every name is re-exported here, so `from bot.models import X` works whatever module X lives in.
"""

from __future__ import annotations

from bot.models.announcements import (
    Announcement,
    AnnouncementKind,
    AnnouncementRecipient,
    AnnouncementStatus,
    AudienceKind,
    ReflectionKind,
    StudySubmission,
)
from bot.models.audit import AuditEntry
from bot.models.base import UTCDateTime
from bot.models.commitments import (
    Cadence,
    Campaign,
    CampaignKind,
    CampaignStatus,
    CheckIn,
    CheckInLeave,
    CheckInRound,
    Commendation,
    Commitment,
    CommitmentItem,
    CommitmentStatus,
    EmulationForm,
    EmulationTitle,
    ItemStatus,
    LeaveReason,
    RatingLevel,
    ReviewPeriod,
    RoundStatus,
    SectionKind,
    SelfReview,
    SelfReviewStatus,
)
from bot.models.conversations import FlowState, PendingChoice
from bot.models.files import FileCopy, StoredFile
from bot.models.invites import Invite, InviteKind, JoinRequest, JoinRequestStatus
from bot.models.leases import Lease
from bot.models.meetings import (
    Attendance,
    AttendanceStatus,
    DocumentRead,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingReminder,
    MeetingSeries,
    MeetingStatus,
    MeetingTask,
    Recurrence,
    Rsvp,
    RsvpAnswer,
)
from bot.models.members import COMMITTEE_ROLES, EXPECTED_STATUSES, Member, MemberStatus, Role
from bot.models.orgs import Organisation, SetupCode
from bot.models.outbox import OutboxMessage, OutboxStatus, Priority, ProcessedUpdate
from bot.models.people import Account, Person, Reachability

__all__ = [
    "COMMITTEE_ROLES",
    "EXPECTED_STATUSES",
    "Account",
    "Announcement",
    "AnnouncementKind",
    "AnnouncementRecipient",
    "AnnouncementStatus",
    "Attendance",
    "AttendanceStatus",
    "AudienceKind",
    "AuditEntry",
    "Cadence",
    "Campaign",
    "CampaignKind",
    "CampaignStatus",
    "CheckIn",
    "CheckInLeave",
    "CheckInRound",
    "Commendation",
    "Commitment",
    "CommitmentItem",
    "CommitmentStatus",
    "DocumentRead",
    "EmulationForm",
    "EmulationTitle",
    "FileCopy",
    "FlowState",
    "Invite",
    "InviteKind",
    "ItemStatus",
    "JoinRequest",
    "JoinRequestStatus",
    "Lease",
    "LeaveReason",
    "Meeting",
    "MeetingDocument",
    "MeetingKind",
    "MeetingReminder",
    "MeetingSeries",
    "MeetingStatus",
    "MeetingTask",
    "Member",
    "MemberStatus",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "PendingChoice",
    "Person",
    "Priority",
    "ProcessedUpdate",
    "RatingLevel",
    "Reachability",
    "Recurrence",
    "ReflectionKind",
    "ReviewPeriod",
    "Role",
    "RoundStatus",
    "Rsvp",
    "RsvpAnswer",
    "SectionKind",
    "SelfReview",
    "SelfReviewStatus",
    "SetupCode",
    "StoredFile",
    "StudySubmission",
    "UTCDateTime",
]

"""Commitments and emulation: campaigns, each member's commitment (versioned), its items,
check-in rounds and answers, self-reviews and commendations (domain.md §2)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from bot.models.base import _enum, _utc


def _optional(enum: type[StrEnum]) -> Any:
    # Like `_enum`, stored as its value in a VARCHAR, but None until chosen.
    column_type = SAEnum(
        enum, values_callable=lambda e: [m.value for m in e], native_enum=False, length=32
    )
    return Field(default=None, sa_type=column_type, nullable=True)


class CampaignKind(StrEnum):
    """What members register for."""

    PLEDGE = "pledge"  # bản cam kết tu dưỡng, rèn luyện, phấn đấu năm …
    FOLLOW = "follow"  # đăng ký học tập và làm theo Bác năm …
    EMULATION = "emulation"  # phong trào thi đua (theme, criteria, form, period)
    PACT = "pact"  # giao ước thi đua of the cell (collective targets)


class EmulationForm(StrEnum):
    """Luật Thi đua, khen thưởng 2022, Art. 16."""

    REGULAR = "regular"  # thi đua thường xuyên
    THEMATIC = "thematic"  # thi đua theo chuyên đề


class Cadence(StrEnum):
    """How often approved items are checked in on."""

    NONE = "none"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class CampaignStatus(StrEnum):
    """Open: members register and check in; closed: the period was reviewed (sơ kết/tổng kết)."""

    OPEN = "open"
    CLOSED = "closed"


class SectionKind(StrEnum):
    """What a section of a commitment holds."""

    TEXT = "text"  # free text (tư tưởng chính trị, đạo đức, lối sống, …)
    ITEMS = "items"  # one or more items, each with an optional target and deadline
    GOAL = "goal"  # the rating level aimed for and, optionally, an emulation title


class RatingLevel(StrEnum):
    """Xếp loại chất lượng đảng viên (domain.md §2.5)."""

    EXCELLENT = "excellent"  # Hoàn thành xuất sắc nhiệm vụ
    GOOD = "good"  # Hoàn thành tốt nhiệm vụ
    DONE = "done"  # Hoàn thành nhiệm vụ
    FAIL = "fail"  # Không hoàn thành nhiệm vụ


class EmulationTitle(StrEnum):
    """Individual emulation titles a member may register for."""

    ADVANCED_WORKER = "advanced_worker"  # Lao động tiên tiến
    GRASSROOTS_SOLDIER = "grassroots_soldier"  # Chiến sĩ thi đua cơ sở


class Campaign(SQLModel, table=True):
    """One registration campaign of a cell: its kind, period, deadline, cadence and sections.

    `sections` is a list of {"key", "kind", "title", "required"}; a default section's title is
    None and is shown in each reader's language, a section the committee typed keeps its words.
    """

    __table_args__ = (Index("ix_campaign_org_status", "org_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id")
    kind: CampaignKind = _enum(CampaignKind, CampaignKind.PLEDGE)
    title: str = Field(default="", max_length=300)
    content: str = Field(default="", max_length=2000)
    criteria: str = Field(default="", max_length=2000)
    form: EmulationForm | None = _optional(EmulationForm)
    year: int
    starts_on: date
    ends_on: date
    deadline: date
    cadence: Cadence = _enum(Cadence, Cadence.NONE)
    sections: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: CampaignStatus = _enum(CampaignStatus, CampaignStatus.OPEN)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _utc()
    closed_at: datetime | None = _utc(nullable=True)
    # When the last registration reminder went out (at most one every two days).
    reminded_at: datetime | None = _utc(nullable=True)


class CommitmentStatus(StrEnum):
    """Where one version of a member's commitment stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    SUPERSEDED = "superseded"  # an approved version replaced by a newer approved one


class Commitment(SQLModel, table=True):
    """One version of a member's commitment in a campaign; answers are saved as given.

    A member has at most one version in force (approved) and at most one being written or
    reviewed (draft, submitted, returned) at a time; editing an approved commitment starts a
    new version, and the approved one stays in force until the new one is approved.
    """

    __table_args__ = (
        UniqueConstraint("campaign_id", "member_id", "version"),
        Index("ix_commitment_campaign_status", "campaign_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    version: int = 1
    status: CommitmentStatus = _enum(CommitmentStatus, CommitmentStatus.DRAFT)
    answers: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    rating_goal: RatingLevel | None = _optional(RatingLevel)
    title_goal: EmulationTitle | None = _optional(EmulationTitle)
    late: bool = False
    submitted_at: datetime | None = _utc(nullable=True)
    reviewed_by: int | None = Field(default=None, foreign_key="person.id")
    reviewed_at: datetime | None = _utc(nullable=True)
    review_comment: str = Field(default="", max_length=1000)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class CommitmentItem(SQLModel, table=True):
    """One concrete item of a section (a task, a "làm theo Bác" action, a pact target)."""

    __table_args__ = (Index("ix_commitmentitem_commitment", "commitment_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id")
    section_key: str = Field(max_length=30)
    position: int = 0
    text: str = Field(max_length=1000)
    target: float | None = None
    unit: str = Field(default="", max_length=50)
    deadline: date | None = None
    # The same item in the version before (check-ins and commendations follow it).
    origin_id: int | None = Field(default=None, foreign_key="commitmentitem.id")


class RoundStatus(StrEnum):
    """Whether members can still answer a check-in round."""

    OPEN = "open"
    CLOSED = "closed"


class CheckInRound(SQLModel, table=True):
    """One check-in round of a campaign (monthly or quarterly), opened once."""

    __table_args__ = (UniqueConstraint("campaign_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    seq: int
    period_start: date
    opens_at: datetime = _utc()
    closes_at: datetime = _utc()
    status: RoundStatus = _enum(RoundStatus, RoundStatus.OPEN)
    nudges: int = 0
    nudged_at: datetime | None = _utc(nullable=True)


class ItemStatus(StrEnum):
    """A member's answer for one item in a round."""

    NOT_STARTED = "not_started"  # Chưa thực hiện
    IN_PROGRESS = "in_progress"  # Đang thực hiện
    DONE = "done"  # Hoàn thành
    BLOCKED = "blocked"  # Gặp khó khăn


class CheckIn(SQLModel, table=True):
    """A member's answer for one item in one round; changeable until the round closes."""

    __table_args__ = (
        UniqueConstraint("round_id", "item_id"),
        Index("ix_checkin_round_member", "round_id", "member_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="checkinround.id")
    item_id: int = Field(foreign_key="commitmentitem.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    status: ItemStatus = _enum(ItemStatus, ItemStatus.IN_PROGRESS)
    value: float | None = None
    note: str = Field(default="", max_length=1000)
    file_id: int | None = Field(default=None, foreign_key="storedfile.id")
    # A photo or file sent as evidence: the id the channel gave it (kept once, with the
    # answer), which channel that is, and the name shown with 📎.
    evidence_ref: str | None = Field(default=None, max_length=512)
    evidence_channel: str | None = Field(default=None, max_length=16)
    evidence_name: str | None = Field(default=None, max_length=255)
    updated_at: datetime = _utc()


class LeaveReason(StrEnum):
    """Why a member skips a round (not counted as missing)."""

    LEAVE = "leave"  # nghỉ phép
    TRIP = "trip"  # đi công tác
    SICK = "sick"  # ốm


class CheckInLeave(SQLModel, table=True):
    """A member away for a round."""

    __table_args__ = (UniqueConstraint("round_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="checkinround.id")
    member_id: int = Field(foreign_key="member.id")
    reason: LeaveReason = _enum(LeaveReason, LeaveReason.LEAVE)
    at: datetime = _utc()


class SelfReviewStatus(StrEnum):
    """A member's bản tự kiểm điểm at sơ kết / tổng kết."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class ReviewPeriod(StrEnum):
    """Which review a self-review is for (domain.md §2.4)."""

    MID_YEAR = "mid"  # sơ kết 6 tháng (June–July)
    YEAR = "year"  # tổng kết năm (December–January): closes the campaign


class SelfReview(SQLModel, table=True):
    """A member's self-review (bản tự kiểm điểm) at a sơ kết or tổng kết of a campaign: the
    member's own assessment and proposed rating; the results come from their commitment."""

    __table_args__ = (UniqueConstraint("campaign_id", "member_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    member_id: int = Field(foreign_key="member.id")
    period: ReviewPeriod = _enum(ReviewPeriod, ReviewPeriod.YEAR)
    text: str = Field(default="", max_length=10000)
    proposed_level: RatingLevel | None = _optional(RatingLevel)
    status: SelfReviewStatus = _enum(SelfReviewStatus, SelfReviewStatus.DRAFT)
    submitted_at: datetime | None = _utc(nullable=True)
    updated_at: datetime = _utc()


class Commendation(SQLModel, table=True):
    """An item or a member the committee commends (biểu dương / điển hình tiên tiến)."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    item_id: int | None = Field(default=None, foreign_key="commitmentitem.id")
    reason: str = Field(max_length=300)
    by: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = _utc()


class PactTarget(SQLModel, table=True):
    """One collective target of a cell's giao ước thi đua (a campaign of kind PACT): what is
    aimed for, its unit and plan value, and what the committee last recorded as achieved."""

    __table_args__ = (Index("ix_pacttarget_campaign", "campaign_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    position: int = 0
    text: str = Field(max_length=300)
    unit: str = Field(default="", max_length=50)
    plan: float
    achieved: float | None = None
    note: str = Field(default="", max_length=1000)
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime | None = _utc(nullable=True)

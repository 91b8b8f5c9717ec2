"""The demo's announcement and study material, seeded through the real services once the
members have joined and before the meeting is scheduled (so that the meeting's notice stays
each member's newest message, the one a newcomer to the sandbox answers first).

The secretary's announcement asks for "✅ Đã nắm": the deputy, Hùng and Mai have confirmed,
the others not yet. The study material (quán triệt a resolution, with a written reflection of
at least 200 characters, due in ten days): Hùng has submitted his, Mai has read it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.db import Database
from bot.models import Person
from bot.models.announcements import (
    Announcement,
    AnnouncementKind,
    AudienceKind,
    ReflectionKind,
)
from bot.services import announcements, orgs, people, study
from sandbox.seed import CELL_NAME, CHANNEL, DEPUTY, PEOPLE, SECRETARY

NOTICE = (
    "Thông báo: từ tháng này, chi bộ thu đảng phí qua đồng chí Trần Thị Hương trước ngày 10 "
    "hằng tháng. Đề nghị các đồng chí nắm và thực hiện."
)
STUDY = (
    "Quán triệt Nghị quyết Hội nghị Trung ương về tiếp tục đổi mới, nâng cao chất lượng sinh "
    "hoạt chi bộ. Các đồng chí đọc tài liệu và nộp bài thu hoạch (liên hệ bản thân)."
)
STUDY_LINK = "https://example.org/tai-lieu/nghi-quyet.pdf"
ACKNOWLEDGED = (DEPUTY.full_name, "Lê Văn Hùng", "Phạm Thị Mai")
REFLECTION = (
    "Qua học tập, tôi nhận thức rõ sinh hoạt chi bộ là nơi rèn luyện đảng viên. Bản thân tôi "
    "sẽ tham dự đầy đủ, chuẩn bị ý kiến trước mỗi buổi sinh hoạt, thẳng thắn tự phê bình và "
    "phê bình, hoàn thành tốt nhiệm vụ được giao và gương mẫu ở nơi cư trú."
)


def _person(session: Session, name: str) -> Person:
    demo = next(p for p in PEOPLE if p.full_name == name)
    found = people.get_person(session=session, channel=CHANNEL, external_id=str(demo.user_id))
    if found is None:
        raise RuntimeError(f"{name} has not joined the demo cell yet")
    return found


def ensure_announcements(db: Database, now: datetime) -> None:
    """Sends the announcement and the study material as the secretary, once, and records
    what the members did with them."""
    with db.session() as session:
        cell = orgs.find_org(session=session, name=CELL_NAME)
        if cell is None or cell.id is None:
            raise RuntimeError("the demo cell does not exist yet")
        if session.exec(select(Announcement.id).where(Announcement.org_id == cell.id)).first():
            return
        secretary = _person(session, SECRETARY.full_name)
        notice = announcements.create(
            session=session,
            draft=announcements.Draft(
                org_id=cell.id, text=NOTICE, audience=AudienceKind.CELL, ack_required=True
            ),
            actor=secretary,
            now=now,
        )
        material = announcements.create(
            session=session,
            draft=announcements.Draft(
                org_id=cell.id,
                text=STUDY,
                audience=AudienceKind.CELL,
                ack_required=True,
                kind=AnnouncementKind.STUDY,
                link=STUDY_LINK,
                deadline=now + timedelta(days=10),
                reflection=ReflectionKind.TEXT,
                min_length=200,
            ),
            actor=secretary,
            now=now,
        )
        for name in ACKNOWLEDGED:
            announcements.acknowledge(
                session=session,
                announcement_id=notice.id or 0,
                person=_person(session, name),
                now=now,
            )
        announcements.acknowledge(
            session=session,
            announcement_id=material.id or 0,
            person=_person(session, "Phạm Thị Mai"),
            now=now,
        )
        study.submit(
            session=session,
            announcement_id=material.id or 0,
            person=_person(session, "Lê Văn Hùng"),
            now=now,
            text=REFLECTION,
        )

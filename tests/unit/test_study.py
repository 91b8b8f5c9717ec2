"""Study campaigns: opening one, reading, the reflection's least length and deadline, editing,
participation against the 95% bar, reminders only to those missing, and the exports."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from bot.db import Database
from bot.i18n import translator
from bot.models import (
    AnnouncementKind,
    AudienceKind,
    AuditEntry,
    OutboxMessage,
    ReflectionKind,
    StudySubmission,
)
from bot.reports.study_docx import reflections_docx
from bot.reports.study_xlsx import participation_xlsx
from bot.services import announcement_ledger, announcements, study
from bot.services.documents import IncomingFile
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from chibot.cli import main
from tests.unit.test_announcements import _world

REFLECTION = "Qua học tập, tôi nhận thức rõ trách nhiệm nêu gương của đảng viên nơi cư trú."


def _campaign(world: dict, now: datetime, **kwargs: object) -> announcements.Draft:
    values: dict = {
        "org_id": world["org_id"],
        "text": "Quán triệt Nghị quyết Hội nghị Trung ương.",
        "audience": AudienceKind.CELL,
        "kind": AnnouncementKind.STUDY,
        "deadline": now + timedelta(days=7),
        "reflection": ReflectionKind.TEXT,
        "min_length": 50,
        "link": "https://example.org/nghi-quyet.pdf",
    }
    values.update(kwargs)
    return announcements.Draft(**values)


def _open(session: Session, w: dict, now: datetime, **kwargs: object) -> int:
    found = announcements.create(
        session=session, draft=_campaign(w, now, **kwargs), actor=w["secretary"], now=now
    )
    return found.id or 0


def test_a_campaign_needs_a_deadline_after_it_goes_out_and_a_sensible_requirement(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        refusals = [
            ({"deadline": None}, "study_no_deadline"),
            ({"deadline": now - timedelta(hours=1)}, "study_deadline_early"),
            (
                {"due_at": now + timedelta(days=8), "deadline": now + timedelta(days=7)},
                "study_deadline_early",
            ),
            ({"min_length": 0}, "study_min_length"),
            ({"reflection": ReflectionKind.ANSWER, "question": "  "}, "study_no_question"),
        ]
        for kwargs, code in refusals:
            with pytest.raises(InvalidInput) as refused:
                _open(session, w, now, **kwargs)
            assert refused.value.code == code
        with pytest.raises(NotAllowed):
            announcements.create(session=session, draft=_campaign(w, now), actor=w["lan"], now=now)
        assert session.exec(select(StudySubmission)).all() == []


def test_a_reflection_too_short_says_what_is_missing_and_late_ones_are_refused(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        aid = _open(session, w, now, min_length=100)
        with pytest.raises(InvalidInput) as short:
            study.submit(
                session=session, announcement_id=aid, person=w["lan"], now=now, text=REFLECTION
            )
        length = len(REFLECTION)
        assert short.value.code == "study_too_short"
        assert short.value.params == {"missing": 100 - length, "minimum": 100, "length": length}
        long_enough = REFLECTION + " Tôi sẽ tham gia đầy đủ sinh hoạt và vận động gia đình."
        first, replaced = study.submit(
            session=session, announcement_id=aid, person=w["lan"], now=now, text=long_enough
        )
        assert (first.text, replaced) == (long_enough, False)
        later = now + timedelta(days=2)
        edited, replaced = study.submit(
            session=session,
            announcement_id=aid,
            person=w["lan"],
            now=later,
            text=long_enough + " Thêm.",
        )
        assert (edited.id, replaced, edited.submitted_at, edited.updated_at) == (
            first.id,
            True,
            now,
            later,
        )
        after = now + timedelta(days=7, seconds=1)
        with pytest.raises(Conflict) as late:
            study.submit(
                session=session, announcement_id=aid, person=w["lan"], now=after, text=long_enough
            )
        assert late.value.code == "study_late"
        assert late.value.params == {"deadline": (now + timedelta(days=7, hours=7)).date()}
        assert session.get(StudySubmission, first.id).text == long_enough + " Thêm."  # type: ignore[union-attr]
        actions = session.exec(
            select(AuditEntry.action).where(col(AuditEntry.action).startswith("study."))
        ).all()
        assert actions == ["study.submit", "study.edit"]


def test_a_reflection_file_of_a_refused_type_or_size_changes_nothing(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        aid = _open(session, w, now)
        for incoming in (
            IncomingFile("f1", "virus.exe", "application/octet-stream", 1000),
            IncomingFile("f2", "thu-hoach.pdf", "application/pdf", 30 * 1024 * 1024),
        ):
            with pytest.raises(InvalidInput):
                study.submit(
                    session=session, announcement_id=aid, person=w["lan"], now=now, file=incoming
                )
        assert session.exec(select(StudySubmission)).all() == []
        ok = IncomingFile("f3", "thu-hoach.docx", None, 20_000)
        sent, _ = study.submit(
            session=session, announcement_id=aid, person=w["lan"], now=now, file=ok
        )
        assert (sent.file_name, sent.text) == ("thu-hoach.docx", "")


def test_participation_counts_read_and_submitted_against_the_95_percent_bar(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        aid = _open(session, w, now, min_length=10)
        found = announcements.get_announcement(session=session, announcement_id=aid)
        # Audience: Bí (author: read), Cường, Chưa (not joined), Hùng, Lan.
        announcements.acknowledge(session=session, announcement_id=aid, person=w["hung"], now=now)
        study.submit(
            session=session, announcement_id=aid, person=w["lan"], now=now, text=REFLECTION
        )
        figures = study.participation(session=session, announcement=found)
        assert (figures.audience, figures.read, figures.submitted, figures.complete) == (
            5,
            3,
            1,
            1,
        )
        assert figures.rate == pytest.approx(0.2)
        assert not figures.meets_bar
        assert [p.name for p in figures.unread] == ["Đỗ Văn Cường", "Vũ Thị Chưa"]
        assert [p.name for p in figures.not_submitted] == ["Nguyễn Văn Bí", "Lê Văn Hùng"]
        for person in ("secretary", "cuong", "hung"):
            study.submit(
                session=session, announcement_id=aid, person=w[person], now=now, text=REFLECTION
            )
        figures = study.participation(session=session, announcement=found)
        assert (figures.complete, figures.audience) == (4, 5)
        assert figures.rate == pytest.approx(0.8)
        assert not figures.meets_bar  # 80% is under the bar
        assert [p.name for p in figures.missing] == ["Vũ Thị Chưa"]


def test_reminders_go_only_to_those_missing_and_stop_at_the_deadline(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        aid = _open(session, w, now, min_length=10)
        study.submit(
            session=session, announcement_id=aid, person=w["lan"], now=now, text=REFLECTION
        )
        announcements.acknowledge(session=session, announcement_id=aid, person=w["hung"], now=now)
        result = announcement_ledger.request_nudge(
            session=session, announcement_id=aid, actor=w["secretary"], now=now
        )
        # Hùng read but owes the reflection; Cường did nothing; the author owes the reflection;
        # Lan is done; Chưa cannot be reached.
        assert result.sent == 3
        stamp = f"ann:{aid}:n{now.timestamp():.0f}:"
        nudged = session.exec(
            select(OutboxMessage.person_id).where(col(OutboxMessage.dedupe_key).startswith(stamp))
        ).all()
        assert set(nudged) == {w["hung"].id, w["cuong"].id, w["secretary"].id}
        late = announcement_ledger.request_nudge(
            session=session,
            announcement_id=aid,
            actor=w["secretary"],
            now=now + timedelta(days=8),
        )
        assert late.refused == "past_deadline"


def test_a_reminder_asked_at_night_waits_for_the_morning_and_skips_those_done(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        aid = _open(session, w, now, reflection=ReflectionKind.NONE, min_length=0)
        for person in ("secretary", "lan", "hung"):
            announcements.acknowledge(
                session=session, announcement_id=aid, person=w[person], now=now
            )
        # 22:00 in Hà Nội: queued for 07:00; by then Cường is the only one reached not done.
        night = datetime(2026, 11, 23, 15, 0, tzinfo=now.tzinfo)
        queued = announcement_ledger.request_nudge(
            session=session, announcement_id=aid, actor=w["secretary"], now=night
        )
        morning = datetime(2026, 11, 24, 0, 0, tzinfo=now.tzinfo)
        assert (queued.sent, queued.queued_for) == (0, morning)
        assert announcement_ledger.run_due(session=session, now=morning) == 1
        stamp = f"ann:{aid}:n{morning.timestamp():.0f}:"
        nudged = session.exec(
            select(OutboxMessage.person_id).where(col(OutboxMessage.dedupe_key).startswith(stamp))
        ).all()
        assert nudged == [w["cuong"].id]
        text = session.exec(
            select(OutboxMessage.payload).where(col(OutboxMessage.dedupe_key).startswith(stamp))
        ).one()["text"]
        assert text.startswith("🔔 Nhắc: đề nghị đồng chí học tập tài liệu của Chi bộ Văn phòng")


def test_the_exports_hold_each_members_reflection_and_times(db: Database, now: datetime) -> None:
    t = translator("vi", "Asia/Ho_Chi_Minh")
    with db.session() as session:
        w = _world(session, now)
        aid = _open(session, w, now, min_length=10)
        study.submit(
            session=session, announcement_id=aid, person=w["lan"], now=now, text=REFLECTION
        )
        found = announcements.get_announcement(session=session, announcement_id=aid)
        figures = study.participation(session=session, announcement=found)
        org = announcements.org_of(session, found)
        docx = Document(io.BytesIO(reflections_docx(t, figures, org, None, now.date())))
        text = [p.text for p in docx.paragraphs]
        assert "1. Trần Thị Lan" in text
        assert REFLECTION in text
        assert "Đã nộp: 1/5 đồng chí." in text
        book = load_workbook(io.BytesIO(participation_xlsx(t, figures, org)))
        rows = list(book.active.iter_rows(min_row=4, values_only=True))  # type: ignore[union-attr]
        assert [row[1] for row in rows] == [p.name for p in figures.people]
        lan = next(row for row in rows if row[1] == "Trần Thị Lan")
        assert (lan[5], lan[7]) == (len(REFLECTION), REFLECTION)
        assert lan[2] == t.datetime_text(now)
        chua = next(row for row in rows if row[1] == "Vũ Thị Chưa")
        assert (chua[2], chua[3], chua[5]) == (None, None, None)  # empty cells


def test_chibot_report_study_writes_the_files(
    db: Database, now: datetime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIBOT_DATABASE_URL", db.url)
    with db.session() as session:
        w = _world(session, now)
        aid = _open(session, w, now, min_length=10)
        study.submit(
            session=session, announcement_id=aid, person=w["hung"], now=now, text=REFLECTION
        )
        cell = w["cell"].org.name
        notice = announcements.create(
            session=session,
            draft=announcements.Draft(org_id=w["org_id"], text="Họp", audience=AudienceKind.CELL),
            actor=w["secretary"],
            now=now,
        )
        session.commit()
    out = io.StringIO()
    target = tmp_path / "thu-hoach.docx"
    args = ["report", "study", cell, str(aid)]
    assert main([*args, "--output", str(target)], out=out) == 0
    assert "1 of 5 submitted" in out.getvalue()
    paragraphs = [p.text for p in Document(str(target)).paragraphs]
    assert "1. Lê Văn Hùng" in paragraphs
    sheet_path = tmp_path / "tham-gia.xlsx"
    assert main([*args, "--format", "xlsx", "--output", str(sheet_path)], out=out) == 0
    names = [
        r[1]
        for r in load_workbook(sheet_path).worksheets[0].iter_rows(min_row=4, values_only=True)
    ]
    assert "Lê Văn Hùng" in names
    for wrong in (str(notice.id), "9999"):
        missing = io.StringIO()
        assert main(["report", "study", cell, wrong], out=missing) == 1
        assert f"has no study campaign number {wrong}" in missing.getvalue()

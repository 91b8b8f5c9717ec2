"""Evidence on check-ins: what is accepted, what is kept with the answer, and where it shows
(the round, the committee's follow-up, the self-review draft)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.db import Database
from bot.i18n import translator
from bot.models.commitments import Campaign, CheckIn, CheckInRound, ItemStatus, ReviewPeriod
from bot.render_checkins import round_screen
from bot.render_reviews import self_review_screen
from bot.services import campaign_tick, checkins, evidence, self_reviews
from bot.services.documents import IncomingFile
from bot.services.errors import InvalidInput, NotFound
from tests.unit.test_checkins import Q1_OPENS, _approve, _world

T = translator("vi")
PHOTO = IncomingFile("AgACAgIAAxk-photo", "anh.jpg", "image/jpeg", 300_000)
Q2_OPENS = Q1_OPENS.replace(month=4)


@pytest.mark.parametrize(
    ("incoming", "code"),
    [
        (IncomingFile("x", "cai-dat.exe", "application/x-msdownload", 10), "file_type"),
        (IncomingFile("x", "nen.zip", "application/zip", 10), "file_type"),
        (
            IncomingFile("x", "bao-cao.pdf", "application/pdf", 10 * 1024 * 1024 + 1),
            "file_too_large",
        ),
        (IncomingFile("", "anh.jpg", "image/jpeg", 10), "evidence_unreadable"),
        (IncomingFile("h" * 513, "anh.jpg", "image/jpeg", 10), "evidence_unreadable"),
    ],
)
def test_refused_evidence(incoming: IncomingFile, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        evidence.check_evidence(incoming)
    assert refused.value.code == code


def test_accepted_evidence_up_to_the_limit() -> None:
    exactly = IncomingFile("x", " Biên bản .pdf", "application/pdf", 10 * 1024 * 1024)
    assert evidence.check_evidence(exactly).file_name == "Biên bản .pdf"
    # A Zalo photo comes with its address and no size.
    zalo = IncomingFile("https://photo.zalo.example/a.jpg", "anh.jpg", "image/jpeg", 0)
    assert evidence.check_evidence(zalo) == zalo


def test_evidence_is_kept_with_the_answer_and_shows_everywhere(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        items = _approve(session, w, w["lan"], now)
        campaign_tick.run_due(session=session, now=Q1_OPENS)
        [first] = session.exec(select(CheckInRound)).all()
        lan = w["lan"]
        checkins.answer(
            session=session,
            round_id=first.id or 0,
            item_id=items[0],
            person=lan,
            now=Q1_OPENS,
            status=ItemStatus.IN_PROGRESS,
            note="Đã học 3 chuyên đề",
        )
        row = evidence.attach(
            session=session,
            round_id=first.id or 0,
            item_id=items[0],
            person=lan,
            channel="telegram",
            incoming=PHOTO,
            now=Q1_OPENS,
        )
        assert (row.evidence_ref, row.evidence_channel, row.evidence_name) == (
            PHOTO.file_id,
            "telegram",
            "anh.jpg",
        )
        assert (row.status, row.note) == (ItemStatus.IN_PROGRESS, "Đã học 3 chuyên đề")
        mine = checkins.member_round(
            session=session, round_id=first.id or 0, person=lan, now=Q1_OPENS
        )
        assert "→ Đang thực hiện; ghi chú: Đã học 3 chuyên đề; 📎 minh chứng: anh.jpg" in (
            round_screen(T, mine).text
        )
        [sent] = evidence.of_round(session=session, round_id=first.id or 0)
        assert (sent.member_name, sent.file_name) == ("Trần Thị Lan", "anh.jpg")

        # The next round: a file for the same item; the self-review lists both.
        campaign_tick.run_due(session=session, now=Q2_OPENS)
        second = session.exec(select(CheckInRound).where(CheckInRound.seq == 2)).one()
        evidence.attach(
            session=session,
            round_id=second.id or 0,
            item_id=items[0],
            person=lan,
            channel="zalo",
            incoming=IncomingFile("https://photo.zalo.example/b.jpg", "anh.jpg", "image/jpeg", 0),
            now=Q2_OPENS,
        )
        evidence.attach(
            session=session,
            round_id=second.id or 0,
            item_id=items[1],
            person=lan,
            channel="telegram",
            incoming=IncomingFile("BQAC-doc", "Giấy khen <2027>.pdf", "application/pdf", 5),
            now=Q2_OPENS,
        )
        assert evidence.names_by_item(session=session, item_ids=items) == {
            items[0]: ["anh.jpg", "anh.jpg"],
            items[1]: ["Giấy khen <2027>.pdf"],
        }
        self_reviews.start_period(
            session=session,
            campaign_id=w["campaign"].id,
            period=ReviewPeriod.MID_YEAR,
            actor=w["secretary"],
            now=Q2_OPENS + timedelta(days=80),
        )
        review = self_reviews.mine(
            session=session,
            campaign_id=w["campaign"].id,
            period=ReviewPeriod.MID_YEAR,
            person=lan,
        )
        results = self_reviews.results(session=session, review=review)
        campaign = session.get(Campaign, w["campaign"].id)
        assert campaign is not None
        lines = self_review_screen(T, campaign, review, results).text.splitlines()
    first_item = next(i for i, line in enumerate(lines) if line.startswith("1) "))
    assert lines[first_item + 1] == "   📎 minh chứng: anh.jpg, anh.jpg"
    second_item = next(i for i, line in enumerate(lines) if line.startswith("2) "))
    # Escaped: a file name is the member's text.
    assert lines[second_item + 1] == "   📎 minh chứng: Giấy khen &lt;2027&gt;.pdf"


def test_refused_evidence_or_another_members_item_changes_nothing(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        items = _approve(session, w, w["lan"], now)
        _approve(session, w, w["hung"], now)
        campaign_tick.run_due(session=session, now=Q1_OPENS)
        [round_] = session.exec(select(CheckInRound)).all()
        rid = round_.id or 0
        checkins.answer(
            session=session,
            round_id=rid,
            item_id=items[0],
            person=w["lan"],
            now=Q1_OPENS,
            status=ItemStatus.DONE,
        )
        with pytest.raises(InvalidInput):
            evidence.attach(
                session=session,
                round_id=rid,
                item_id=items[0],
                person=w["lan"],
                channel="telegram",
                incoming=IncomingFile("x", "virus.exe", "application/x-msdownload", 2),
                now=Q1_OPENS,
            )
        with pytest.raises(NotFound):
            evidence.attach(
                session=session,
                round_id=rid,
                item_id=items[0],
                person=w["hung"],
                channel="telegram",
                incoming=PHOTO,
                now=Q1_OPENS,
            )
        rows = session.exec(select(CheckIn)).all()
    assert [(r.member_id, r.status, r.evidence_ref) for r in rows] == [
        (w["lan_member"], ItemStatus.DONE, None)
    ]

"""Officers of a đảng bộ: made by the operator with a join link, sending to the cells under
it, the counts per cell and in total, and never a cell's names without a role in it."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.db import Database
from bot.models import (
    Announcement,
    AnnouncementKind,
    AudienceKind,
    MemberStatus,
    OutboxMessage,
    ReflectionKind,
    Role,
)
from bot.services import announcements, invites, members, officers, orgs, study
from bot.services.errors import Conflict, InvalidInput, NotAllowed
from chibot.cli import main
from tests import factories

PARTY = "Đảng bộ Khối Cơ quan"


def _world(session: Session, now: datetime) -> dict:
    party, _ = orgs.create_org(
        session=session,
        name=PARTY,
        parent_name=None,
        timezone="Asia/Ho_Chi_Minh",
        locale="vi",
        now=now,
    )
    out: dict = {"party": party}
    for key, cell_name, names in (
        ("a", "Chi bộ Văn phòng", ["Trần Thị Lan", "Lê Văn Hùng"]),
        ("b", "Chi bộ Tài vụ", ["Phạm Văn Đức"]),
    ):
        c = factories.cell(session, now, cell_name)
        c.org.parent_id = party.id
        session.add(c.org)
        out[key] = c
        for name in names:
            _, p = factories.joined_member(session, c, name, now)
            out[name] = p
    session.flush()
    member, issued = officers.add_officer(
        session=session, org=party, full_name="  Hoàng   Văn Thanh ", now=now
    )
    officer = factories.person(session, "Hoàng Văn Thanh", now)
    invites.accept_personal_invite(session=session, token=issued.token, person=officer, now=now)
    out["officer"], out["officer_member"] = officer, member
    return out


def _draft(w: dict, **kwargs: object) -> announcements.Draft:
    values: dict = {
        "org_id": w["party"].id,
        "text": "Triển khai học tập Nghị quyết của Đảng ủy Khối.",
        "audience": AudienceKind.CELL,
    }
    values.update(kwargs)
    return announcements.Draft(**values)


def test_the_operator_makes_an_officer_who_joins_with_the_link(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        member = w["officer_member"]
        assert (member.org_id, member.full_name, member.role) == (
            w["party"].id,
            "Hoàng Văn Thanh",
            Role.COMMITTEE,
        )
        assert member.person_id == w["officer"].id
        lone, _ = orgs.create_org(
            session=session,
            name="Đảng bộ Trống",
            parent_name=None,
            timezone="Asia/Ho_Chi_Minh",
            locale="vi",
            now=now,
        )
        with pytest.raises(Conflict) as refused:
            officers.add_officer(session=session, org=lone, full_name="Ai Đó", now=now)
        assert refused.value.code == "no_cells_under"


def test_an_officer_sends_to_each_cell_as_its_own_and_sees_counts_only(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        officer = w["officer"]
        cells = [w["a"].org.id, w["b"].org.id]
        sent = officers.create_for_cells(
            session=session, draft=_draft(w), cell_ids=cells, actor=officer, now=now
        )
        made = session.exec(
            select(Announcement).where(Announcement.batch_id == sent.batch.id)
        ).all()
        assert sorted(a.org_id for a in made) == sorted(cells)
        assert sent.skipped == []
        # Each member got it privately, in their own cell's name.
        texts = session.exec(
            select(OutboxMessage.person_id, OutboxMessage.payload).where(
                col(OutboxMessage.dedupe_key).startswith("ann:")
            )
        ).all()
        by_person = {person_id: payload["text"] for person_id, payload in texts}
        heading = "📢 <b>Thông báo của {}</b>"
        assert by_person[w["Phạm Văn Đức"].id].startswith(heading.format("Chi bộ Tài vụ"))
        assert by_person[w["Trần Thị Lan"].id].startswith(heading.format("Chi bộ Văn phòng"))

        in_a = next(a for a in made if a.org_id == w["a"].org.id)
        announcements.acknowledge(
            session=session, announcement_id=in_a.id or 0, person=w["Trần Thị Lan"], now=now
        )
        figures = officers.batch_figures(session=session, batch=sent.batch)
        assert [(c.cell, c.audience, c.done) for c in figures.cells] == [
            ("Chi bộ Tài vụ", 2, 0),
            ("Chi bộ Văn phòng", 3, 1),
        ]
        assert (figures.audience, figures.done) == (5, 1)

        # Names stay with the cell: the officer is refused, the cell's secretary is not.
        with pytest.raises(NotAllowed) as refused:
            announcements.for_committee(
                session=session, announcement_id=in_a.id or 0, person=officer
            )
        assert refused.value.code == "officer_counts_only"
        assert announcements.for_committee(
            session=session, announcement_id=in_a.id or 0, person=w["a"].secretary
        )
        # The cell's secretary cannot open the đảng bộ's batch; a member cannot send.
        with pytest.raises(NotAllowed):
            officers.get_batch(
                session=session, batch_id=sent.batch.id or 0, person=w["a"].secretary
            )
        with pytest.raises(NotAllowed):
            officers.create_for_cells(
                session=session,
                draft=_draft(w),
                cell_ids=cells,
                actor=w["Lê Văn Hùng"],
                now=now,
            )


def test_an_officer_with_a_role_in_a_cell_sees_its_names(db: Database, now: datetime) -> None:
    with db.session() as session:
        w = _world(session, now)
        officer = w["officer"]
        [entry] = members.add_members(
            session=session,
            org_id=w["b"].org.id or 0,
            names=["Hoàng Văn Thanh"],
            role=Role.COMMITTEE,
            status=MemberStatus.FULL,
            actor=w["b"].secretary,
            now=now,
        )
        entry.person_id = officer.id
        session.add(entry)
        sent = officers.create_for_cells(
            session=session,
            draft=_draft(w),
            cell_ids=[w["a"].org.id, w["b"].org.id],
            actor=officer,
            now=now,
        )
        made = {
            a.org_id: a
            for a in session.exec(
                select(Announcement).where(Announcement.batch_id == sent.batch.id)
            ).all()
        }
        assert announcements.for_committee(
            session=session, announcement_id=made[w["b"].org.id].id or 0, person=officer
        )
        with pytest.raises(NotAllowed):
            announcements.for_committee(
                session=session, announcement_id=made[w["a"].org.id].id or 0, person=officer
            )


def test_a_study_campaign_for_the_cells_counts_who_did_all_that_was_asked(
    db: Database, now: datetime
) -> None:
    with db.session() as session:
        w = _world(session, now)
        draft = _draft(
            w,
            kind=AnnouncementKind.STUDY,
            deadline=now + timedelta(days=5),
            reflection=ReflectionKind.ANSWER,
            question="Đồng chí sẽ làm gì để thực hiện nghị quyết?",
        )
        with pytest.raises(InvalidInput):
            officers.create_for_cells(
                session=session, draft=draft, cell_ids=[9999], actor=w["officer"], now=now
            )
        sent = officers.create_for_cells(
            session=session,
            draft=draft,
            cell_ids=[w["b"].org.id],
            actor=w["officer"],
            now=now,
        )
        [made] = session.exec(
            select(Announcement).where(Announcement.batch_id == sent.batch.id)
        ).all()
        study.submit(
            session=session,
            announcement_id=made.id or 0,
            person=w["Phạm Văn Đức"],
            now=now,
            text="Gương mẫu thực hiện.",
        )
        figures = officers.batch_figures(session=session, batch=sent.batch)
        assert [(c.cell, c.audience, c.done) for c in figures.cells] == [("Chi bộ Tài vụ", 2, 1)]
        assert figures.rate == pytest.approx(0.5)
        assert not figures.meets_bar


def test_chibot_org_officer_add_prints_a_link_and_a_code(
    db: Database, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIBOT_DATABASE_URL", db.url)
    with db.session() as session:
        _world(session, now)
        session.commit()
    out = io.StringIO()
    args = ["org", "officer", "add", PARTY, "Vũ Thị Mai", "--bot", "chibot_test_bot"]
    assert main(args, out=out) == 0
    text = out.getvalue()
    token = re.search(r"https://t\.me/chibot_test_bot\?start=([\w-]+)", text)
    code = re.search(r"the code ([A-Z2-9]{4}-[A-Z2-9]{4})", text)
    assert token is not None
    assert code is not None
    with db.session() as session:
        invite = invites.find_invite(session=session, secret=token.group(1))
        assert invite is not None
        assert invite.org_id == orgs.find_org(session=session, name=PARTY).id  # type: ignore[union-attr]
        assert invites.find_invite(session=session, secret=code.group(1)) is not None
    missing = io.StringIO()
    assert main(["org", "officer", "add", "Chi bộ Văn phòng", "X"], out=missing) == 1
    assert "No cell is under Chi bộ Văn phòng" in missing.getvalue()

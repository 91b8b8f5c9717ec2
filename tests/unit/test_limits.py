"""Every screen that lists a cell's members, built for a 250-member cell, fits Telegram and Zalo
(bot.limits), and the check itself refuses what a channel would refuse (issue 13)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest

from bot.channels import TELEGRAM, ZALO, ChannelProfile
from bot.db import Database
from bot.flows.engine import FlowContext, FlowKey
from bot.flows.invites import INVITE_FLOW
from bot.flows.registry import build_engine
from bot.i18n import translator
from bot.limits import Message, OverLimit, check, problems
from bot.models import (
    Campaign,
    CampaignKind,
    CheckInRound,
    MeetingKind,
    MemberStatus,
    Role,
    Rsvp,
    RsvpAnswer,
)
from bot.render import roster_keyboard, roster_text
from bot.render_attendance import committee_summary, roll_call_screen
from bot.render_checkins import round_figures_text
from bot.render_commitments import progress_text
from bot.render_meetings import answers_text
from bot.services import attendance, meetings, members, roster_reads, rsvps
from bot.services.campaigns import Progress
from bot.services.checkins import RoundFigures
from bot.shaping import shape
from bot.ui import Button, Screen
from tests import factories

SIZE = 250
PROFILES = [TELEGRAM, ZALO]
_FIRST = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
_MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc", "Hoàng", "Xuân"]
_LAST = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Phượng"]


def _names(count: int, skip: int = 0) -> list[str]:
    every = (" ".join(p) for p in itertools.product(_FIRST, _MIDDLE, _LAST))
    return list(itertools.islice((n for n in every if n != "Nguyễn Văn Bí"), skip, skip + count))


def fits(profile: ChannelProfile, screen: Screen) -> None:
    """Shapes the screen as the outbox does and checks every part against the channel."""
    parts = shape(profile, screen.text, screen.keyboard)
    check(profile, [Message(part.text, part.keyboard) for part in parts])


def _screens(db: Database, now: datetime, locale: str) -> list[tuple[str, Screen]]:
    t = translator(locale)
    out: list[tuple[str, Screen]] = []
    with db.session() as session:
        cell = factories.cell(session, now)
        org_id = cell.org.id or 0
        added = members.add_members(
            session=session,
            org_id=org_id,
            names=_names(SIZE - 1),
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            actor=cell.secretary,
            now=now,
        )
        meeting = meetings.create_meeting(
            session=session,
            org_id=org_id,
            draft=meetings.MeetingDraft(
                kind=MeetingKind.REGULAR, starts_at=now + timedelta(minutes=10), place="Hội trường"
            ),
            actor=cell.secretary,
            now=now,
        )
        entries = roster_reads.roster(session=session, org_id=org_id)
        assert len(entries) == SIZE
        for page in range(-(-SIZE // 20)):
            text = roster_text(t, cell.org, entries, page)
            out.append((f"roster {page}", Screen(text, roster_keyboard(t, org_id, entries, page))))
        call = attendance.roll_call(
            session=session, meeting_id=meeting.id or 0, person=cell.secretary, now=now
        )
        for page in range(-(-SIZE // 24)):
            for typed in (False, True):
                screen = roll_call_screen(t, call, typed=typed, page=page)
                out.append((f"roll call {page}", screen))

        roster = [e.member for e in entries]
        reason = "Đi công tác tại tỉnh bạn theo quyết định của cơ quan " * 20
        answers = {
            m.id or 0: Rsvp(
                meeting_id=meeting.id or 0,
                member_id=m.id or 0,
                answer=RsvpAnswer.EXCUSED if i % 2 else RsvpAnswer.ATTENDING,
                reason=reason[: rsvps.MAX_REASON] if i % 2 else None,
            )
            for i, m in enumerate(roster[: SIZE - 20])
        }
        out.append(("rsvp answers", Screen(answers_text(t, meeting, roster, answers))))
        figures = attendance.Figures(
            total=SIZE,
            exempt=0,
            attached=0,
            present=100,
            excused=100,
            unexcused=50,
            unmarked=0,
            excused_names=[(m.full_name, reason[:200]) for m in roster[:100]],
            unexcused_names=[m.full_name for m in roster[100:150]],
            consecutive_excused=[(m.full_name, 3) for m in roster[150:200]],
            missed_three_months=[m.full_name for m in roster[200:]],
        )
        out.append(("meeting tally", Screen(committee_summary(t, meeting, figures))))

        campaign = Campaign(
            id=1,
            org_id=org_id,
            kind=CampaignKind.PLEDGE,
            year=2027,
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            deadline=date(2027, 1, 31),
        )
        progress = Progress(expected=roster, by_member={})
        out.append(("commitments review", Screen(progress_text(t, campaign, cell.org, progress))))
        round_ = CheckInRound(
            id=1, campaign_id=1, seq=1, period_start=date(2027, 2, 1), opens_at=now, closes_at=now
        )
        figures_lines = round_figures_text(
            t, campaign, RoundFigures(round_, roster[:80], roster[80:120], roster[120:])
        )
        out.append(("check-ins", Screen("\n".join(figures_lines))))

        # Invite results for a hundred people (links and Zalo codes), and the link picker.
        engine = build_engine()
        key = FlowKey("telegram", "1", "1")
        params = {"bot_username": "chibot_test_bot", "zalo": True}
        opened = engine.start(
            session=session,
            name="invite",
            key=key,
            person=cell.secretary,
            t=t,
            now=now,
            params=params,
        )
        picker = engine.answer_text(
            session=session, key=key, person=cell.secretary, t=t, now=now, text="3"
        )
        assert picker is not None
        out.append(("link picker", picker.screen))
        following = engine.answer_text(
            session=session, key=key, person=cell.secretary, t=t, now=now, text="21"
        )
        assert following is not None
        assert following.screen.text != picker.screen.text
        out.append(("link picker page 2", following.screen))
        out.append(("invite menu", opened.screen))
        ctx = FlowContext(
            session=session,
            t=t,
            person=cell.secretary,
            key=key,
            now=now,
            answers={
                "org": str(org_id),
                "action": "add",
                "names": _names(100, skip=SIZE),
                "role": Role.MEMBER.value,
                "status": MemberStatus.FULL.value,
            },
            params=params,
        )
        out.append(("invite results", INVITE_FLOW.complete(ctx)))
        assert len(added) == SIZE - 1
        session.rollback()
    return out


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_screen_of_a_250_member_cell_fits_both_channels(
    db: Database, now: datetime, locale: str
) -> None:
    screens = _screens(db, now, locale)
    assert len(screens) > 40
    for name, screen in screens:
        for profile in PROFILES:
            try:
                fits(profile, screen)
            except OverLimit as exc:  # pragma: no cover - the failure message
                pytest.fail(f"{name} on {profile.name}: {exc}")


def _button(data: str = "rc|1", text: str = "Họp") -> dict[str, object]:
    return {"text": text, "data": data}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (Message("x" * 4096), []),
        (Message("x" * 4097), ["text of 4097 > 4096"]),
        (Message("🟢" * 2049), ["text of 4098 > 4096"]),  # an emoji counts twice
        (Message(""), ["empty text"]),
        (Message("ok", [[_button()] * 9]), ["a row of 9 buttons > 8"]),
        (Message("ok", [[_button()]] * 101), ["101 buttons > 100"]),
        (Message("ok", [[_button("x" * 65)]]), ["button 'Họp': callback data of 65 bytes"]),
        (Message("ok", [[_button("")]]), ["button 'Họp': callback data of 0 bytes"]),
        (Message("ok", [[_button(text=" ")]]), ["a button without text"]),
        (Message("ok", [[{"text": "Mở", "url": "javascript:x"}]]), ["button 'Mở': bad url"]),
        (Message("ok", [[_button()]] * 100), []),
    ],
)
def test_telegram_limits(message: Message, expected: list[str]) -> None:
    assert problems(TELEGRAM, message) == expected


def test_zalo_limits() -> None:
    assert problems(ZALO, Message("x" * 2000)) == []
    assert problems(ZALO, Message("x" * 2001)) == ["text of 2001 > 2000"]
    assert problems(ZALO, Message("🟢" * 2000)) == []  # Zalo counts characters
    assert problems(ZALO, Message("ok", [[_button()]])) == ["buttons on a channel without buttons"]


def test_shaping_splits_text_and_refuses_a_keyboard_that_cannot_be_sent() -> None:
    long = "\n".join("🟢 " + "x" * 50 for _ in range(200))  # 200 emoji: UTF-16 is longer
    for profile in PROFILES:
        parts = shape(profile, long, None)
        assert len(parts) > 1
        check(profile, [Message(p.text, p.keyboard) for p in parts])
    too_many = [[Button(f"{n}", data=f"rc|{n}")] for n in range(101)]
    with pytest.raises(OverLimit, match="101 buttons"):
        shape(TELEGRAM, "Chọn", too_many)
    # Zalo lists them as numbered lines, split like any long text.
    assert len(shape(ZALO, "Chọn", too_many)[-1].options or []) == 101

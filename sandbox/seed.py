"""The sandbox's demo cell, seeded through the real services and the real bot commands."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, cast, func
from sqlmodel import select

from bot.db import Database
from bot.models import (
    Account,
    Meeting,
    MeetingKind,
    MemberStatus,
    ProcessedUpdate,
    Reachability,
    Role,
)
from bot.render_meetings import notice_text, rsvp_keyboard
from bot.services import invites, meetings, members, notices, orgs, people
from bot.ui import Screen
from fake_telegram import FakeChat, FakeTelegram, FakeUser

CHANNEL = "telegram"
PARENT_NAME = "Đảng bộ Ban Dân tộc tỉnh"
CELL_NAME = "Chi bộ Văn phòng"
GROUP_TITLE = "Chi bộ Văn phòng"
TIMEZONE = "Asia/Ho_Chi_Minh"
#: The fake server numbers basic groups from -4100000001; the cell's group is created first on
#: every start, so it keeps this id and the database's link to it stays valid across restarts.
GROUP_ID = -4_100_000_001
REPLY_TIMEOUT = 15.0
MEETING_TOPIC = "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"
MEETING_PLACE = "Phòng họp tầng 2, Ban Dân tộc tỉnh"
MEETING_AGENDA = ["Khai mạc", "Báo cáo chuyên đề", "Thảo luận, liên hệ bản thân", "Kết luận"]
#: The demo's thematic meeting: this many days after the first start, at 14:00 in Hà Nội, so
#: its reminders (3 days, 1 day and 2 hours before) are all still ahead.
MEETING_IN_DAYS = 4
MEETING_AT = clock_time(14, 0)


@dataclass(frozen=True)
class DemoPerson:
    """A simulated Telegram user of the demo, with a fixed id so restarts find the same person.

    Attributes:
        user_id: The Telegram user id (fixed).
        full_name: The name on the roster and on Telegram.
        role: The role on the roster; None for a newcomer who is not on it yet.
        status: The membership status on the roster.
        joins: Whether the seed joins them through a personal invite link.
        in_group: Whether they are in the cell's Telegram group.
    """

    user_id: int
    full_name: str
    role: Role | None
    status: MemberStatus = MemberStatus.FULL
    joins: bool = True
    in_group: bool = True


SECRETARY = DemoPerson(7_100_000_001, "Nguyễn Văn Bình", Role.SECRETARY)
DEPUTY = DemoPerson(7_100_000_002, "Trần Thị Hương", Role.DEPUTY)
NEWCOMER = DemoPerson(7_100_000_011, "Lý Thị Hoa", None, joins=False, in_group=False)
# On the roster but not on Telegram yet: the secretary sends him a link with /moi.
ROSTER_ONLY = DemoPerson(
    7_100_000_010, "Ngô Văn Thành", Role.MEMBER, MemberStatus.EXEMPT, joins=False, in_group=False
)
PEOPLE: tuple[DemoPerson, ...] = (
    SECRETARY,
    DEPUTY,
    DemoPerson(7_100_000_003, "Lê Văn Hùng", Role.MEMBER),
    DemoPerson(7_100_000_004, "Phạm Thị Mai", Role.MEMBER),
    DemoPerson(7_100_000_005, "Hoàng Văn Nam", Role.MEMBER),
    DemoPerson(7_100_000_006, "Vũ Thị Lan", Role.MEMBER),
    DemoPerson(7_100_000_007, "Đặng Quốc Tuấn", Role.MEMBER),
    DemoPerson(7_100_000_008, "Bùi Thị Thu Hà", Role.MEMBER),
    DemoPerson(7_100_000_009, "Đỗ Minh Khoa", Role.MEMBER, MemberStatus.PROBATIONARY),
    ROSTER_ONLY,
    NEWCOMER,
)

GROUP_CHAT = (
    (SECRETARY, "Chào các đồng chí! Từ nay chi bộ dùng chibot để nhắc lịch sinh hoạt, "
     "nhận thông báo và theo dõi cam kết. Mỗi đồng chí mở link mời riêng tôi gửi nhé."),
    (DEPUTY, "Đã rõ, cảm ơn đồng chí Bí thư."),
)  # fmt: skip


def started_user_ids(db: Database) -> set[int]:
    """Returns the users who wrote to the bot privately in earlier runs (it may write to them)."""
    with db.session() as session:
        found = session.exec(
            select(Account.external_id).where(
                Account.channel == CHANNEL,
                Account.reachability == Reachability.OK,
            )
        ).all()
    return {int(external_id) for external_id in found if external_id.lstrip("-").isdigit()}


def continue_update_ids(api: FakeTelegram, db: Database) -> None:
    """Numbers new updates after the last one the bot handled, as Telegram keeps counting.

    A fresh fake server starts again from its first update id, and the bot would silently skip
    those ids as already handled.
    """
    with db.session() as session:
        last = session.exec(
            # Telegram's update ids are numbers stored as text: compare them as numbers.
            select(func.max(cast(ProcessedUpdate.update_id, BigInteger))).where(
                ProcessedUpdate.channel == CHANNEL
            )
        ).one()
    if last is not None:
        api.queue.continue_after(int(last))


def prepare_world(api: FakeTelegram, db: Database) -> FakeChat:
    """Creates the demo users (fixed ids) and the cell's group in the fake server; every start.

    Returns:
        The group chat.
    """
    started = started_user_ids(db)
    users: dict[int, FakeUser] = {}
    for person in PEOPLE:
        users[person.user_id] = api.add_user(
            person.full_name,
            language_code="vi",
            user_id=person.user_id,
            started=person.user_id in started,
        )
    in_group = [users[p.user_id] for p in PEOPLE if p.in_group and p not in (SECRETARY, DEPUTY)]
    group = api.add_group(
        GROUP_TITLE,
        members=in_group,
        admins=[users[DEPUTY.user_id]],
        creator=users[SECRETARY.user_id],
    )
    if group.id != GROUP_ID:
        raise RuntimeError(f"the demo group got id {group.id}, expected {GROUP_ID}")
    continue_update_ids(api, db)
    return group


def ensure_orgs(db: Database, now: datetime) -> str | None:
    """Creates the đảng bộ and the chi bộ if missing (as `chibot org add` does).

    Returns:
        A setup code when the cell's group still has to be linked, else None.
    """
    with db.session() as session:
        if orgs.find_org(session=session, name=PARENT_NAME) is None:
            orgs.create_org(
                session=session,
                name=PARENT_NAME,
                parent_name=None,
                timezone=TIMEZONE,
                locale="vi",
                now=now,
            )
        cell = orgs.find_org(session=session, name=CELL_NAME)
        if cell is None:
            _, code = orgs.create_org(
                session=session,
                name=CELL_NAME,
                parent_name=PARENT_NAME,
                timezone=TIMEZONE,
                locale="vi",
                now=now,
            )
            return code
        if cell.group_chat_id is None:
            return orgs.issue_setup_code(session=session, org=cell, now=now)
    return None


class Conversation:
    """Drives simulated users and waits for the bot's answers (like the e2e tests do)."""

    def __init__(self, api: FakeTelegram) -> None:
        """Wraps the fake server."""
        self.api = api

    def user(self, person: DemoPerson) -> FakeUser:
        """Returns the fake user of a demo person."""
        return self.api.world.user_state(person.user_id).user

    async def say(self, user: FakeUser, text: str, chat: FakeChat | None = None) -> Any:
        """Sends text and returns the next message the bot sends in that chat."""
        target = chat.id if chat is not None else user.id
        since = time.monotonic()
        await self.api.user_sends(user, text, chat=chat)
        call = await self.api.next_call(
            "sendMessage",
            timeout=REPLY_TIMEOUT,
            where=lambda c: c.params.get("chat_id") == target and c.at >= since,
        )
        if call.result is None:
            raise RuntimeError(f"the bot could not answer {text!r}: {call.error}")
        return call.result

    async def confirm(self, user: FakeUser, message: Any) -> Any:
        """Taps the ✅ button under a message and returns the edited message."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        data = next(
            b["callback_data"]
            for row in rows
            for b in row
            if str(b.get("text", "")).startswith("✅") and "callback_data" in b
        )
        await self.api.user_taps(user, message, data)
        call = await self.api.next_call(
            "editMessageText",
            timeout=REPLY_TIMEOUT,
            where=lambda c: c.params.get("message_id") == message["message_id"],
        )
        return call.result


def _roster_additions(db: Database, now: datetime) -> dict[int, str]:
    """Adds missing demo people to the roster (as the secretary) and creates their links.

    Returns:
        The personal invite token of each demo user who still has to join, by user id.
    """
    tokens: dict[int, str] = {}
    with db.session() as session:
        cell = orgs.find_org(session=session, name=CELL_NAME)
        secretary = people.get_person(
            session=session, channel=CHANNEL, external_id=str(SECRETARY.user_id)
        )
        if cell is None or cell.id is None or secretary is None:
            raise RuntimeError("the demo cell is not linked to its group yet")
        on_roster = {m.full_name for m in members.active_members(session=session, org_id=cell.id)}
        missing = [p for p in PEOPLE if p.role not in (None, Role.SECRETARY)]
        missing = [p for p in missing if p.full_name not in on_roster]
        for (role, status), batch in groupby(missing, key=lambda p: (p.role, p.status)):
            assert role is not None
            members.add_members(
                session=session,
                org_id=cell.id,
                names=[p.full_name for p in batch],
                role=role,
                status=status,
                actor=secretary,
                now=now,
            )
        unjoined = invites.unjoined_members(session=session, org_id=cell.id)
        roster = {m.full_name: m for m in unjoined}
        for person in PEOPLE:
            entry = roster.get(person.full_name)
            if person.joins and entry is not None and entry.id is not None:
                tokens[person.user_id] = invites.create_personal_invite(
                    session=session, org_id=cell.id, member_id=entry.id, actor=secretary, now=now
                )
    return tokens


def ensure_meeting(db: Database, now: datetime) -> None:
    """Schedules the demo's thematic meeting as the secretary, once, and sends its notice.

    The same services the /taohop form completes with: the meeting and its reminders are
    derived, and the notice goes through the outbox to the group and each member.
    """
    with db.session() as session:
        cell = orgs.find_org(session=session, name=CELL_NAME)
        secretary = people.get_person(
            session=session, channel=CHANNEL, external_id=str(SECRETARY.user_id)
        )
        if cell is None or cell.id is None or secretary is None:
            raise RuntimeError("the demo cell is not linked to its group yet")
        if session.exec(select(Meeting.id).where(Meeting.org_id == cell.id)).first() is not None:
            return
        roster = {m.full_name: m for m in members.active_members(session=session, org_id=cell.id)}
        zone = ZoneInfo(cell.timezone)
        day = now.astimezone(zone).date() + timedelta(days=MEETING_IN_DAYS)
        draft = meetings.MeetingDraft(
            kind=MeetingKind.THEMATIC,
            starts_at=datetime.combine(day, MEETING_AT, tzinfo=zone).astimezone(UTC),
            topic=MEETING_TOPIC,
            place=MEETING_PLACE,
            chair_member_id=roster[SECRETARY.full_name].id,
            presenter_member_id=roster[DEPUTY.full_name].id,
            agenda=list(MEETING_AGENDA),
        )
        meeting = meetings.create_meeting(
            session=session, org_id=cell.id, draft=draft, actor=secretary, now=now
        )
        names = {m.id: m.full_name for m in roster.values() if m.id is not None}
        org = cell
        notices.announce_meeting(
            session=session,
            org=org,
            build=lambda t: Screen(notice_text(t, meeting, org, names), rsvp_keyboard(t, meeting)),
            key=f"notice:{meeting.id}:v{meeting.version}",
            now=now,
        )


async def seed_through_bot(
    api: FakeTelegram, db: Database, group: FakeChat, setup_code: str | None, now: datetime
) -> None:
    """Links the group with /thietlap and joins the demo's Telegram members with /start <token>.

    Each step is skipped when the database shows it was done, so an interrupted seed resumes.
    The Zalo member joins next (sandbox.seed_zalo), then the meeting is scheduled
    (ensure_meeting), so that every member gets its notice.
    """
    talk = Conversation(api)
    secretary = talk.user(SECRETARY)
    if setup_code is not None:
        await talk.say(secretary, f"/thietlap {setup_code}", chat=group)
        for person, text in GROUP_CHAT:
            await api.user_sends(talk.user(person), text, chat=group)
    if not api.world.user_state(secretary).started:
        await talk.say(secretary, "/start")
    tokens = _roster_additions(db, now)
    for person in PEOPLE:
        token = tokens.get(person.user_id)
        if token is not None:
            user = talk.user(person)
            invitation = await talk.say(user, f"/start {token}")
            await talk.confirm(user, invitation)

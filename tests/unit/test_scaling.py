"""No per-update work grows with the cell (issue 14).

One cell grows from 10 to 1,000 joined members (half of them have answered the upcoming
meeting's notice and read its document). At each size the same updates go through the core as
an adapter hands them over (`turns.handle` with an `Incoming`), each by a fresh actor in the same
situation: an RSVP tap, "✅ Đã nắm" on an announcement sent to the whole cell, `/lichhop` (a
member's and a committee member's), a join through a personal invite, a join code and a cell
link, and the steps of a form (the reason of an excused absence, scheduling a meeting). The
statements each update runs and the rows it loads (see tests/statements.py) must be EQUAL at
both sizes.

The cell is measured at 10, 50 and 1,000 members. Three steps of the scheduling form list the
roster as choices (asking for the chair, and for the presenter): they show one page of names, so
they are compared between a cell larger than the page (50) and 1,000. Each measured update is
checked to have done its job (an answer recorded, a member joined, the form at its last step with
the right names), so that equal costs never come from updates that all failed alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.actions import build_actions
from bot.actions.core import Core, Incoming, IncomingKind
from bot.actions.turns import handle
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.flows.engine import SHOWN, FlowKey
from bot.flows.registry import build_engine
from bot.models import (
    EXPECTED_STATUSES,
    Account,
    AnnouncementKind,
    AnnouncementRecipient,
    AudienceKind,
    DocumentRead,
    FlowState,
    JoinRequest,
    JoinRequestStatus,
    MeetingKind,
    Member,
    MemberStatus,
    OutboxMessage,
    ReflectionKind,
    Role,
    Rsvp,
    RsvpAnswer,
    StudySubmission,
)
from bot.services import announcements, documents, invites, meetings, members, people, rsvps
from bot.ui import choice
from tests import factories
from tests.statements import count_statements

ACTIONS = build_actions()
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Kim"]
GIVENS = ["An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hà", "Khánh", "Lan", "Yến"]
# The form's roster choices show this many names: a cell this big fills the page.
PAGE_FILLED = 50
SIZES = (10, PAGE_FILLED, 1000)
_updates = itertools.count(1)
# Per cell size, the rows each measured update loaded, by statement (shown when a test fails).
DETAILS: dict[int, dict[str, list[tuple[int, str]]]] = {}


def name(i: int) -> str:
    """The i-th of 1,000 distinct Vietnamese names, in no particular order."""
    j = (i * 379) % 1000
    return f"{SURNAMES[j // 100]} {MIDDLES[(j // 10) % 10]} {GIVENS[j % 10]}"


@dataclass
class Actor:
    user_id: str
    display_name: str
    channel: str = "telegram"


@dataclass
class World:
    core: Core
    cell: factories.Cell
    meeting_id: int
    secretary: Actor
    size: int = 1  # joined members, the secretary included
    answered: list[Actor] = field(default_factory=list)  # answered the notice
    spare: list[Actor] = field(default_factory=list)  # joined, not answered yet
    strangers: itertools.count[int] = field(default_factory=lambda: itertools.count(900_000))

    @property
    def org_id(self) -> int:
        assert self.cell.org.id is not None
        return self.cell.org.id


def send(world: World, actor: Actor, **fields: object) -> str:
    """Hands one private update to the core as an adapter would; returns its update id."""
    update = f"s{next(_updates)}"
    incoming = Incoming(
        channel=actor.channel,
        update_id=update,
        chat_id=actor.user_id,
        user_id=actor.user_id,
        display_name=actor.display_name,
        **fields,  # type: ignore[arg-type]
    )
    handle(world.core, ACTIONS, incoming)
    return update


def command(world: World, actor: Actor, text: str) -> str:
    head, *words = text.split()
    return send(world, actor, kind=IncomingKind.COMMAND, command=head[1:], args=tuple(words))


def in_group(world: World, actor: Actor, text: str) -> str:
    """Hands one command sent in the cell's group to the core; returns its update id."""
    update = f"s{next(_updates)}"
    head, *words = text.split()
    assert world.cell.org.group_chat_id is not None
    incoming = Incoming(
        channel=actor.channel,
        update_id=update,
        chat_id=world.cell.org.group_chat_id,
        user_id=actor.user_id,
        display_name=actor.display_name,
        in_group=True,
        kind=IncomingKind.COMMAND,
        command=head[1:],
        args=tuple(words),
    )
    handle(world.core, ACTIONS, incoming)
    return update


def group_replies(world: World) -> int:
    """How many replies wait in the cell's group."""
    with world.core.db.session() as session:
        return len(
            session.exec(
                select(OutboxMessage.id).where(
                    OutboxMessage.chat_id == world.cell.org.group_chat_id
                )
            ).all()
        )


def typed(world: World, actor: Actor, text: str) -> str:
    return send(world, actor, kind=IncomingKind.TEXT, text=text)


def tap(world: World, actor: Actor, data: str) -> str:
    return send(world, actor, kind=IncomingKind.CHOICE, choice=data, message_id="1")


def replies(world: World, actor: Actor, update: str) -> str:
    """Returns the texts an update queued in the actor's chat (messages and edits)."""
    with world.core.db.session() as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(f"u:{actor.channel}:{update}:"))
            .order_by(col(OutboxMessage.id))
        ).all()
        return "\n".join(str(row.payload.get("text", "")) for row in rows)


def answer_of(world: World, actor: Actor) -> Rsvp | None:
    with world.core.db.session() as session:
        person = people.get_person(
            session=session, channel=actor.channel, external_id=actor.user_id
        )
        assert person is not None
        member = members.membership_in(session=session, person=person, org_id=world.org_id)
        assert member is not None
        assert member.id is not None
        return rsvps.answer_of(session=session, meeting_id=world.meeting_id, member_id=member.id)


def announce(world: World, now: datetime) -> int:
    """Sends an announcement to the whole cell as it is now; returns its id."""
    with world.core.db.session() as session:
        found = announcements.create(
            session=session,
            draft=announcements.Draft(
                org_id=world.org_id, text="Họp chi bộ lúc 19h30.", audience=AudienceKind.CELL
            ),
            actor=world.cell.secretary,
            now=now,
        )
        assert found.id is not None
        return found.id


def study_campaign(world: World, now: datetime) -> int:
    """Sends study material asking a reflection to the whole cell; returns its id."""
    with world.core.db.session() as session:
        found = announcements.create(
            session=session,
            draft=announcements.Draft(
                org_id=world.org_id,
                text="Quán triệt Nghị quyết.",
                audience=AudienceKind.CELL,
                kind=AnnouncementKind.STUDY,
                deadline=now + timedelta(days=7),
                reflection=ReflectionKind.TEXT,
                min_length=20,
            ),
            actor=world.cell.secretary,
            now=now,
        )
        assert found.id is not None
        return found.id


def submitted(world: World, campaign_id: int) -> list[str]:
    """The reflections submitted to a campaign."""
    with world.core.db.session() as session:
        return list(
            session.exec(
                select(StudySubmission.text).where(StudySubmission.announcement_id == campaign_id)
            ).all()
        )


def acknowledged(world: World, announcement_id: int, actor: Actor) -> bool:
    """Whether the actor's acknowledgement of the announcement is recorded."""
    with world.core.db.session() as session:
        person = people.get_person(
            session=session, channel=actor.channel, external_id=actor.user_id
        )
        assert person is not None
        member = members.membership_in(session=session, person=person, org_id=world.org_id)
        assert member is not None
        recipient = session.exec(
            select(AnnouncementRecipient).where(
                AnnouncementRecipient.announcement_id == announcement_id,
                AnnouncementRecipient.member_id == member.id,
            )
        ).one()
        return recipient.acked_at is not None


def joined_through(world: World, secret: str) -> bool:
    """Whether the personal invite was used and its roster entry has joined."""
    with world.core.db.session() as session:
        invite = invites.find_invite(session=session, secret=secret)
        assert invite is not None
        assert invite.member_id is not None
        entry = session.get(Member, invite.member_id)
        return invite.used_at is not None and entry is not None and entry.person_id is not None


def member_name(world: World, member_id: str) -> str:
    with world.core.db.session() as session:
        member = session.get(Member, int(member_id))
        assert member is not None
        return member.full_name


def form_button(world: World, actor: Actor, pick: int | str) -> str:
    """Returns the data of a button of the actor's open form: the `pick`-th option it listed
    (or the option with that value)."""
    with world.core.db.session() as session:
        state = session.exec(
            select(FlowState).where(
                FlowState.channel == actor.channel, FlowState.user_id == actor.user_id
            )
        ).one()
        flow = world.core.flows.flows[state.flow]
        shown = [str(v) for v in state.params.get(SHOWN, {}).get("values", [])]
        value = shown[pick] if isinstance(pick, int) else pick
        return f"f|{state.nonce}|{flow.index(state.step)}|{value}"


def build(db: Database, now: datetime) -> World:
    core = Core(
        # Nothing is sent here, so every reply stays queued: no cap on the replies waiting.
        settings=Settings(
            _env_file=None,
            TELEGRAM_BOT_TOKEN="1:test",
            ZALO_BOT_TOKEN="2:test",
            CHIBOT_REPLY_QUEUE_CAP=100_000,
            CHIBOT_FLOOD_COMMANDS=0,
        ),
        db=db,
        clock=ManualClock(now),
        flows=build_engine(),
        bot_username="chibot_test_bot",
    )
    with db.session() as session:
        cell = factories.cell(session, now)
        assert cell.org.id is not None
        draft = meetings.MeetingDraft(
            kind=MeetingKind.REGULAR,
            starts_at=now + timedelta(days=5),
            topic="Sinh hoạt chi bộ thường kỳ",
            place="Phòng họp tầng 2",
            chair_member_id=cell.secretary_member.id,
        )
        meeting = meetings.create_meeting(
            session=session, org_id=cell.org.id, draft=draft, actor=cell.secretary, now=now
        )
        assert meeting.id is not None
        documents.attach(
            session=session,
            meeting_id=meeting.id,
            incoming=documents.IncomingFile("file-1", "Nghị quyết.pdf", "application/pdf", 1000),
            actor=cell.secretary,
            now=now,
        )
        account = session.exec(
            select(Account).where(col(Account.person_id) == cell.secretary.id)
        ).one()
        secretary = Actor(account.external_id, cell.secretary.display_name)
    world = World(core=core, cell=cell, meeting_id=meeting.id, secretary=secretary)
    # The meeting's calendar file is stored once, by the first /lichhop: not a measured one.
    command(world, secretary, "/lichhop")
    return world


def grow(world: World, to: int, now: datetime) -> None:
    """Adds joined members up to `to`: every other one answers the notice and reads the
    document; the last four stay silent, spare actors for the measured taps."""
    names = [name(i) for i in range(world.size - 1, to - 1)]
    with world.core.db.session() as session:
        joined = factories.joined_members(session, world.cell, names, now)
        [document] = documents.documents_of(session=session, meeting_id=world.meeting_id)
        assert document.id is not None
        for index, (member, person, account) in enumerate(joined):
            actor = Actor(account.external_id, member.full_name)
            if index >= len(joined) - 4 or index % 2:
                world.spare.append(actor)
                continue
            rsvps.answer_rsvp(
                session=session,
                meeting_id=world.meeting_id,
                person=person,
                answer=RsvpAnswer.EXCUSED if index % 10 == 0 else RsvpAnswer.ATTENDING,
                reason="Ốm" if index % 10 == 0 else None,
                now=now,
            )
            documents.mark_read(session=session, document_id=document.id, person=person, now=now)
            world.answered.append(actor)
        # Some roster entries have not joined yet.
        members.add_members(
            session=session,
            org_id=world.org_id,
            names=[
                f"Chưa Tham Gia {GIVENS[i % 10]}" for i in range(max(1, (to - world.size) // 10))
            ],
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            actor=world.cell.secretary,
            now=now,
        )
    world.size = to


def stranger(world: World, channel: str = "telegram") -> Actor:
    n = next(world.strangers)
    user = str(n) if channel == "telegram" else f"{n:x}zz"
    return Actor(user, f"Người Mới {n}", channel)


def personal_invite(world: World, now: datetime) -> invites.IssuedInvite:
    with world.core.db.session() as session:
        [entry] = members.add_members(
            session=session,
            org_id=world.org_id,
            names=["Mai Thị Mới"],
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            actor=world.cell.secretary,
            now=now,
        )
        assert entry.id is not None
        return invites.issue_personal_invite(
            session=session,
            org_id=world.org_id,
            member_id=entry.id,
            actor=world.cell.secretary,
            now=now,
        )


def cell_invite(world: World, now: datetime) -> invites.IssuedInvite:
    with world.core.db.session() as session:
        return invites.issue_cell_invite(
            session=session, org_id=world.org_id, actor=world.cell.secretary, now=now
        )


Cost = tuple[int, int]  # statements, rows loaded


def measure(world: World, now: datetime) -> tuple[dict[str, Cost], dict[str, Cost]]:
    """Runs every measured update once, by fresh actors; returns the costs of the updates
    that must not grow at all, and of the two that list one page of the roster."""
    costs: dict[str, Cost] = {}
    details: dict[str, list[tuple[int, str]]] = {}
    updates: dict[str, str] = {}

    def run(label: str, step: Callable[[], str]) -> None:
        with count_statements(world.core.db) as counted:
            updates[label] = step()
        costs[label] = (counted.count, counted.rows)
        details[label] = counted.rows_by_statement()

    meeting = world.meeting_id
    attending, excused = world.spare.pop(), world.spare.pop()
    run("rsvp: tap attending", lambda: tap(world, attending, choice("rsvp", meeting, "a")))
    run("rsvp: tap excused", lambda: tap(world, excused, choice("rsvp", meeting, "x")))
    run("rsvp: reason (form step)", lambda: typed(world, excused, "Đi công tác"))
    announcement = announce(world, now)
    acknowledging = world.spare.pop()
    run("announcement: ✅ Đã nắm", lambda: tap(world, acknowledging, choice("aa", announcement)))
    studied = study_campaign(world, now)
    studying = world.spare.pop()
    run("study: 📖 Đã đọc / đã học", lambda: tap(world, studying, choice("aa", studied)))
    run("study: ✍️ Nộp bài thu hoạch", lambda: tap(world, studying, choice("sw", studied)))
    reflection = "Tôi đã học tập và sẽ làm theo nghị quyết."
    run("study: the reflection (form step)", lambda: typed(world, studying, reflection))
    member = world.answered[-1]
    with world.core.db.session() as session:
        read = len(session.exec(select(DocumentRead)).all())
        roster = members.active_members(session=session, org_id=world.org_id)
        # Read receipts count against those the document went to: joined, expected members.
        expected = len(
            [m for m in roster if m.status in EXPECTED_STATUSES and m.person_id is not None]
        )
    run("/lichhop: member", lambda: command(world, member, "/lichhop"))
    run("/lichhop: committee", lambda: command(world, world.secretary, "/lichhop"))
    # In the group: a member's command, and one from someone outside the cell (answered
    # once an hour at most: the membership is looked up by id, not in the roster).
    before = group_replies(world)
    run("group: /trogiup by a member", lambda: in_group(world, world.answered[0], "/trogiup"))
    run("group: /trogiup by a guest", lambda: in_group(world, stranger(world), "/trogiup"))
    assert group_replies(world) == before + 2

    personal = personal_invite(world, now)
    joining = stranger(world)
    run(
        "join: /start <personal link>", lambda: command(world, joining, f"/start {personal.token}")
    )
    confirm = form_button(world, joining, "yes")
    run("join: confirm", lambda: tap(world, joining, confirm))

    coded = personal_invite(world, now)
    zalo = stranger(world, "zalo")
    run("join: join code typed (Zalo)", lambda: typed(world, zalo, coded.code))
    run("join: confirm by number (Zalo)", lambda: typed(world, zalo, "1"))

    link = cell_invite(world, now)
    asking = stranger(world)
    run("join request: /start <cell link>", lambda: command(world, asking, f"/start {link.token}"))
    run("join request: full name", lambda: typed(world, asking, "Đỗ Thị Hương"))
    confirm = form_button(world, asking, "yes")
    run("join request: confirm", lambda: tap(world, asking, confirm))

    boss = world.secretary

    def form_tap(label: str, pick: int | str) -> None:
        data = form_button(world, boss, pick)
        run(label, lambda: tap(world, boss, data))

    run("form: /taohop", lambda: command(world, boss, "/taohop"))
    form_tap("form: kind", MeetingKind.REGULAR.value)
    run("form: topic", lambda: typed(world, boss, "Tổng kết công tác tháng"))
    form_tap("form: day", 2)
    form_tap("form: time", 0)
    form_tap("form: duration", 0)
    run("form: place (lists the roster)", lambda: typed(world, boss, "Hội trường A"))
    form_tap("form: chair (lists the roster)", 3)
    form_tap("form: presenter (lists the roster)", 5)
    form_tap("form: agenda", 0)
    form_tap("form: recurrence", 0)
    form_tap("form: reminders (preview with names)", 1)
    with world.core.db.session() as session:
        state = world.core.flows.state(session, FlowKey("telegram", boss.user_id, boss.user_id))
        assert state is not None
        assert state.step == "confirm"
        chair, presenter = state.answers["chair"], state.answers["presenter"]
    command(world, boss, "/huy")

    # Every measured update did what it is for.
    assert acknowledged(world, announcement, acknowledging)
    assert acknowledged(world, studied, studying)
    assert reflection in submitted(world, studied)
    assert (attending_answer := answer_of(world, attending)) is not None
    assert attending_answer.answer == RsvpAnswer.ATTENDING
    assert (excused_answer := answer_of(world, excused)) is not None
    assert (excused_answer.answer, excused_answer.reason) == (RsvpAnswer.EXCUSED, "Đi công tác")
    card = replies(world, member, updates["/lichhop: member"])
    assert f"Chủ trì: đồng chí {world.cell.secretary_member.full_name}" in card
    assert "📎 Nghị quyết.pdf ✓" in card
    card = replies(world, world.secretary, updates["/lichhop: committee"])
    assert f"📎 Nghị quyết.pdf (đã đọc {read}/{expected})" in card
    assert joined_through(world, personal.token)
    assert joined_through(world, coded.code)
    with world.core.db.session() as session:
        request = session.exec(
            select(JoinRequest).order_by(col(JoinRequest.id).desc()).limit(1)
        ).one()
        assert (request.full_name, request.status) == ("Đỗ Thị Hương", JoinRequestStatus.PENDING)
    preview = replies(world, boss, updates["form: reminders (preview with names)"])
    assert f"Chủ trì: đồng chí {member_name(world, chair)}" in preview
    assert f"Báo cáo viên: đồng chí {member_name(world, presenter)}" in preview
    listing = {label: costs.pop(label) for label in list(costs) if "lists the roster" in label}
    DETAILS[world.size] = details
    return costs, listing


def report(sizes: tuple[int, int], small: dict[str, Cost], big: dict[str, Cost]) -> str:
    """The costs side by side, and for an update that grew, the statements that loaded rows."""
    lines = [f"statements, rows loaded at {sizes[0]} and at {sizes[1]} members:"]
    for key in small:
        grew = small[key] != big.get(key)
        lines.append(
            f"  {key:40s} {small[key]!s:>12s} {big.get(key)!s:>12s}{'  GREW' if grew else ''}"
        )
    for key in small:
        if small[key] != big.get(key):
            lines.append(f"{key} at {sizes[1]}:")
            lines.extend(f"  {rows:6d}  {text[:150]}" for rows, text in DETAILS[sizes[1]][key])
    return "\n".join(lines)


def test_no_update_costs_more_in_a_bigger_cell(db: Database, now: datetime) -> None:
    world = build(db, now)
    seen: dict[int, tuple[dict[str, Cost], dict[str, Cost]]] = {}
    for size in SIZES:
        grow(world, size, now)
        seen[size] = measure(world, now)
    small, paged, big = (seen[size] for size in SIZES)
    assert small[0] == big[0], report((SIZES[0], SIZES[-1]), small[0], big[0])
    assert paged[0] == big[0], report((PAGE_FILLED, SIZES[-1]), paged[0], big[0])
    # The steps that list the roster show one page of it, the same once the cell fills it.
    assert paged[1] == big[1], report((PAGE_FILLED, SIZES[-1]), paged[1], big[1])

"""Join codes: the short secret a member types to the Zalo bot, and where each secret works."""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.actions import build_actions
from bot.actions.core import Core, Incoming, IncomingKind
from bot.actions.turns import handle
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.flows.engine import FlowKey
from bot.flows.registry import build_engine
from bot.i18n import translator
from bot.models import Account, Invite, JoinRequest, Member, MemberStatus, OutboxMessage, Role
from bot.services import invites, join_codes, members, people
from bot.services.errors import Conflict, InvalidInput
from tests import factories

ALPHABET = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
LAN = "Trần Thị Lan"
VI = translator("vi")


def roster_entry(session: Session, cell: factories.Cell, now: datetime, name: str = LAN) -> Member:
    [member] = members.add_members(
        session=session,
        org_id=cell.org.id,
        names=[name],
        role=Role.MEMBER,
        status=MemberStatus.FULL,
        actor=cell.secretary,
        now=now,
    )
    return member


def issue(
    session: Session, cell: factories.Cell, member: Member, now: datetime
) -> invites.IssuedInvite:
    return invites.issue_personal_invite(
        session=session, org_id=cell.org.id, member_id=member.id, actor=cell.secretary, now=now
    )


def invite_row(session: Session, token: str) -> Invite:
    return session.exec(select(Invite).where(Invite.token_hash == _sha(token))).one()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- generation, normalisation, hashing --------------------------------------------------------


def test_codes_are_eight_unambiguous_characters_shown_as_two_groups() -> None:
    codes = {join_codes.new_join_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
        assert set(code.replace("-", "")) <= ALPHABET
        assert not set(code) & set("IL1O0")


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-EFGH",
        "abcd-efgh",
        "AbCd EfGh",
        "  abcdefgh  ",
        "ab cd - ef gh",
        "ABCD–EFGH",
        "ＡＢＣＤ-ＥＦＧＨ",
    ],
)
def test_typed_codes_are_normalised(typed: str) -> None:
    assert join_codes.normalise_join_code(typed) == "ABCDEFGH"
    assert join_codes.format_join_code(typed) == "ABCD-EFGH"
    assert join_codes.join_code_hash(typed) == _sha("ABCDEFGH")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ABCD-EFG",
        "ABCD-EFGHJ",
        "ABCD-EFG0",
        "ABCD-EFGI",
        "ABCD-EFGL",
        "ABCD-EFG1",
        "ĐBCD-EFGH",
    ],
)
def test_other_text_is_not_a_code(typed: str) -> None:
    assert join_codes.normalise_join_code(typed) is None
    assert invites.secret_kind(typed) is None
    with pytest.raises(ValueError):
        join_codes.join_code_hash(typed)


def test_codes_and_link_tokens_never_look_alike() -> None:
    assert invites.secret_kind("abcd-efgh") == invites.SecretKind.CODE
    assert invites.secret_kind("x" * 22) == invites.SecretKind.LINK
    assert join_codes.looks_like_join_code("abcd efgh")
    # Typed alone, an 8-letter word is not taken for a code attempt.
    assert not join_codes.looks_like_join_code("hangngay")


def test_only_the_hash_of_the_code_is_stored(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        issued = issue(session, cell, roster_entry(session, cell, now), now)
    assert issued.expires_at == now + invites.PERSONAL_LIFETIME
    with db.session() as session:
        row = invite_row(session, issued.token)
        assert row.join_code_hash == _sha(issued.code.replace("-", ""))
        stored = " ".join(str(v) for v in row.model_dump().values())
    assert issued.code not in stored
    assert issued.code.replace("-", "") not in stored
    assert issued.token not in stored


def test_each_invite_gets_its_own_code(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        entries = [roster_entry(session, cell, now, f"Nguyễn Văn {n}") for n in "ABCDE"]
        codes = {issue(session, cell, entry, now).code for entry in entries}
        codes.add(
            invites.issue_cell_invite(
                session=session, org_id=cell.org.id, actor=cell.secretary, now=now
            ).code
        )
    assert len(codes) == 6


# --- using a code ------------------------------------------------------------------------------


def test_a_code_joins_like_the_link_and_only_once(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        entry = roster_entry(session, cell, now)
        issued = issue(session, cell, entry, now)
        lan = factories.person(session, "Lan", now, channel="zalo")
        other = factories.person(session, "Khác", now, channel="zalo")
    typed = issued.code.lower().replace("-", " ")
    with db.session() as session:
        assert invites.kind_of(session=session, token=typed) == "personal"
        member, _ = invites.accept_personal_invite(
            session=session, token=typed, person=lan, now=now
        )
        assert member.id == entry.id
    for secret, person in ((issued.code, other), (issued.token, other), (issued.code, lan)):
        with db.session() as session, pytest.raises(Conflict) as info:
            invites.accept_personal_invite(session=session, token=secret, person=person, now=now)
        assert info.value.code in {"invite_used", "already_member"}
    with db.session() as session:
        assert session.get(Member, entry.id).person_id == lan.id


def test_the_link_used_first_kills_the_code(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        issued = issue(session, cell, roster_entry(session, cell, now), now)
        invites.accept_personal_invite(
            session=session,
            token=issued.token,
            person=factories.person(session, "a", now),
            now=now,
        )
        late = factories.person(session, "b", now, channel="zalo")
    with db.session() as session, pytest.raises(Conflict) as info:
        invites.preview_invite(session=session, token=issued.code, person=late, now=now)
    assert info.value.code == "invite_used"


def test_a_code_expires_with_its_invite(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        issued = issue(session, cell, roster_entry(session, cell, now), now)
        lan = factories.person(session, "Lan", now, channel="zalo")
    with db.session() as session, pytest.raises(Conflict) as info:
        invites.preview_invite(
            session=session, token=issued.code, person=lan, now=issued.expires_at
        )
    assert info.value.code == "invite_expired"
    with db.session() as session:
        preview = invites.preview_invite(
            session=session,
            token=issued.code,
            person=lan,
            now=issued.expires_at - timedelta(seconds=1),
        )
        assert preview.member is not None


def test_a_new_invite_revokes_the_old_code(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        entry = roster_entry(session, cell, now)
        old = issue(session, cell, entry, now)
        new = issue(session, cell, entry, now + timedelta(minutes=1))
        lan = factories.person(session, "Lan", now, channel="zalo")
    assert old.code != new.code
    with db.session() as session, pytest.raises(Conflict) as info:
        invites.preview_invite(session=session, token=old.code, person=lan, now=now)
    assert info.value.code == "invite_expired"


def test_unknown_codes_are_bad_invites(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        issued = issue(session, cell, roster_entry(session, cell, now), now)
        person = factories.person(session, "x", now, channel="zalo")
        unknown = "ZZZZ-ZZZZ" if issued.code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
        assert invites.find_invite(session=session, secret=unknown) is None
        with pytest.raises(InvalidInput) as info:
            invites.preview_invite(session=session, token=unknown, person=person, now=now)
    assert info.value.code == "bad_invite"


def test_a_cell_code_asks_the_secretary(db: Database, now: datetime) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        issued = invites.issue_cell_invite(
            session=session, org_id=cell.org.id, actor=cell.secretary, now=now
        )
        mai = factories.person(session, "Mai", now, channel="zalo")
    with db.session() as session:
        assert invites.kind_of(session=session, token=issued.code) == "cell"
        request, org = invites.request_join(
            session=session, token=issued.code, person=mai, full_name="Đỗ Thị Mai", now=now
        )
        assert org.id == cell.org.id
        assert members.membership_in(session=session, person=mai, org_id=cell.org.id) is None
    with db.session() as session:
        assert session.get(JoinRequest, request.id).status == "pending"


# --- the actions: which secret works on which channel ------------------------------------------

_updates = itertools.count(1)


@pytest.fixture
def core(db: Database, now: datetime) -> Core:
    settings = Settings(_env_file=None, TELEGRAM_BOT_TOKEN="1:test", ZALO_BOT_TOKEN="2:test")
    return Core(
        settings=settings,
        db=db,
        clock=ManualClock(now),
        flows=build_engine(),
        bot_username="chibot_test_bot",
    )


ACTIONS = build_actions()


def say(core: Core, channel: str, user: str, text: str) -> list[str]:
    """Hands one private message to the core as an adapter would; returns the texts queued."""
    update = f"t{next(_updates)}"
    if text.startswith("/"):
        head, *words = text.split()
        fields = {"kind": IncomingKind.COMMAND, "command": head[1:], "args": tuple(words)}
    else:
        fields = {"kind": IncomingKind.TEXT, "text": text}
    incoming = Incoming(
        channel=channel,
        update_id=update,
        chat_id=user,
        user_id=user,
        display_name=f"User {user}",
        **fields,  # type: ignore[arg-type]
    )
    handle(core, ACTIONS, incoming)
    with core.db.session() as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(f"u:{channel}:{update}:"))
            .order_by(col(OutboxMessage.id))
        ).all()
        return [str(row.payload.get("text", "")) for row in rows]


def _invited(db: Database, now: datetime) -> tuple[int, invites.IssuedInvite]:
    with db.session() as session:
        cell = factories.cell(session, now)
        entry = roster_entry(session, cell, now)
        return entry.id, issue(session, cell, entry, now)


def _joined(db: Database, member_id: int) -> bool:
    with db.session() as session:
        return session.get(Member, member_id).person_id is not None


def _unused(db: Database, token: str) -> bool:
    with db.session() as session:
        return invite_row(session, token).used_at is None


CODE_FOR_ZALO = (
    "This is a join code for Zalo: send it to chibot on Zalo. Here on {channel}, open "
    "the invite link that came with it. Nothing was changed."
)
LINK_FOR_TELEGRAM = (
    "This is an invite link for Telegram: open it in Telegram. Here on {channel}, send "
    "me the join code that came with it (8 characters, like ABCD-EFGH). Nothing was "
    "changed."
)
BAD_CODE = (
    "This join code is not valid. Check its 8 characters (like ABCD-EFGH), or ask your "
    "cell secretary for a new one."
)


def test_a_code_on_telegram_is_sent_to_zalo(core: Core, db: Database, now: datetime) -> None:
    member_id, issued = _invited(db, now)
    expected = VI.gettext(CODE_FOR_ZALO, channel="Telegram")

    assert say(core, "telegram", "501", f"/start {issued.code}") == [expected]
    assert say(core, "telegram", "501", issued.code.lower()) == [expected]

    assert not _joined(db, member_id)
    assert _unused(db, issued.token)
    with db.session() as session:
        assert core.flows.state(session, _key("telegram", "501")) is None


def test_a_telegram_link_on_zalo_is_sent_to_telegram(
    core: Core, db: Database, now: datetime
) -> None:
    member_id, issued = _invited(db, now)
    expected = VI.gettext(LINK_FOR_TELEGRAM, channel="Zalo")
    link = invites.deep_link("chibot_test_bot", issued.token)

    assert say(core, "zalo", "z1", f"/start {issued.token}") == [expected]
    assert say(core, "zalo", "z1", issued.token) == [expected]
    assert say(core, "zalo", "z1", f"Link của đồng chí: {link}") == [expected]

    assert not _joined(db, member_id)
    assert _unused(db, issued.token)


def test_a_code_on_zalo_opens_the_join_form_and_1_confirms(
    core: Core, db: Database, now: datetime
) -> None:
    member_id, issued = _invited(db, now)
    spaced = issued.code.lower().replace("-", " ")

    [prompt] = say(core, "zalo", "z2", f"/start {spaced}")
    assert LAN in prompt
    assert "1. ✅" in prompt
    assert not _joined(db, member_id)
    [welcome] = say(core, "zalo", "z2", "1")

    assert LAN in welcome
    assert welcome == VI.gettext(
        "Welcome, comrade {name}! You are now in <b>{cell}</b>. I will remind you of "
        "meetings and pass on the cell's announcements here. Send /trogiup to see what "
        "you can do.",
        name=LAN,
        cell="Chi bộ Văn phòng",
    ).replace("<b>", "").replace("</b>", "")
    with db.session() as session:
        account = people.get_account(session=session, channel="zalo", external_id="z2")
        assert session.get(Member, member_id).person_id == account.person_id
    assert not _unused(db, issued.token)
    # The same code again, from someone else: the invite is used.
    [again] = say(core, "zalo", "z3", issued.code)
    assert again == VI.gettext(
        "This invite link has already been used. Ask your cell secretary for a new one."
    )


def test_a_bare_code_on_zalo_opens_the_join_form(core: Core, db: Database, now: datetime) -> None:
    member_id, issued = _invited(db, now)

    [prompt] = say(core, "zalo", "z4", issued.code)
    assert not _joined(db, member_id)

    assert LAN in prompt
    with db.session() as session:
        state = core.flows.state(session, _key("zalo", "z4"))
        assert state is not None
        assert state.flow == "join_personal"


def test_unknown_codes_and_words_on_zalo(core: Core, db: Database, now: datetime) -> None:
    _, issued = _invited(db, now)
    unknown = "ZZZZ-ZZZZ" if issued.code != "ZZZZ-ZZZZ" else "YYYY-YYYY"

    assert say(core, "zalo", "z5", unknown) == [VI.gettext(BAD_CODE)]
    assert say(core, "zalo", "z5", f"/start {unknown}") == [VI.gettext(BAD_CODE)]
    assert say(core, "zalo", "z5", "/start xin chào") == [VI.gettext(BAD_CODE)]
    # An 8-letter word typed alone is not taken for a code.
    [reply] = say(core, "zalo", "z5", "hangngay")
    assert reply != VI.gettext(BAD_CODE)


def test_start_on_zalo_explains_the_code(core: Core) -> None:
    [reply] = say(core, "zalo", "z6", "/start")

    assert "/start ABCD-EFGH" in reply
    assert reply == VI.gettext(
        "Greetings, comrade! I am chibot, the assistant of Party cells: meeting reminders, "
        "commitments, announcements and reports, right here in the chat.\n\n"
        "To join your cell, send me the join code your cell secretary gives you (8 characters, "
        "like ABCD-EFGH): type /start ABCD-EFGH, or just the code."
    )


def test_joining_from_zalo_after_telegram_links_the_account(
    core: Core, db: Database, now: datetime
) -> None:
    with db.session() as session:
        cell = factories.cell(session, now)
        joined, lan = factories.joined_member(session, cell, LAN, now)
        issued = issue(session, cell, joined, now)

    [prompt] = say(core, "zalo", "z7", f"/start {issued.code}")
    assert LAN in prompt
    [done] = say(core, "zalo", "z7", "1")

    assert LAN in done
    with db.session() as session:
        account = people.get_account(session=session, channel="zalo", external_id="z7")
        assert account is not None
        assert account.person_id == lan.id
        assert people.address(session=session, person=session.get(type(lan), lan.id)) == account
        assert session.get(Member, joined.id).person_id == lan.id
        replies = session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == "z7")).all()
        # Everything this chat was sent belongs to the one person.
        assert {row.person_id for row in replies} == {lan.id}
        assert len(session.exec(select(Account).where(Account.person_id == lan.id)).all()) == 2


def _key(channel: str, user: str) -> FlowKey:
    return FlowKey(channel, user, user)


def test_linking_confirmed_with_a_typed_word(core: Core, db: Database, now: datetime) -> None:
    # "xác" is read by the flow engine (not as a listed option): the turn's replies must still
    # go to the person the account now belongs to.
    with db.session() as session:
        cell = factories.cell(session, now)
        joined, lan = factories.joined_member(session, cell, LAN, now)
        issued = issue(session, cell, joined, now)
    say(core, "zalo", "z8", f"/start {issued.code}")

    [done] = say(core, "zalo", "z8", "xác")

    assert LAN in done
    with db.session() as session:
        account = people.get_account(session=session, channel="zalo", external_id="z8")
        assert account is not None
        assert account.person_id == lan.id

"""Forged, oversized, empty or malformed button data, and buttons naming what does not exist:
each is answered "no longer valid" and changes nothing (issue 13)."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from sqlmodel import col, func, select

from bot.actions import build_actions
from bot.actions.core import Core, Incoming, IncomingKind
from bot.actions.turns import Handled, handle
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.flows.registry import build_engine
from bot.models import Account, OutboxMessage
from tests import factories

ACTIONS = build_actions()
INVALID = {"vi": "Nút này không còn hiệu lực.", "en": "This button is no longer valid."}
_updates = itertools.count(1)


@pytest.fixture
def core(db: Database, now: datetime) -> Core:
    return Core(
        settings=Settings(_env_file=None, TELEGRAM_BOT_TOKEN="1:test"),
        db=db,
        clock=ManualClock(now),
        flows=build_engine(),
    )


def _secretary(core: Core, now: datetime, locale: str = "vi") -> tuple[str, int]:
    with core.db.session() as session:
        cell = factories.cell(session, now)
        cell.secretary.locale = locale
        session.add(cell.secretary)
        account = session.exec(select(Account).where(Account.person_id == cell.secretary.id))
        return account.one().external_id, cell.org.id or 0


def _tap(core: Core, user: str, data: str) -> tuple[Handled, int]:
    update = f"forged{next(_updates)}"
    handled = handle(
        core,
        ACTIONS,
        Incoming(
            channel="telegram",
            update_id=update,
            kind=IncomingKind.CHOICE,
            chat_id=user,
            user_id=user,
            display_name="Nguyễn Văn Bình",
            choice=data,
        ),
    )
    with core.db.session() as session:
        queued = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.dedupe_key).startswith(f"u:telegram:{update}:"))
        ).one()
    return handled, queued


FORGED = [
    "",
    "x" * 65,
    "rc|" + "9" * 200,
    "rc|" + "9" * 30,  # past a 64-bit id: PostgreSQL would refuse the query
    "rc|١٢",  # int() reads Arabic-Indic digits
    "rc| 7",
    "rc|1_0",
    "rc|",
    "rc",
    "rsvp|1|a|extra",
    "rsvp|1|maybe",
    "lang|fr",
    "nosuch|1",
    "|||",
    "f|abc|²|x",  # str.isdigit() takes "²"
    "f|abc",
    "\x00",
]


@pytest.mark.parametrize("data", FORGED)
@pytest.mark.parametrize("locale", ["vi", "en"])
def test_forged_data_is_answered_as_invalid(
    core: Core, now: datetime, data: str, locale: str
) -> None:
    user, _ = _secretary(core, now, locale)
    handled, queued = _tap(core, user, data)
    assert handled == Handled(toast=INVALID[locale], alert=True)
    assert queued == 0


# Every button that names a meeting, a campaign, an item, a round, a request or a member by id.
MISSING_IDS = [
    "rc|987654",
    "ra|987654|987654",
    "rz|987654",
    "rn|987654|1",
    "ci|987654",
    "kl|987654",
    "rsvp|987654|a",
    "mr|987654",
    "ro|987654",
    "ma|987654",
    "me|987654",
    "dr|987654",
    "jr|987654|a",
    "kc|987654",
    "ks|987654|1",
    "ka|987654|1",
    "kd|987654",
    "kx|987654",
    "ku|987654",
    "ke|987654",
    "kp|987654",
    "kv|987654",
    "kr|987654",
    "tc|987654",
    "tr|987654",
    "te|987654|987654",
    "tl|987654",
    "mb|{org}|987654",
    "rp|987654|1",
    "rv|987654|a|1",
    "kb|987654",
    "kg|987654|good",
    "kj|987654",
    "kk|987654|year",
    "km|987654",
    "kq|987654",
    "kt|987654|year",
    "kw|987654|mid",
    "aa|987654",
    "ae|987654",
    "ag|987654",
    "al|987654",
    "at|987654|987654",
    "av|987654",
    "ax|987654",
    "ay|987654",
    "bo|987654",
    "ob|987654",
    "td|987654",
    "mt|987654",
    "kf|987654",
    "sw|987654",
    "sx|987654",
    "bp|987654|2027-H1",
    "cs|987654|timezone",
    "gp|987654",
    "ge|987654",
    "gc|987654",
    "gz|987654",
]


def test_every_choice_with_an_id_is_listed() -> None:
    with_ids = {name for name, entry in ACTIONS.choices.items() if entry.converters}
    listed = {data.split("|")[0] for data in MISSING_IDS}
    assert with_ids - {"f", "lang", "notify", "tv", "kn"} == listed


@pytest.mark.parametrize("data", MISSING_IDS)
def test_a_button_naming_what_does_not_exist_is_answered_as_invalid(
    core: Core, now: datetime, data: str
) -> None:
    user, org = _secretary(core, now)
    handled, queued = _tap(core, user, data.format(org=org))
    assert handled.toast is not None
    assert handled.toast.startswith(INVALID["vi"]), handled.toast
    assert handled.alert
    assert queued == 0

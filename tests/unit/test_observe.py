"""What an update's log line says it was: a command's name, a choice's action, never words."""

from __future__ import annotations

import logging

import pytest

from bot.actions.core import Incoming, IncomingKind
from handlers.observe import ERROR, HANDLED, UpdateLog, UpdateReport, what_of


def incoming(kind: IncomingKind, **fields: object) -> Incoming:
    return Incoming(
        channel="telegram",
        update_id="42",
        kind=kind,
        chat_id="7",
        user_id="7",
        display_name="Lan",
        **fields,  # type: ignore[arg-type]
    )


def test_what_names_the_action_without_its_arguments_or_words() -> None:
    assert what_of(incoming(IncomingKind.COMMAND, command="start", args=("TOKEN123",))) == "/start"
    assert what_of(incoming(IncomingKind.CHOICE, choice="rsvp|12|a")) == "rsvp"
    assert what_of(incoming(IncomingKind.TEXT, text="số CCCD 0123456789")) == "text"
    assert what_of(incoming(IncomingKind.FILE)) == "file"


def test_one_line_and_one_report_per_update(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[UpdateReport] = []
    updates = UpdateLog("telegram", seen.append)
    caplog.set_level(logging.INFO, logger="handlers")
    updates.done(42, "rsvp", HANDLED, updates.started())
    updates.done(43, "/lichhop", ERROR, updates.started())
    assert [(r.update_id, r.what, r.outcome) for r in seen] == [
        ("42", "rsvp", "handled"),
        ("43", "/lichhop", "error"),
    ]
    assert [m.split(" in ")[0] for m in caplog.messages] == [
        "telegram update 42 handled: rsvp",
        "telegram update 43 failed: /lichhop",
    ]

"""Registered secrets never reach a log line: in the message, its arguments or a traceback."""

from __future__ import annotations

import logging

import pytest

from chibot.redact import MASK, redact, redact_secrets

TOKEN = "777000:AAE-unit-test-secret-half"


def test_a_token_is_masked_in_messages_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redact_secrets(TOKEN, None, "")
    log = logging.getLogger("tests.redact")
    caplog.set_level(logging.INFO, logger="tests.redact")

    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    log.info("the secret half alone: %s", TOKEN.split(":")[1])
    try:
        # What python-telegram-bot raises when Telegram refuses the token.
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("could not start")
    log.info("an ordinary line with %d words", 5)

    assert caplog.messages == [
        f"calling https://api.telegram.org/bot{MASK}/getMe",
        f"the secret half alone: {MASK}",
        "could not start",
        "an ordinary line with 5 words",
    ]
    assert f"The token `{MASK}` was rejected" in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


def test_short_parts_are_not_secrets_on_their_own() -> None:
    redact_secrets("42:short")
    assert redact("bot42:short and short alone") == f"bot{MASK} and short alone"

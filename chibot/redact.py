"""Keeps the bot tokens and webhook secrets out of every log line, whoever logs it.

A library may put a token in a message (python-telegram-bot's InvalidToken names it, its debug
lines show the API URL, an HTTP client's error may quote the URL `…/bot<token>/…`). Every log
record made in this process passes through a record factory that replaces each registered
secret with "[redacted]", in the message and in the traceback, before any handler sees it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

MASK = "[redacted]"
# The secret half of a token alone is still a secret; shorter pieces could be ordinary words.
MIN_PART = 8

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_installed = False


def _parts(secret: str) -> list[str]:
    found = [secret]
    _, sep, tail = secret.partition(":")
    if sep and len(tail) >= MIN_PART:
        found.append(tail)
    return found


def redact_secrets(*secrets: str | None) -> None:
    """Registers secrets to hide from every log record from now on (idempotent)."""
    global _secrets, _installed
    new = {part for secret in secrets if secret for part in _parts(secret)}
    with _lock:
        # Longest first, so a token is replaced whole before its secret half.
        _secrets = tuple(sorted(set(_secrets) | new, key=len, reverse=True))
        if not _installed:
            _install()
            _installed = True


def redact(text: str) -> str:
    """Returns `text` with every registered secret replaced."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _install() -> None:
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if _secrets:
            _scrub(record)
        return record

    logging.setLogRecordFactory(factory)


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: logging reports it itself
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        trace = logging.Formatter().formatException(record.exc_info)
        clean = redact(trace)
        if clean != trace:
            # Formatters use exc_text when set: the traceback is printed without the secret.
            record.exc_text = clean

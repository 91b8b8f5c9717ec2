"""A screen shaped for a channel: split to its length limit, buttons or numbered options."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from bot.channels import ChannelProfile
from bot.limits import Message, check, text_units
from bot.text import split_message
from bot.ui import Keyboard

CANCEL_SUFFIX = "|~c"  # a form's cancel option, listed as "0"
_LINK = re.compile(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
# Room kept at the end of each part for its number, e.g. " (12/14)".
_COUNTER_ROOM = 10


@dataclass(frozen=True)
class Part:
    """One message to send: its text, and on the last part the keyboard or listed options."""

    text: str
    parse_mode: str | None
    keyboard: list[list[dict[str, Any]]] | None = None
    options: list[dict[str, Any]] | None = None


def plain_text(text: str) -> str:
    """Returns HTML message text as plain text (links keep their address)."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    return html.unescape(_TAG.sub("", text))


def numbered_options(keyboard: Keyboard) -> tuple[list[dict[str, Any]], list[str]]:
    """Returns a keyboard's choices numbered in reading order (a form's cancel is 0), and the
    lines that list them; link buttons become lines with their address."""
    options: list[dict[str, Any]] = []
    lines: list[str] = []
    words: list[str] = []
    cancel: dict[str, Any] | None = None
    for row in keyboard:
        for button in row:
            if button.url is not None:
                lines.append(f"🔗 {button.text}: {button.url}")
            elif button.word:
                words.append(f"• {button.text}")
            elif button.data is not None and button.data.endswith(CANCEL_SUFFIX):
                cancel = {"n": 0, "label": button.text, "data": button.data}
            elif button.data is not None:
                options.append({"n": len(options) + 1, "label": button.text, "data": button.data})
    lines.extend(f"{option['n']}. {option['label']}" for option in options)
    lines.extend(words)
    if cancel is not None:
        options.append(cancel)
        lines.append(f"0. {cancel['label']}")
    return options, lines


def _numbered(parts: list[str]) -> list[str]:
    if len(parts) == 1:
        return parts
    return [f"{part} ({index}/{len(parts)})" for index, part in enumerate(parts, start=1)]


def _split(profile: ChannelProfile, text: str, limit: int) -> list[str]:
    """Splits `text` to `limit` as the channel counts it (an emoji may count twice)."""
    chunks: list[str] = []
    for chunk in split_message(text, limit):
        excess = text_units(profile, chunk) - len(chunk)
        if excess and len(chunk) + excess > limit:
            chunks.extend(split_message(chunk, max(limit - excess, 1)))
        else:
            chunks.append(chunk)
    return _numbered(chunks or [text[:limit]])


def shape(profile: ChannelProfile, text: str, keyboard: Keyboard | None) -> list[Part]:
    """Returns the parts of one message for `profile`; long texts are split on paragraph or
    line boundaries and numbered "(1/3)". Every part is checked against the channel's limits
    (bot.limits.check): a keyboard too large for one message raises OverLimit."""
    parts = _parts(profile, text, keyboard or [])
    check(profile, (Message(part.text, part.keyboard) for part in parts))
    return parts


def _parts(profile: ChannelProfile, text: str, keyboard: Keyboard) -> list[Part]:
    limit = profile.text_limit - _COUNTER_ROOM
    if profile.buttons:
        chunks = _split(profile, text, limit)
        rows = [[button.to_json() for button in row] for row in keyboard]
        parse_mode = "HTML" if profile.html else None
        parts = [Part(chunk, parse_mode) for chunk in chunks[:-1]]
        parts.append(Part(chunks[-1], parse_mode, keyboard=rows or None))
        return parts
    body = plain_text(text) if not profile.html else text
    options, lines = numbered_options(keyboard)
    if lines:
        body = f"{body}\n\n" + "\n".join(lines)
    chunks = _split(profile, body, limit)
    parts = [Part(chunk, None) for chunk in chunks[:-1]]
    parts.append(Part(chunks[-1], None, options=options or None))
    return parts

"""What a channel accepts in one message (text length, buttons, callback data), and the one
check every message passes before it is queued: a screen that cannot be sent fails loudly
here, not as a refused request after the turn that built it has been answered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.channels import ChannelProfile

# Telegram: at most 100 buttons in a message, 8 in a row, callback data of 1–64 bytes; text is
# counted in UTF-16 code units (an emoji is two). Zalo has no buttons: options are text lines.
MAX_BUTTONS = 100
MAX_ROW = 8
MAX_DATA_BYTES = 64
URL_SCHEMES = ("http://", "https://", "tg://")


class OverLimit(ValueError):
    """A message the channel would refuse; `problems` says what is wrong with it."""

    def __init__(self, channel: str, problems: list[str]) -> None:
        super().__init__(f"{channel}: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Message:
    """One message as it will be sent: its text, and its keyboard as queued (JSON rows)."""

    text: str
    keyboard: list[list[dict[str, Any]]] | None = None


def text_units(profile: ChannelProfile, text: str) -> int:
    """Returns the length of `text` as `profile`'s channel counts it (Telegram: UTF-16 code
    units of the text as written, which is never shorter than what it shows)."""
    if profile.buttons:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def problems(profile: ChannelProfile, message: Message) -> list[str]:
    """Returns why the channel would refuse `message` (empty: it fits)."""
    found: list[str] = []
    units = text_units(profile, message.text)
    if not message.text.strip():
        found.append("empty text")
    if units > profile.text_limit:
        found.append(f"text of {units} > {profile.text_limit}")
    rows = message.keyboard or []
    if rows and not profile.buttons:
        found.append("buttons on a channel without buttons")
    count = sum(len(row) for row in rows)
    if count > MAX_BUTTONS:
        found.append(f"{count} buttons > {MAX_BUTTONS}")
    for row in rows:
        if len(row) > MAX_ROW:
            found.append(f"a row of {len(row)} buttons > {MAX_ROW}")
        for button in row:
            found.extend(_button_problems(button))
    return found


def _button_problems(button: dict[str, Any]) -> Iterable[str]:
    label = str(button.get("text") or "")
    if not label.strip():
        yield "a button without text"
    url = button.get("url")
    if url is not None:
        if not str(url).startswith(URL_SCHEMES):
            yield f"button {label!r}: bad url"
        return
    size = len(str(button.get("data") or "").encode())
    if not 1 <= size <= MAX_DATA_BYTES:
        yield f"button {label!r}: callback data of {size} bytes"


def check(profile: ChannelProfile, messages: Iterable[Message]) -> None:
    """Raises OverLimit if the channel would refuse any of `messages`."""
    found = [problem for message in messages for problem in problems(profile, message)]
    if found:
        raise OverLimit(profile.name, found)

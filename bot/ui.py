"""Channel-free message shapes: text plus a keyboard given as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHOICE_LIMIT = 64  # Telegram's callback data limit, in bytes
SEPARATOR = "|"


class ChoiceTooLong(ValueError):
    """A choice that would not fit in a button's callback data."""


def choice(name: str, *args: int | str) -> str:
    """Encodes an action a person can choose (`name|arg|…`), checked to fit in 64 bytes."""
    parts = [name, *(str(arg) for arg in args)]
    if any(SEPARATOR in part for part in parts):
        raise ValueError(f"'{SEPARATOR}' in a choice: {parts!r}")
    data = SEPARATOR.join(parts)
    if len(data.encode()) > CHOICE_LIMIT:
        raise ChoiceTooLong(data)
    return data


def split_choice(data: str) -> tuple[str, list[str]]:
    """Returns the action name and raw arguments of encoded choice data."""
    name, *args = data.split(SEPARATOR)
    return name, args


@dataclass(frozen=True)
class Button:
    """An inline button: either callback `data` (≤ 64 bytes) or a `url`."""

    text: str
    data: str | None = None
    url: str | None = None
    # Chosen on a channel without buttons by typing its label, never by a number (the
    # question itself wants a number typed, e.g. "how many sessions?").
    word: bool = False

    def to_json(self) -> dict[str, Any]:
        """Returns the button as stored in an outbox payload."""
        out: dict[str, Any] = {"text": self.text}
        if self.url is not None:
            out["url"] = self.url
        else:
            out["data"] = self.data or ""
        if self.word:
            out["word"] = True
        return out


Keyboard = list[list[Button]]


@dataclass
class Screen:
    """One message to show: HTML text (user strings already escaped) and its buttons."""

    text: str
    keyboard: Keyboard = field(default_factory=list)

    def keyboard_json(self) -> list[list[dict[str, str]]]:
        """Returns the keyboard as plain JSON for the outbox."""
        return [[button.to_json() for button in row] for row in self.keyboard]


@dataclass(frozen=True)
class FileOut:
    """A document to send: new bytes (small, e.g. an .ics), bytes stored once (`stored_id`), or
    a file the channel already has (`file_id`)."""

    filename: str
    content: bytes | None = None
    file_id: str | None = None
    stored_id: int | None = None
    caption: str = ""
    keyboard: Keyboard = field(default_factory=list)
    # An image shown as a photo (the digest's chart), not as a document.
    photo: bool = False


def keyboard_from_json(rows: Any) -> Keyboard:
    """Rebuilds a keyboard from its outbox JSON."""
    return [
        [
            Button(text=b["text"], data=b.get("data"), url=b.get("url"), word=bool(b.get("word")))
            for b in row
        ]
        for row in rows or []
    ]

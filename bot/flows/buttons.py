"""Flow buttons: the callback data `f|<nonce>|<step index>|<value>` and the numbered options a
channel without buttons lists (see bot.flows.engine)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.flows.matching import CANCEL_VALUE
from bot.ui import Screen

CALLBACK_PREFIX = "f"

_STEP = re.compile(r"[0-9]{1,4}")


def parse_callback(data: str) -> tuple[str, int, str] | None:
    """Splits flow callback data `f|<nonce>|<step>|<value>`; None if it is not a flow button."""
    parts = data.split("|", 3)
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if len(parts) != 4 or parts[0] != CALLBACK_PREFIX or not _STEP.fullmatch(parts[2]):
        return None
    return parts[1], int(parts[2]), parts[3]


@dataclass(frozen=True)
class NumberedOption:
    """One button of a flow screen as a text channel lists it; the cancel button is number 0."""

    number: int
    label: str
    data: str
    cancel: bool
    # Picked by typing its label only (the question wants a number typed): see Button.word.
    word: bool = False


def numbered_options(screen: Screen) -> list[NumberedOption]:
    """Returns a flow screen's buttons numbered as `answer_text` reads them (1..N, cancel 0)."""
    numbered: list[NumberedOption] = []
    count = 0
    for button in [b for row in screen.keyboard for b in row]:
        if button.data is None:
            continue
        parsed = parse_callback(button.data)
        if parsed is not None and parsed[2] == CANCEL_VALUE:
            numbered.append(NumberedOption(0, button.text, button.data, True, button.word))
        else:
            count += 1
            numbered.append(NumberedOption(count, button.text, button.data, False, button.word))
    return numbered

"""Typed answers to a step's options, for channels without buttons (Zalo) and people who type.

A screen's options are numbered 1..N in the order its buttons are shown (row by row), and 0 is
cancel. Besides a number, a person may type an option's label, folded: case, diacritics, emoji
and punctuation do not matter ("✅ Tham dự" = "tham dự" = "tham du"). On a choice or confirm
step (never on a free-text step) a label may also be given by its first words ("vắng" for "Vắng
có lý do") or by a run of its words ("lan" for "Nguyễn Thị Lan"), as long as only one fits. A
person may be named as members name each other: "đ/c Lan", "đồng chí Lan".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.i18n import Translator
from bot.text import clean_line, escape, fold, without_honorific

CANCEL_VALUE = "~c"  # the cancel button's value (its data ends in "|~c"); typed as 0 or "hủy"
# Typed words that close the form, folded ("hủy", "huỷ", "Hủy bỏ", "cancel").
CANCEL_WORDS = frozenset({"huy", "huy bo", "cancel"})
_NUMBER = re.compile(r"([0-9]{1,6})[.)]?")


def match_key(text: str) -> str:
    """Returns `text` folded without emoji, symbols or punctuation ("✅ Tham dự" → "tham du")."""
    folded = fold(text)
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in folded)
    return " ".join(kept.split())


def typed_number(text: str) -> int | None:
    """Returns the number if `text` is a bare number ("2", " 2 ", "2.", "2)"), else None."""
    found = _NUMBER.fullmatch(fold(text))
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class LabelMatch:
    """What a typed label means: cancel, or the positions (0-based) of the options it fits."""

    cancel: bool = False
    hits: tuple[int, ...] = ()


def _starts_with(label: str, typed: str) -> bool:
    return label == typed or label.startswith(typed + " ")


def _contains(label: str, typed: str) -> bool:
    return f" {typed} " in f" {label} "


def match_label(
    text: str,
    labels: Sequence[str],
    values: Sequence[str],
    *,
    free_text: bool,
    cancel_label: str = "",
) -> LabelMatch:
    """Matches typed words to option labels: exact first, then (unless free text) by words."""
    typed = match_key(text)
    if not typed:
        return LabelMatch()
    keys = [match_key(label) for label in labels]
    exact = tuple(i for i, key in enumerate(keys) if key == typed)
    if exact:
        return LabelMatch(hits=exact)
    # "đ/c Hùng", "đồng chí Hùng": a person named as members name each other.
    bare = without_honorific(typed)
    if bare != typed:
        typed = bare
        exact = tuple(i for i, key in enumerate(keys) if key == typed)
        if exact:
            return LabelMatch(hits=exact)
    if typed in CANCEL_WORDS or (cancel_label and typed == match_key(cancel_label)):
        return LabelMatch(cancel=True)
    if free_text:
        return LabelMatch()
    by_value = tuple(i for i, value in enumerate(values) if value == text.strip())
    if by_value:
        return LabelMatch(hits=by_value)
    tiers: tuple[Callable[[str, str], bool], ...] = (_starts_with, _contains)
    for fits in tiers:
        hits = tuple(i for i, key in enumerate(keys) if fits(key, typed))
        if hits:
            return LabelMatch(hits=hits)
    return LabelMatch()


class Unclear(Exception):
    """Typed text that names no single option of a choice; `message` is already localized."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def pick(
    t: Translator,
    text: str,
    options: Sequence[tuple[str, str]],
    shown: Sequence[str],
    *,
    free_text: bool,
    numbers_are_answers: bool = False,
) -> str | None:
    """Returns the value of the option typed (CANCEL_VALUE to cancel), or None for free text.

    `options` are the step's (value, label) pairs now, `shown` the values its last screen
    listed (what the numbers refer to). Raises Unclear when the text cannot be a free answer.
    With `numbers_are_answers` (a question that wants a number) a typed number is never an
    option nor a cancel: options are picked by their words only.
    """
    values = [value for value, _ in options]
    number = None if numbers_are_answers else typed_number(text)
    if number == 0:
        return CANCEL_VALUE
    if number is not None:
        if number <= len(shown):
            if shown[number - 1] not in values:
                raise Unclear(
                    t.gettext(
                        "The choices have changed since they were shown. Please choose again "
                        "from this list."
                    )
                )
            return shown[number - 1]
        if free_text:
            return None
        raise Unclear(range_hint(t, len(options)))
    labels = [label for _, label in options]
    found = match_label(
        text, labels, values, free_text=free_text, cancel_label=t.gettext("✖️ Cancel")
    )
    if found.cancel:
        return CANCEL_VALUE
    if len(found.hits) == 1:
        return values[found.hits[0]]
    if found.hits:
        raise Unclear(_several(t, text, [(values[i], labels[i]) for i in found.hits], shown))
    if free_text:
        return None
    unknown = t.gettext("No choice matches “{typed}”.", typed=_quoted(text))
    raise Unclear(f"{unknown} {range_hint(t, len(options))}")


MAX_LISTED = 10  # names listed when a typed word fits several options not all on show


def _several(
    t: Translator, text: str, hits: Sequence[tuple[str, str]], shown: Sequence[str]
) -> str:
    """Says which options the typed words fit: by the numbers the person sees, or (when some
    are on another page of a long list) by name, asking for more of it."""
    if all(value in shown for value, _ in hits):
        choices = ", ".join(f"{shown.index(value) + 1}. {escape(label)}" for value, label in hits)
        return t.gettext(
            "“{typed}” matches several choices: {choices} — please type the number.",
            typed=_quoted(text),
            choices=choices,
        )
    names = [escape(label) for _, label in hits[:MAX_LISTED]]
    if len(hits) > MAX_LISTED:
        names.append("…")
    return t.gettext(
        "“{typed}” matches several choices: {choices} — please type more of the name.",
        typed=_quoted(text),
        choices=", ".join(names),
    )


def range_hint(t: Translator, count: int) -> str:
    """Says which numbers a choice of `count` options accepts."""
    if count < 1:
        return t.gettext("Please tap one of the buttons (or type its number).")
    return t.gettext("Please type a number from 1 to {n}, or 0 to cancel.", n=t.number(count))


def _quoted(text: str) -> str:
    line = clean_line(text)
    return escape(line if len(line) <= 40 else line[:39] + "…")

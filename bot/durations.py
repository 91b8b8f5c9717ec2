"""Reads the lengths of time people type: "2 tiếng", "nửa tiếng", "1 tiếng rưỡi", "90 phút",
"1 tuần", "1h30", "2 hours", "half an hour", "a week" (accents and case do not matter)."""

from __future__ import annotations

import re

from bot.text import clean_line, fold

MINUTES = {
    "tuan": 7 * 24 * 60,
    "week": 7 * 24 * 60,
    "weeks": 7 * 24 * 60,
    "w": 7 * 24 * 60,
    "ngay": 24 * 60,
    "day": 24 * 60,
    "days": 24 * 60,
    "d": 24 * 60,
    "gio": 60,
    "tieng": 60,
    "hour": 60,
    "hours": 60,
    "hr": 60,
    "hrs": 60,
    "h": 60,
    "g": 60,
    "phut": 1,
    "minute": 1,
    "minutes": 1,
    "min": 1,
    "mins": 1,
    "m": 1,
    "p": 1,
}
# Counts written as words, folded ("một", "hai", … "mười"; "one" … "ten"; "a"/"an").
WORDS = {
    **dict.fromkeys(("mot", "one", "a", "an"), 1.0),
    **dict.fromkeys(("hai", "two"), 2.0),
    **dict.fromkeys(("ba", "three"), 3.0),
    **dict.fromkeys(("bon", "tu", "four"), 4.0),
    **dict.fromkeys(("nam", "five"), 5.0),
    **dict.fromkeys(("sau", "six"), 6.0),
    **dict.fromkeys(("bay", "seven"), 7.0),
    **dict.fromkeys(("tam", "eight"), 8.0),
    **dict.fromkeys(("chin", "nine"), 9.0),
    **dict.fromkeys(("muoi", "ten"), 10.0),
}
_UNIT = "|".join(sorted(MINUTES, key=len, reverse=True))
_COUNT = "|".join(sorted(WORDS, key=len, reverse=True))
# One amount of one unit: "2 tiếng", "1,5 giờ", "nửa tiếng", "half an hour", "1 tiếng rưỡi",
# and "1h30" / "1 giờ 30" (minutes after an hour, with no unit of their own).
_PART = re.compile(
    rf"(?<!\w)(?:(?P<n>\d{{1,4}}(?:[.,]\d{{1,2}})?)\s*|(?P<half>nua|half(?:\s+(?:of\s+)?an?)?)\s+"
    rf"|(?P<word>{_COUNT})\s+)(?P<unit>{_UNIT})(?![a-z])"
    r"(?:\s*(?P<ruoi>ruoi)(?!\w)|\s*(?P<extra>\d{1,2})(?![\w.,])(?!\s*[a-z]))?"
)
_LINKS = re.compile(r"(?<!\w)(?:va|and|truoc|before|trong|for)(?!\w)|[,;.+&\s]")


def _minutes(match: re.Match[str]) -> int | None:
    """The minutes one part stands for; None when it mixes units oddly ("2 phút 30")."""
    unit = MINUTES[match["unit"]]
    if match["half"]:
        amount = 0.5
    elif match["word"]:
        amount = WORDS[match["word"]]
    else:
        amount = float(match["n"].replace(",", "."))
    if match["ruoi"]:
        amount += 0.5
    extra = 0
    if match["extra"]:
        if unit != 60 or int(match["extra"]) > 59:
            return None
        extra = int(match["extra"])
    total = amount * unit + extra
    return int(total) if total == int(total) else None


def duration_parts(text: str) -> list[int] | None:
    """Returns the minutes of each length in `text`, in order ("3 ngày, 2 giờ" → [4320, 120]),
    or None unless the whole text is lengths joined by commas, "và"/"and" or "trước"/"before".
    """
    folded = fold(clean_line(text))
    parts: list[int] = []
    for match in _PART.finditer(folded):
        minutes = _minutes(match)
        if minutes is None:
            return None
        parts.append(minutes)
    leftover = _LINKS.sub("", _PART.sub(" ", folded))
    return parts if parts and not leftover else None


def parse_duration(text: str) -> int | None:
    """Returns one length in minutes ("1 tiếng 30 phút" is 90), or None if it is not one."""
    parts = duration_parts(text)
    return sum(parts) if parts is not None else None

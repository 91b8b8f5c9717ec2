"""The words a roster gives a role or a membership status in ("phó bí thư", "pbt", "deputy";
"dự bị", "probationary"), read from a file's column or from a line typed into /moi."""

from __future__ import annotations

import re
from typing import TypeVar

from bot.models import MemberStatus, Role
from bot.text import fold

# Whole words, in order: "phó bí thư" before "bí thư", "committee member" before "member".
_ROLES = (
    (("phó bí thư", "pbt", "deputy"), Role.DEPUTY),
    (("chi ủy viên", "ủy viên", "cuv", "committee"), Role.COMMITTEE),
    (("bí thư", "bt", "secretary"), Role.SECRETARY),
    (("đảng viên", "đv", "member"), Role.MEMBER),
)
_STATUSES = (
    (
        ("sinh hoạt tạm thời nơi khác", "tạm thời nơi khác", "attached elsewhere", "attached"),
        MemberStatus.ATTACHED_ELSEWHERE,
    ),
    (("miễn", "exempt"), MemberStatus.EXEMPT),
    (("dự bị", "probationary"), MemberStatus.PROBATIONARY),
    (("chính thức", "full"), MemberStatus.FULL),
)
_NON_WORD = re.compile(r"[\W_]+")
_T = TypeVar("_T")


def words(text: str) -> str:
    """Returns `text` folded (case and diacritics aside) as words separated by one space."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def _match(raw: str, table: tuple[tuple[tuple[str, ...], _T], ...]) -> _T | None:
    found = f" {words(raw)} "
    for keywords, value in table:
        if any(f" {words(keyword)} " in found for keyword in keywords):
            return value
    return None


def match_role(raw: str) -> Role | None:
    """Returns the role a cell's words name ("phó bí thư", "pbt", "deputy"…); None: none."""
    return _match(raw, _ROLES)


def match_status(raw: str) -> MemberStatus | None:
    """Returns the membership status words name ("dự bị", "probationary"…); None: none."""
    return _match(raw, _STATUSES)

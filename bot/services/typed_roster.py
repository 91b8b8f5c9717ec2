"""People typed into /moi, one per line, each optionally with a role and a status after a dash
or a comma: "Nguyễn Thị Hồng Nhung - phó bí thư - dự bị", "Lê Văn Hùng, deputy, probationary"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import MemberStatus, Role
from bot.services.errors import InvalidInput
from bot.services.members import MAX_NAMES_PER_BATCH
from bot.services.roster_words import match_role, match_status
from bot.text import InvalidName, fold, person_name

# A hyphen with a space on either side (a name such as "Jean-Paul" keeps its own); an en or
# em dash or a comma anywhere.
_SEPARATOR = re.compile(r"\s*-\s+|\s+-\s*|\s*[–—,]\s*")


@dataclass(frozen=True)
class TypedPerson:
    """One typed line: the name, and the role and status it gave (None: to be asked)."""

    line: int
    name: str
    role: Role | None = None
    status: MemberStatus | None = None

    def to_json(self) -> dict[str, str | int | None]:
        """Returns the line as kept in a form's answers."""
        return {
            "line": self.line,
            "name": self.name,
            "role": self.role.value if self.role else None,
            "status": self.status.value if self.status else None,
        }

    @classmethod
    def from_json(cls, raw: object, index: int) -> TypedPerson:
        """Reads a line kept in a form's answers (a bare name, as forms kept it before)."""
        if isinstance(raw, str):
            return cls(index + 1, raw)
        assert isinstance(raw, dict)
        role, status = raw.get("role"), raw.get("status")
        return cls(
            int(raw.get("line") or index + 1),
            str(raw["name"]),
            Role(role) if role else None,
            MemberStatus(status) if status else None,
        )


def _read_line(number: int, line: str) -> TypedPerson:
    head, *words = _SEPARATOR.split(line.strip())
    try:
        name = person_name(head)
    except InvalidName as exc:
        raise InvalidInput(f"name_{exc.reason}", line=number) from exc
    role: Role | None = None
    status: MemberStatus | None = None
    for word in (w.strip() for w in words):
        if not word:
            continue
        found_role, found_status = match_role(word), match_status(word)
        if found_role is None and found_status is None:
            raise InvalidInput("typed_unknown_word", line=number, word=word)
        if found_role is not None:
            if role is not None and role != found_role:
                raise InvalidInput("typed_two_roles", line=number)
            role = found_role
        if found_status is not None:
            if status is not None and status != found_status:
                raise InvalidInput("typed_two_statuses", line=number)
            status = found_status
    if role == Role.SECRETARY:
        raise InvalidInput("typed_secretary", line=number)
    return TypedPerson(number, name, role, status)


def parse_people(text: str) -> list[TypedPerson]:
    """Returns the people typed one per line; raises InvalidInput naming the first bad line."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise InvalidInput("names_empty")
    if len(lines) > MAX_NAMES_PER_BATCH:
        raise InvalidInput("names_too_many", limit=MAX_NAMES_PER_BATCH)
    people: list[TypedPerson] = []
    seen: set[str] = set()
    for number, line in lines:
        person = _read_line(number, line)
        if fold(person.name) in seen:
            raise InvalidInput("name_duplicate", line=number)
        seen.add(fold(person.name))
        people.append(person)
    return people

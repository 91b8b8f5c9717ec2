"""/moi's lines: a name, then optionally a role and a status after a dash or a comma."""

from __future__ import annotations

import pytest

from bot.models import MemberStatus, Role
from bot.services.errors import InvalidInput
from bot.services.typed_roster import TypedPerson, parse_people


def test_role_and_status_after_dashes_commas_and_in_english() -> None:
    people = parse_people(
        "Nguyễn Thị Hồng Nhung - phó bí thư - dự bị\n"
        "\n"
        "lê văn hùng – chi ủy viên, chính thức\n"
        "Tran Van Nam, deputy, probationary\n"
        "Phạm Thị Mai — đảng viên dự bị\n"
        "Jean-Paul Trần"
    )
    assert [(p.line, p.name, p.role, p.status) for p in people] == [
        (1, "Nguyễn Thị Hồng Nhung", Role.DEPUTY, MemberStatus.PROBATIONARY),
        (3, "Lê Văn Hùng", Role.COMMITTEE, MemberStatus.FULL),
        (4, "Tran Van Nam", Role.DEPUTY, MemberStatus.PROBATIONARY),
        (5, "Phạm Thị Mai", Role.MEMBER, MemberStatus.PROBATIONARY),
        (6, "Jean-Paul Trần", None, None),
    ]


def test_a_line_kept_in_a_form_reads_back_the_same() -> None:
    [person] = parse_people("Lê Văn Hùng - chi ủy viên")
    assert TypedPerson.from_json(person.to_json(), 0) == person
    assert TypedPerson.from_json("Lê Văn Hùng", 4) == TypedPerson(5, "Lê Văn Hùng")


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("Lê Văn Hùng\nNgô Văn Tư - trưởng thôn", "typed_unknown_word", {"line": 2}),
        ("Ngô Văn Tư - phó bí thư - chi ủy viên", "typed_two_roles", {"line": 1}),
        ("Ngô Văn Tư, dự bị, chính thức", "typed_two_statuses", {"line": 1}),
        ("Ngô Văn Tư - bí thư", "typed_secretary", {"line": 1}),
        ("Ngô Văn Tư\nngo van tu - dự bị", "name_duplicate", {"line": 2}),
        (" - dự bị", "name_empty", {"line": 1}),
    ],
)
def test_a_bad_line_is_named(text: str, code: str, params: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_people(text)
    assert info.value.code == code
    assert {k: info.value.params[k] for k in params} == params

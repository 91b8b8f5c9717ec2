"""Typed names on a long, paged list: the numbers a reply offers are those on show, and names
on other pages are asked for by more of the name (issue 13)."""

from __future__ import annotations

import pytest

from bot.flows.matching import Unclear, match_label, pick
from bot.i18n import translator

OPTIONS = [(str(n), name) for n, name in enumerate(
    ["Lê Văn An", "Trần Thị Hoa", "Phạm Văn Bình", "Nguyễn Thị Hoa", "Đỗ Văn Cường"], start=10
)]  # fmt: skip


def test_a_typed_name_fitting_several_on_show_offers_their_numbers_on_show() -> None:
    # On show: 1. Lê Văn An, 2. Phạm Văn Bình, 3. Nguyễn Thị Hoa, 4. Đỗ Văn Cường
    shown = ["10", "12", "13", "14"]
    with pytest.raises(Unclear) as caught:
        pick(translator("vi"), "van", OPTIONS, shown, free_text=False)
    assert "1. Lê Văn An, 2. Phạm Văn Bình, 4. Đỗ Văn Cường — đồng chí hãy gõ số." in (
        caught.value.message
    )


@pytest.mark.parametrize(
    ("locale", "ending"),
    [
        ("vi", "Trần Thị Hoa, Nguyễn Thị Hoa — đồng chí hãy gõ đầy đủ hơn tên người cần chọn."),
        ("en", "Trần Thị Hoa, Nguyễn Thị Hoa — please type more of the name."),
    ],
)
def test_a_typed_name_fitting_some_on_another_page_asks_for_more_of_it(
    locale: str, ending: str
) -> None:
    shown = ["12", "13", "14"]
    with pytest.raises(Unclear) as caught:
        pick(translator(locale), "hoa", OPTIONS, shown, free_text=False)
    assert caught.value.message.endswith(ending), caught.value.message


def test_a_whole_name_on_another_page_is_picked() -> None:
    assert pick(translator("vi"), "tran thi hoa", OPTIONS, ["12"], free_text=False) == "11"


@pytest.mark.parametrize(
    ("typed", "hit"),
    [
        ("đ/c Hùng", 0),
        ("Đ/C hùng", 0),
        ("đồng chí Lan", 1),
        ("dong chi Tran Thi Lan", 1),
        ("Đc. Hùng", 0),
        ("dc lan", 1),
    ],
)
def test_a_person_named_as_a_comrade(typed: str, hit: int) -> None:
    labels = ["Nguyễn Văn Hùng", "Trần Thị Lan", "Chưa quyết định"]
    found = match_label(typed, labels, ["1", "2", "~n"], free_text=False)
    assert found.hits == (hit,)


@pytest.mark.parametrize("typed", ["đ/c", "đồng chí", "đ/c Bình"])
def test_a_comrade_word_alone_or_an_unknown_name_matches_nobody(typed: str) -> None:
    labels = ["Nguyễn Văn Hùng", "Trần Thị Lan"]
    assert match_label(typed, labels, ["1", "2"], free_text=False).hits == ()

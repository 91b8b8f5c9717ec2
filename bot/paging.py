"""Pages of a long list (a roster, a roll call, a picker): the slice, its number and the
◀ ▶ buttons, the same on every screen that pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.i18n import Translator
from bot.ui import Button

T = TypeVar("T")

PAGE_SIZE = 20


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, where it starts in the whole list, and its place."""

    items: Sequence[T]
    start: int  # the index of the first item in the whole list
    number: int  # 0-based, clamped to the pages there are
    pages: int

    @property
    def several(self) -> bool:
        """Tells whether the list needs more than one page."""
        return self.pages > 1


def page_of(items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """Returns page `number` of `items` (a page past the end, or before the start, is the
    nearest that exists: an old ◀ ▶ button after the list shrank)."""
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 0), pages - 1)
    start = number * size
    return Page(items[start : start + size], start, number, pages)


def page_holding(index: int, size: int = PAGE_SIZE) -> int:
    """Returns the page that shows the item at `index` of the whole list."""
    return max(index, 0) // size


def page_line(t: Translator, page: Page[T]) -> str:
    """Returns "Page 2/11" (empty for a list of one page)."""
    if not page.several:
        return ""
    return t.gettext(
        "Page {page}/{pages}", page=t.number(page.number + 1), pages=t.number(page.pages)
    )


def paging_row(t: Translator, page: Page[T], data: Callable[[int], str]) -> list[Button]:
    """Returns the ◀ ▶ buttons of a page; `data` encodes the choice that shows page n."""
    row: list[Button] = []
    if page.number > 0:
        row.append(Button(t.gettext("◀ Previous"), data=data(page.number - 1)))
    if page.number < page.pages - 1:
        row.append(Button(t.gettext("Next ▶"), data=data(page.number + 1)))
    return row

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

import bot.catalog
from bot.catalog import problems
from bot.i18n import LOCALE_DIR, LOCALES

CANCELLED = "Cancelled. Nothing was changed."
LINKED = "This group is already linked to {name}."
COMRADES = "{n} comrade"


@pytest.fixture
def locale_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the committed catalogues that bot.catalog reads instead of the real ones."""
    copy = tmp_path / "locale"
    for locale in LOCALES:
        target = copy / locale / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", target)
    monkeypatch.setattr(bot.catalog, "LOCALE_DIR", copy)
    assert bot.catalog.po_path("vi") == copy / "vi" / "LC_MESSAGES" / "messages.po"
    return copy


@pytest.fixture
def baseline(locale_copy: Path) -> list[str]:
    """Problems of the untouched copy (none when the committed catalogues are complete)."""
    return problems()


def new_problems(baseline: list[str]) -> list[str]:
    return [found for found in problems() if found not in baseline]


def edit_vi(copy: Path, change: Callable[[Catalog], None]) -> None:
    path = copy / "vi" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    change(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog)


def message(catalog: Catalog, msgid: str) -> Message:
    found = catalog.get(msgid)
    assert found is not None, msgid
    return found


def test_committed_catalogues_have_no_problems() -> None:
    assert problems() == []


def test_unchanged_copy_has_the_same_problems(
    locale_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied = problems()
    monkeypatch.setattr(bot.catalog, "LOCALE_DIR", LOCALE_DIR)
    assert problems() == copied


def test_blank_msgstr_is_untranslated(locale_copy: Path, baseline: list[str]) -> None:
    edit_vi(locale_copy, lambda c: setattr(message(c, CANCELLED), "string", ""))
    assert new_problems(baseline) == [f"vi: untranslated: {CANCELLED!r}"]


def test_blank_plural_form_is_untranslated(locale_copy: Path, baseline: list[str]) -> None:
    edit_vi(locale_copy, lambda c: setattr(message(c, COMRADES), "string", ("",)))
    assert new_problems(baseline) == [f"vi: untranslated: {COMRADES!r}"]


def test_fuzzy_entry_is_reported(locale_copy: Path, baseline: list[str]) -> None:
    edit_vi(locale_copy, lambda c: message(c, CANCELLED).flags.add("fuzzy"))
    assert new_problems(baseline) == [f"vi: fuzzy: {CANCELLED!r}"]


@pytest.mark.parametrize(
    "broken",
    [
        "Nhóm này đã được liên kết với {ten}.",
        "Nhóm này đã được liên kết với name.",
        "Nhóm này đã được liên kết với {name} ({cell}).",
    ],
)
def test_broken_placeholder_is_reported(
    locale_copy: Path, baseline: list[str], broken: str
) -> None:
    edit_vi(locale_copy, lambda c: setattr(message(c, LINKED), "string", broken))
    found = new_problems(baseline)
    assert len(found) == 1
    assert found[0].startswith("vi: placeholders ")
    assert found[0].endswith(f"{LINKED!r}")
    assert "['name']" in found[0]


def test_broken_plural_placeholder_is_reported(locale_copy: Path, baseline: list[str]) -> None:
    edit_vi(locale_copy, lambda c: setattr(message(c, COMRADES), "string", ("đồng chí",)))
    assert new_problems(baseline) == [f"vi: placeholders [] != ['n']: {COMRADES!r}"]


def test_entry_missing_from_catalogue_is_reported(locale_copy: Path, baseline: list[str]) -> None:
    edit_vi(locale_copy, lambda c: c.delete(CANCELLED))
    assert new_problems(baseline) == [f"vi: not in the catalogue (run: make i18n): {CANCELLED!r}"]


def test_missing_catalogue_is_reported(locale_copy: Path, baseline: list[str]) -> None:
    (locale_copy / "en" / "LC_MESSAGES" / "messages.po").unlink()
    assert new_problems(baseline) == ["en: catalogue missing (run: make i18n)"]


def test_several_defects_are_all_reported(locale_copy: Path, baseline: list[str]) -> None:
    def change(catalog: Catalog) -> None:
        message(catalog, CANCELLED).string = ""
        message(catalog, LINKED).flags.add("fuzzy")

    edit_vi(locale_copy, change)
    found = new_problems(baseline)
    assert f"vi: untranslated: {CANCELLED!r}" in found
    assert f"vi: fuzzy: {LINKED!r}" in found
    assert len(found) == 2


def test_check_command_exit_codes(locale_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bot.catalog.main(["check"]) == 0
    edit_vi(locale_copy, lambda c: setattr(message(c, CANCELLED), "string", ""))
    assert bot.catalog.main(["check"]) == 1
    assert "1 catalogue problem(s)" in capsys.readouterr().err
    assert bot.catalog.main([]) == 2

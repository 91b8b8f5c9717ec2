"""Message catalogues: `update` re-extracts messages into the .po files, `check` verifies them."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import LOCALE_DIR, LOCALES

ROOT = LOCALE_DIR.parent
SOURCE_DIRS = ("bot", "handlers", "jobs")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TEMPLATE = LOCALE_DIR / "messages.pot"


def extract() -> Catalog:
    """Collects every message marked in the source into a fresh template."""
    catalog = Catalog(project="chibot", charset="utf-8")
    for directory in SOURCE_DIRS:
        found = extract_from_dir(
            ROOT / directory,
            method_map=[("**.py", "python")],
            keywords=DEFAULT_KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            location = (f"{directory}/{filename}", lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    """Returns where a locale's catalogue lives."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    """Reads a locale's catalogue."""
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def save(catalog: Catalog, path: Path) -> None:
    """Writes a catalogue, marked complete (the header is never fuzzy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False
    catalog.last_translator = "chibot maintainers"
    catalog.language_team = "chibot"
    catalog.msgid_bugs_address = ""
    with path.open("wb") as handle:
        write_po(handle, catalog, width=99, omit_header=False, sort_output=True)


def update() -> None:
    """Re-extracts the template and merges it into each locale (English mirrors its msgids)."""
    template = extract()
    save(template, TEMPLATE)
    for locale in LOCALES:
        path = po_path(locale)
        if path.exists():
            catalog = load(locale)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            catalog = Catalog(locale=locale, project="chibot", charset="utf-8")
            catalog.update(template, no_fuzzy_matching=True)
        if locale == "en":
            for message in catalog:
                if message.id and not _has_translation(message):
                    message.string = message.id
        save(catalog, path)


def _has_translation(message: Message) -> bool:
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def _ids(message: Message) -> Iterable[str]:
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    return [i for i in ids if i]


def _strings(message: Message) -> Iterable[str]:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return [s or "" for s in strings]


def problems() -> list[str]:
    """Returns every catalogue defect: missing, fuzzy, stale or placeholder-mismatched entries."""
    found: list[str] = []
    expected = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    for locale in LOCALES:
        if not po_path(locale).exists():
            found.append(f"{locale}: catalogue missing (run: make i18n)")
            continue
        catalog = load(locale)
        present = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        for missing in sorted(expected - present):
            found.append(f"{locale}: not in the catalogue (run: make i18n): {missing!r}")
        for message in catalog:
            if not message.id:
                continue
            label = message.id if isinstance(message.id, str) else message.id[0]
            if message.fuzzy:
                found.append(f"{locale}: fuzzy: {label!r}")
            if not _has_translation(message):
                found.append(f"{locale}: untranslated: {label!r}")
                continue
            wanted = set().union(*(set(PLACEHOLDER.findall(i)) for i in _ids(message)))
            for string in _strings(message):
                got = set(PLACEHOLDER.findall(string))
                if got != wanted:
                    found.append(
                        f"{locale}: placeholders {sorted(got)} != {sorted(wanted)}: {label!r}"
                    )
    return found


def main(argv: list[str]) -> int:
    """`python -m bot.catalog update|check`."""
    if argv[:1] == ["update"]:
        update()
        return 0
    if argv[:1] == ["check"]:
        defects = problems()
        for defect in defects:
            sys.stderr.write(defect + "\n")
        if defects:
            sys.stderr.write(f"{len(defects)} catalogue problem(s)\n")
            return 1
        sys.stdout.write("catalogues complete\n")
        return 0
    sys.stderr.write("usage: python -m bot.catalog update|check\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Text hygiene for user input: invisible characters, NFC normalisation, name validation, HTML
escaping, splitting."""

from __future__ import annotations

import html
import re
import unicodedata

MAX_NAME_LENGTH = 120

_SPACES = re.compile(r"\s+")
_FORBIDDEN_IN_NAME = re.compile(r"[<>&\"\\/{}\[\]@#$%^*=|~`]")


class InvalidName(ValueError):
    """A person's or organisation's name failed validation; `reason` is a stable code."""

    def __init__(self, reason: str, value: str) -> None:
        super().__init__(f"{reason}: {value[:40]!r}")
        self.reason = reason
        self.value = value


# Characters a person cannot see that change how text reads or compares: C0/C1 controls
# (newline and tab kept), zero-width characters and the word joiner, the byte-order mark, and
# the bidirectional embeddings, overrides and isolates (a name that shows reversed).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
)


def nfc(text: str) -> str:
    """Returns `text` in Unicode NFC form (Vietnamese typed on some phones arrives decomposed)."""
    return unicodedata.normalize("NFC", text)


def strip_invisible(text: str) -> str:
    """Returns `text` without control, zero-width and bidi-override characters (a carriage
    return before a newline goes too; a lone one becomes a newline)."""
    return _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def clean_input(text: str) -> str:
    """Returns typed text as the core keeps it: invisible characters stripped, NFC-normalised.

    Every text a person types (a message, a command's words, a roster file) passes here once,
    before any reading; a field left empty is then refused as empty by its own check.
    """
    return nfc(strip_invisible(text))


def clean_line(text: str) -> str:
    """Returns `text` cleaned (see clean_input) with runs of whitespace collapsed and ends
    stripped."""
    return _SPACES.sub(" ", clean_input(text)).strip()


def validate_name(raw: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """Returns the cleaned name or raises InvalidName (empty, too_long, markup, control)."""
    name = clean_line(raw)
    if not name:
        raise InvalidName("empty", raw)
    if len(name) > max_length:
        raise InvalidName("too_long", raw)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidName("control", raw)
    if _FORBIDDEN_IN_NAME.search(name):
        raise InvalidName("markup", raw)
    return name


def person_name(raw: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A person's name as typed (see validate_name), but title-cased when it was typed all in
    lower or all in upper case ("nguyễn văn an", "NGUYỄN VĂN AN" → "Nguyễn Văn An")."""
    name = validate_name(raw, max_length=max_length)
    if name.islower() or name.isupper():
        name = " ".join(word[:1].upper() + word[1:].lower() for word in name.split(" "))
    return name


def fold(text: str) -> str:
    """Returns a lower-case, accent-free form of `text` for lenient matching of typed words."""
    decomposed = unicodedata.normalize("NFD", nfc(text).replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return clean_line(stripped).casefold()


# How a comrade is named before the name, folded: "đồng chí Hùng", "đ/c Hùng", "Đc. Hùng" (and
# "d c hung", as punctuation-free matching writes "đ/c").
_HONORIFIC = re.compile(r"^(?:dong\s+chi|d\s*[/.]?\s*c)\.?\s+(?=\S)")


def without_honorific(folded: str) -> str:
    """Drops "đồng chí" / "đ/c" / "đc" before a folded name ("d/c hung" → "hung")."""
    return _HONORIFIC.sub("", folded, count=1)


def escape(text: str) -> str:
    """Escapes user-supplied text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


_PARAGRAPH_BREAK = re.compile(r"(\n\n+)")


def split_message(text: str, limit: int) -> list[str]:
    """Splits `text` into chunks of at most `limit` characters, preferring paragraph (blank
    line) boundaries, then line boundaries: a paragraph that fits stays whole in one chunk,
    so a name stays with its link.

    Lines never break inside an HTML tag because every line we render is self-contained.
    """
    if len(text) <= limit:
        return [text]
    pieces = _PARAGRAPH_BREAK.split(text)  # paragraph, break, paragraph, …
    chunks: list[str] = []
    current = ""
    for index in range(0, len(pieces), 2):
        paragraph = pieces[index]
        gap = pieces[index - 1] if index else ""
        if current and len(current) + len(gap) + len(paragraph) <= limit:
            current += gap + paragraph
            continue
        if current:
            chunks.append(current)
        if len(paragraph) <= limit:
            current = paragraph
            continue
        *full, current = _split_lines(paragraph, limit) or [""]
        chunks.extend(full)
    if current:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def _cut(line: str, limit: int) -> int:
    """Returns where to cut a line longer than `limit`: before the last space that fits (a
    long list of names is cut between two names), outside any tag, else at the limit."""
    space = line.rfind(" ", 1, limit + 1)
    head = line[:space]
    if space > limit // 2 and head.rfind("<") <= head.rfind(">") and "&" not in head[-8:]:
        return space
    return limit


def _split_lines(text: str, limit: int) -> list[str]:
    """Splits `text` at line boundaries into chunks of at most `limit` characters; a line
    longer than that is cut."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            cut = _cut(line, limit)
            chunks.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


# Vietnamese alphabetical order: letters with their vowel marks are letters of their own
# (a < ă < â, d < đ, o < ô < ơ, u < ư); the five tones only break ties (ngang, huyền, hỏi,
# ngã, sắc, nặng).
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vietnamese_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Returns a key that sorts Vietnamese words as a Vietnamese dictionary does."""
    letters: list[int] = []
    tones: list[int] = []
    for char in nfc(text).casefold():
        parts = unicodedata.normalize("NFD", char)
        tone = next((_TONES[m] for m in parts if m in _TONES), 0)
        base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in _TONES))
        letters.append(_LETTER_RANK.get(base, 100 + ord(base[0]) if base else 0))
        tones.append(tone)
    return tuple(letters), tuple(tones)


def _code(value: int) -> bytes:
    # Order-preserving and prefix-free; 0x00 is left for the end of a sequence: small values
    # (every letter of the alphabet, digits, spaces, most Latin letters) take one byte.
    if value < 0xEF:
        return bytes((value + 1,))
    return b"\xf0" + value.to_bytes(3, "big")


def vietnamese_sort_bytes(*texts: str) -> bytes:
    """Returns bytes that compare (byte by byte, as SQLite's BLOB and PostgreSQL's bytea do)
    exactly as the tuple of `vietnamese_sort_key` of each text compares: a sort key to store in
    a column and ORDER BY, whatever the database's collation."""
    out = bytearray()
    for text in texts:
        letters, tones = vietnamese_sort_key(text)
        for part in (letters, tones):
            for value in part:
                out += _code(value)
            out.append(0)
    return bytes(out)

"""Parses a cell roster file (CSV or XLSX) into validated rows and the rows it could not read."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from openpyxl import load_workbook

from bot.models import MemberStatus, Role
from bot.services.errors import Conflict, DomainError, InvalidInput
from bot.services.roster_words import match_role, match_status
from bot.services.roster_words import words as _words
from bot.text import InvalidName, clean_input, fold, person_name

MAX_BYTES = 2 * 1024 * 1024
# A workbook is a zip: what it would unpack to is checked before openpyxl reads a byte of it.
MAX_UNPACKED = 50 * 1024 * 1024
MAX_RATIO = 100  # unpacked / packed bytes; XML compresses 5–20 times, a zip bomb thousands
RATIO_FROM = 1024 * 1024  # small parts may compress well: the ratio counts past this size
MAX_PARTS = 1000
MAX_QUOTE_PROBLEMS = 50  # lines with a quote that never closes, before the file is refused
MAX_ROWS = 5000
VALUE_LIMIT = 60
HEADER_SEARCH = 10  # the header is the first of this many non-empty rows that names a name column

_HEADERS = {
    "name": ("họ và tên", "họ tên", "tên", "full name", "name"),
    "role": ("chức vụ", "vai trò", "role", "position"),
    "status": ("loại", "loại đảng viên", "trạng thái", "status", "type"),
    "phone": ("số điện thoại", "điện thoại", "sđt", "sdt", "số đt", "phone", "phone number"),
}
REQUIRED_COLUMNS = ("name", "role", "status")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]+")
_PHONE = re.compile(r"\+?[0-9]{8,15}")


@dataclass(frozen=True)
class RosterRow:
    """One readable roster row; `line` is the 1-based line (CSV) or row (XLSX) number."""

    line: int
    full_name: str
    role: Role
    status: MemberStatus
    phone: str | None


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read: a stable `reason` code and the offending cell text."""

    line: int
    reason: str
    value: str


@dataclass(frozen=True)
class RosterFile:
    """A parsed roster: good rows, problem rows and how the file was decoded."""

    rows: list[RosterRow]
    problems: list[RowProblem]
    encoding: str


class RosterFileError(Exception):
    """The whole file is unusable; `reason` is a stable code, `detail` a short string."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


_HEADER_KEYS = {_words(alias): key for key, aliases in _HEADERS.items() for alias in aliases}


def _decode(data: bytes) -> tuple[str, str]:
    """Returns (NFC text, encoding): UTF-8 (with or without BOM), else Windows-1258."""
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if bom:
            raise RosterFileError("encoding", "invalid UTF-8 after a UTF-8 BOM") from None
    else:
        if "\x00" in text:
            raise RosterFileError("encoding", "NUL bytes (UTF-16 or binary?)")
        return clean_input(text), "utf-8-sig" if bom else "utf-8"
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise RosterFileError("encoding", f"byte 0x{data[exc.start]:02x} at {exc.start}") from None
    for i, ch in enumerate(text):
        # Windows-1258 decodes almost any byte; text is sensible only without control characters
        # and with its combining tone marks sitting on letters.
        if (unicodedata.category(ch) == "Cc" and ch not in "\t\r\n") or (
            unicodedata.combining(ch) and (i == 0 or not text[i - 1].isalpha())
        ):
            raise RosterFileError("encoding", f"not UTF-8 or Windows-1258 near byte {i}")
    return clean_input(text), "cp1258"


def _non_empty(rows: Iterable[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Returns the rows with any non-blank cell, cells stripped; too_large past the row limit."""
    kept: list[tuple[int, list[str]]] = []
    for line, cells in rows:
        stripped = [cell.strip() for cell in cells]
        if any(stripped):
            if len(kept) > MAX_ROWS + HEADER_SEARCH:
                raise RosterFileError("too_large", f"more than {MAX_ROWS} rows")
            kept.append((line, stripped))
    return kept


def _quote_problem(raw: str, cells: list[str], delimiter: str) -> bool:
    """Tells whether a record read from the physical lines `raw` holds a quote that never
    closes: read strictly it runs off the end, or a quoted "field" swallowed whole lines."""
    if '"' not in raw:
        return False
    try:
        list(csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return True
    return any(delimiter in line for cell in cells for line in cell.split("\n")[1:])


def _csv_records(text: str, delimiter: str) -> Iterable[tuple[int, list[str] | None]]:
    """Yields (line, cells) per record, or (line, None) for a line whose quote never closes;
    reading then starts again on the next line, so one stray quote costs one line, not every
    line after it."""
    lines = text.split("\n")
    start = restarts = 0
    while start < len(lines):
        reader = csv.reader(io.StringIO("\n".join(lines[start:]), newline=""), delimiter=delimiter)
        previous = 0  # a record starts on the line after the previous record ended
        for cells in reader:
            raw = "\n".join(lines[start + previous : start + reader.line_num])
            if _quote_problem(raw, cells, delimiter):
                yield start + previous + 1, None
                start += previous + 1
                restarts += 1
                if restarts > MAX_QUOTE_PROBLEMS:
                    # Each one rereads the rest of the file: a file of stray quotes is refused.
                    raise RosterFileError("unreadable_csv", "too many unclosed quotes")
                break
            yield start + previous + 1, cells
            previous = reader.line_num
        else:
            return


def _csv_rows(text: str) -> tuple[list[tuple[int, list[str]]], list[RowProblem]]:
    first = next((ln for ln in text.splitlines() if ln.strip(" \t,;")), "")
    delimiter = max(",;\t", key=first.count)  # counted on the header line; ties go to ","
    lines = text.split("\n")
    unclosed: list[RowProblem] = []

    def records() -> Iterable[tuple[int, list[str]]]:
        for line, cells in _csv_records(text, delimiter):
            if cells is None:
                unclosed.append(RowProblem(line, "unclosed_quote", lines[line - 1][:VALUE_LIMIT]))
            else:
                yield line, cells

    try:
        return _non_empty(records()), unclosed
    except csv.Error as exc:
        raise RosterFileError("unreadable_csv", str(exc)[:VALUE_LIMIT]) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone typed as a number comes back as 912345678.0
    return clean_input(str(value))


def _check_zip(data: bytes) -> None:
    """Refuses a workbook whose parts would unpack past MAX_UNPACKED, or compress absurdly well
    (a zip bomb), from the zip's directory alone: nothing is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise RosterFileError("unreadable_xlsx", type(exc).__name__) from None
    if len(parts) > MAX_PARTS:
        raise RosterFileError("too_large", f"{len(parts)} parts in the workbook")
    unpacked = sum(part.file_size for part in parts)
    packed = sum(part.compress_size for part in parts)
    if unpacked > MAX_UNPACKED:
        raise RosterFileError("too_large", f"{unpacked} bytes unpacked")
    if unpacked > RATIO_FROM and unpacked > MAX_RATIO * max(packed, 1):
        raise RosterFileError("too_large", f"compressed {unpacked // max(packed, 1)} times")


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    _check_zip(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise RosterFileError("unreadable_xlsx", type(exc).__name__) from None
        try:
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # some writers store wrong dimensions; read every cell
            rows = sheet.iter_rows(values_only=True)
            return _non_empty((n, [_cell_text(v) for v in r]) for n, r in enumerate(rows, 1))
        except RosterFileError:
            raise
        except Exception as exc:
            raise RosterFileError("unreadable_xlsx", type(exc).__name__) from None
        finally:
            book.close()


def _header(rows: list[tuple[int, list[str]]]) -> tuple[int, dict[str, int]]:
    """Returns (index of the header row, column index by key)."""
    found: list[dict[str, int]] = []
    for cells in (cells for _, cells in rows[:HEADER_SEARCH]):
        columns: dict[str, int] = {}
        for i, cell in enumerate(cells):
            key = _HEADER_KEYS.get(_words(cell))
            if key is not None:
                columns.setdefault(key, i)
        if "name" in columns:
            return len(found), columns
        found.append(columns)
    return 0, found[0]


def parse_roster(data: bytes, filename: str) -> RosterFile:
    """Parses a roster file; bad rows become problems, an unusable file raises RosterFileError.

    Args:
        data: The file's bytes.
        filename: The file's name; only its extension (.csv or .xlsx) is used.

    Returns:
        The readable rows, the problems (by line) and the encoding ("xlsx" for workbooks).

    Raises:
        RosterFileError: unsupported_type, too_large, empty, encoding, unreadable_csv,
            unreadable_xlsx or missing_columns (detail lists them, e.g. "name,status").
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise RosterFileError("unsupported_type", suffix)
    if len(data) > MAX_BYTES:
        raise RosterFileError("too_large", f"{len(data)} bytes")
    if not data.strip():
        raise RosterFileError("empty", "no rows")
    unclosed: list[RowProblem] = []
    if suffix == ".xlsx":
        encoding, rows = "xlsx", _xlsx_rows(data)
    else:
        text, encoding = _decode(data)
        rows, unclosed = _csv_rows(text)
    if not rows:
        raise RosterFileError("empty", "no rows")
    start, columns = _header(rows)
    missing = [key for key in REQUIRED_COLUMNS if key not in columns]
    if missing:
        raise RosterFileError("missing_columns", ",".join(missing))
    if len(rows) == start + 1:
        raise RosterFileError("empty", "no data rows")
    if len(rows) - start - 1 > MAX_ROWS:
        raise RosterFileError("too_large", f"more than {MAX_ROWS} rows")
    width = len(rows[start][1]) if encoding != "xlsx" else None
    good: list[RosterRow] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for line, cells in rows[start + 1 :]:
        row, found = _read_row(line, cells, columns, width, seen)
        problems.extend(found)
        if row is not None:
            good.append(row)
    problems.extend(problem for problem in unclosed if problem.line > rows[start][0])
    problems.sort(key=lambda problem: problem.line)
    return RosterFile(good, problems, encoding)


def _read_row(
    line: int, cells: list[str], columns: dict[str, int], width: int | None, seen: set[str]
) -> tuple[RosterRow | None, list[RowProblem]]:
    """Reads one data row; a row with any problem yields no RosterRow. Adds its name to `seen`."""
    get = {key: cells[i] if i < len(cells) else "" for key, i in columns.items()}
    raw_name, raw_role = get["name"], get.get("role", "")
    raw_status, raw_phone = get["status"], get.get("phone", "")
    found: list[RowProblem] = []

    def problem(reason: str, value: str) -> None:
        found.append(RowProblem(line, reason, value[:VALUE_LIMIT]))

    name: str | None = None
    try:
        name = person_name(raw_name)
    except InvalidName as exc:
        problem(f"name_{exc.reason}", raw_name)
    role = match_role(raw_role) if raw_role else Role.MEMBER
    if role is None:
        problem("unknown_role", raw_role)
    status = match_status(raw_status)
    if status is None:
        problem("unknown_status", raw_status)
    phone = _PHONE_SEPARATORS.sub("", raw_phone) or None
    if phone is not None and not _PHONE.fullmatch(phone):
        problem("bad_phone", raw_phone)
    if width is not None and any(cells[width:]):
        problem("too_many_columns", ", ".join(cell for cell in cells[width:] if cell))
    if name is not None:
        if fold(name) in seen:
            problem("duplicate_name", raw_name)
        seen.add(fold(name))
    if found or name is None or role is None or status is None:
        return None, found
    return RosterRow(line, name, role, status, phone), found


def secretary_conflict(rows: list[RosterRow], *, current: str | None) -> DomainError | None:
    """Returns why `rows` cannot be imported into a cell whose secretary is `current` (None:
    no secretary yet): a cell has one secretary, so the file may name at most one, and only
    when the cell has none. None when the rows fit."""
    lines = [row.line for row in rows if row.role == Role.SECRETARY]
    if len(lines) > 1:
        return InvalidInput("roster_secretaries", lines=", ".join(str(line) for line in lines))
    if lines and current is not None:
        return Conflict("roster_secretary_exists", line=lines[0], name=current)
    return None

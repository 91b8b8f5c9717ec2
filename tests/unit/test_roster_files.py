import io
import unicodedata
import zipfile
from collections.abc import Callable

import openpyxl
import pytest

from bot.models import MemberStatus, Role
from bot.services import roster_files
from bot.services.roster_files import (
    MAX_BYTES,
    MAX_ROWS,
    MAX_UNPACKED,
    RosterFile,
    RosterFileError,
    RosterRow,
    RowProblem,
    parse_roster,
)

LAN, DUC, PHUONG = "Nguyễn Thị Lan", "Trần Văn Đức", "Lê Hoàng Phương"
VI_ROSTER = (
    "STT,Họ và tên,Chức vụ,Loại,Số điện thoại,Ghi chú\n"
    f"1,{LAN},Bí thư,Chính thức,0912 345 678,\n"
    f"2,{DUC},Phó bí thư,Dự bị,,chuyển đến\n"
    f"3,{PHUONG},Đảng viên,Miễn sinh hoạt,+84.98-765-4321,\n"
)
VI_EXPECTED = [
    RosterRow(2, LAN, Role.SECRETARY, MemberStatus.FULL, "0912345678"),
    RosterRow(3, DUC, Role.DEPUTY, MemberStatus.PROBATIONARY, None),
    RosterRow(4, PHUONG, Role.MEMBER, MemberStatus.EXEMPT, "+84987654321"),
]
TONES = "\u0300\u0301\u0303\u0309\u0323"  # the five combining tone marks Windows-1258 has


def cp1258(text: str) -> bytes:
    """Encodes like Vietnamese Windows: precomposed where cp1258 can, else base + tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out += (base + "".join(c for c in parts if c in TONES)).encode("cp1258")
    return bytes(out)


def csv_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx_of(*rows: list[object]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def error_of(data: bytes, filename: str = "roster.csv") -> RosterFileError:
    with pytest.raises(RosterFileError) as caught:
        parse_roster(data, filename)
    return caught.value


def parse(*lines: str) -> RosterFile:
    return parse_roster(csv_of(*lines), "roster.csv")


# --- Encodings -----------------------------------------------------------------------------


def test_cp1258_helper_really_produces_decomposed_windows_bytes() -> None:
    data = cp1258(LAN)
    assert b"Nguy\xea\xde" in data  # ê (0xEA) then combining tilde (0xDE)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda text: text.encode("utf-8"), "utf-8"),
        (lambda text: text.encode("utf-8-sig"), "utf-8-sig"),
        (cp1258, "cp1258"),
    ],
)
def test_same_vietnamese_roster_in_every_encoding(
    encode: Callable[[str], bytes], encoding: str
) -> None:
    result = parse_roster(encode(VI_ROSTER), "roster.csv")
    assert result == RosterFile(VI_EXPECTED, [], encoding)
    assert all(unicodedata.is_normalized("NFC", row.full_name) for row in result.rows)


def test_cp1258_with_crlf_and_semicolons() -> None:
    data = cp1258(f"Họ và tên;Chức vụ;Loại\r\n{DUC};Chi ủy viên;Đảng viên chính thức\r\n")
    result = parse_roster(data, "ROSTER.CSV")
    assert result.encoding == "cp1258"
    assert result.rows == [RosterRow(2, DUC, Role.COMMITTEE, MemberStatus.FULL, None)]


@pytest.mark.parametrize(
    "data",
    [
        b"name,role,status\n\x81\x8d,member,full\n",  # bytes Windows-1258 leaves undefined
        "name,role,status\n".encode("utf-16"),  # NUL bytes decode to control characters
        b"name,role,status\nAn\x07,member,full\n\xff",  # bell character
        b"name,role,status\n\xde\xec,member,full\n\xff",  # tone marks on nothing
        b"name,role,status\n1\xcc,member,full\n\xff",  # tone mark on a digit
        b"\xef\xbb\xbfname,role,status\n\xff,member,full\n",  # BOM promises UTF-8, then isn't
        "name,role,status\n".encode("utf-16-le"),  # valid UTF-8, but full of NULs
    ],
)
def test_bytes_that_are_neither_utf8_nor_sensible_cp1258(data: bytes) -> None:
    assert error_of(data).reason == "encoding"


# --- Headers and delimiters ------------------------------------------------------------------


def test_english_headers_in_any_order_and_case() -> None:
    result = parse(
        "Phone Number,STATUS,Notes,Full Name,Position",
        f"0912345678,probationary,x,{LAN},Deputy Secretary",
        f",Full member,,{DUC},committee member",
    )
    assert result.rows == [
        RosterRow(2, LAN, Role.DEPUTY, MemberStatus.PROBATIONARY, "0912345678"),
        RosterRow(3, DUC, Role.COMMITTEE, MemberStatus.FULL, None),
    ]
    assert result.problems == []


def test_headers_without_diacritics_and_with_decorations() -> None:
    result = parse("HO VA TEN (*),vai tro,Trang thai:,SDT", f"{LAN},bi thu,chinh thuc,0912345678")
    assert result.rows == [RosterRow(2, LAN, Role.SECRETARY, MemberStatus.FULL, "0912345678")]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(delimiter: str) -> None:
    result = parse(
        delimiter.join(["Họ tên", "Vai trò", "Loại đảng viên"]),
        delimiter.join([LAN, "Bí thư, kiêm tổ trưởng", "Dự bị"]),
    )
    assert result.rows == [RosterRow(2, LAN, Role.SECRETARY, MemberStatus.PROBATIONARY, None)]


def test_quoted_fields_with_commas_and_newlines() -> None:
    result = parse(
        "Tên,Chức vụ,Loại,Ghi chú",
        f'"{LAN}","Bí thư, kiêm tổ trưởng","chính thức","chuyển đến, 2024"',
        f'{DUC},đảng viên,dự bị,"hai',
        'dòng"',
        f"{PHUONG},,miễn,",
    )
    assert result.rows == [
        RosterRow(2, LAN, Role.SECRETARY, MemberStatus.FULL, None),
        RosterRow(3, DUC, Role.MEMBER, MemberStatus.PROBATIONARY, None),
        RosterRow(5, PHUONG, Role.MEMBER, MemberStatus.EXEMPT, None),
    ]


def test_blank_lines_are_skipped_but_counted() -> None:
    result = parse("", "Tên,Chức vụ,Loại", "", ",,", f"{LAN},,chính thức")
    assert result.rows == [RosterRow(5, LAN, Role.MEMBER, MemberStatus.FULL, None)]
    assert result.problems == []


def test_title_rows_above_the_header_are_skipped() -> None:
    result = parse(
        "ĐẢNG BỘ PHƯỜNG 1,,", "DANH SÁCH ĐẢNG VIÊN,,", "Họ và tên,Chức vụ,Loại", f"{LAN},,dự bị"
    )
    assert result.rows == [RosterRow(4, LAN, Role.MEMBER, MemberStatus.PROBATIONARY, None)]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("Chức vụ,Loại", "name"),
        ("Họ và tên,Chức vụ", "status"),
        ("Họ và tên,Loại", "role"),
        ("STT,Ghi chú", "name,role,status"),
        ("Họ,Chức vụ", "name,status"),
    ],
)
def test_missing_columns(header: str, missing: str) -> None:
    error = error_of(csv_of(header, f"1,{LAN}"))
    assert (error.reason, error.detail) == ("missing_columns", missing)


# --- Values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "role"),
    [
        ("Bí thư", Role.SECRETARY),
        ("BÍ THƯ CHI BỘ", Role.SECRETARY),
        ("secretary", Role.SECRETARY),
        ("Phó Bí thư", Role.DEPUTY),
        ("pho bi thu", Role.DEPUTY),
        ("Deputy Secretary", Role.DEPUTY),
        ("deputy", Role.DEPUTY),
        ("Chi ủy viên", Role.COMMITTEE),
        ("Uỷ viên", Role.COMMITTEE),
        ("Committee Member", Role.COMMITTEE),
        ("Đảng viên", Role.MEMBER),
        ("member", Role.MEMBER),
        ("", Role.MEMBER),
    ],
)
def test_role_values(raw: str, role: Role) -> None:
    assert parse("Tên,Chức vụ,Loại", f"{LAN},{raw},chính thức").rows[0].role is role


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Chính thức", MemberStatus.FULL),
        ("Đảng viên chính thức", MemberStatus.FULL),
        ("full", MemberStatus.FULL),
        ("Full member", MemberStatus.FULL),
        ("Dự bị", MemberStatus.PROBATIONARY),
        ("đảng viên dự bị", MemberStatus.PROBATIONARY),
        ("Probationary", MemberStatus.PROBATIONARY),
        ("Miễn sinh hoạt", MemberStatus.EXEMPT),
        ("miễn", MemberStatus.EXEMPT),
        ("Được miễn công tác và sinh hoạt đảng", MemberStatus.EXEMPT),
        ("EXEMPT", MemberStatus.EXEMPT),
    ],
)
def test_status_values(raw: str, status: MemberStatus) -> None:
    assert parse("Tên,Chức vụ,Loại", f"{LAN},,{raw}").rows[0].status is status


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84 91.234-5678", "+84912345678"),
        ("(024) 3825 1234", "02438251234"),
        ("12345678", "12345678"),
        ("123456789012345", "123456789012345"),
    ],
)
def test_phone_normalised(raw: str, phone: str) -> None:
    assert parse("Tên,Chức vụ,Loại,SĐT", f'{LAN},,dự bị,"{raw}"').rows[0].phone == phone


@pytest.mark.parametrize("raw", ["1234567", "1234567890123456", "0912abc678", "84+912345678"])
def test_bad_phone(raw: str) -> None:
    result = parse("Tên,Chức vụ,Loại,SĐT", f"{LAN},,dự bị,{raw}")
    assert (result.rows, result.problems) == ([], [RowProblem(2, "bad_phone", raw)])


def test_bad_rows_are_reported_and_good_rows_still_parse() -> None:
    long_name = "Nguyễn " * 20 + "Lan"  # 143 characters
    result = parse(
        "Họ và tên,Chức vụ,Loại,Số điện thoại",
        f"{LAN},Bí thư,Chính thức,",
        "<b>Trần</b> Văn Đức,,Dự bị,",
        f"{long_name},,Dự bị,",
        ",Đảng viên,Dự bị,",
        f"{PHUONG},,nghỉ hưu,",
        "Phạm Văn Nam,,,",
        "Võ Thị Hoa,,Dự bị,12-34",
        "Đỗ Văn Minh,trưởng ban,Dự bị,",
        f"{DUC},,Dự bị,",
    )
    assert result.rows == [
        RosterRow(2, LAN, Role.SECRETARY, MemberStatus.FULL, None),
        RosterRow(10, DUC, Role.MEMBER, MemberStatus.PROBATIONARY, None),
    ]
    assert result.problems == [
        RowProblem(3, "name_markup", "<b>Trần</b> Văn Đức"),
        RowProblem(4, "name_too_long", long_name[:60]),
        RowProblem(5, "name_empty", ""),
        RowProblem(6, "unknown_status", "nghỉ hưu"),
        RowProblem(7, "unknown_status", ""),
        RowProblem(8, "bad_phone", "12-34"),
        RowProblem(9, "unknown_role", "trưởng ban"),
    ]


def test_invisible_characters_in_a_utf8_name_are_stripped() -> None:
    result = parse("Tên,Chức vụ,Loại", "Lan\x07\u200b Hoa\u202e,,dự bị", "\u200b\u2066,,dự bị")
    assert result.rows == [RosterRow(2, "Lan Hoa", Role.MEMBER, MemberStatus.PROBATIONARY, None)]
    assert result.problems == [RowProblem(3, "name_empty", "")]


def test_an_unclosed_quote_is_one_bad_line_not_a_name_swallowing_the_rest() -> None:
    result = parse(
        "Tên,Chức vụ,Loại",
        f"{LAN},bí thư,chính thức",
        f'"{DUC},đảng viên,dự bị',
        f"{PHUONG},,miễn",
        'Hà "Văn" Tùng,,chính thức',
        'Mai "Lan,,chính thức',
        '"Đỗ Văn Hải" x,,dự bị',
        '"Trịnh Thị Thu,,dự bị',
    )
    assert result.rows == [
        RosterRow(2, LAN, Role.SECRETARY, MemberStatus.FULL, None),
        RosterRow(4, PHUONG, Role.MEMBER, MemberStatus.EXEMPT, None),
    ]
    assert [(p.line, p.reason) for p in result.problems] == [
        (3, "unclosed_quote"),
        (5, "name_markup"),
        (6, "name_markup"),
        (7, "unclosed_quote"),
        (8, "unclosed_quote"),
    ]
    assert result.problems[0].value == f'"{DUC},đảng viên,dự bị'


def test_every_problem_of_a_row_is_reported() -> None:
    result = parse("Tên,Chức vụ,Loại,SĐT", "<i>,boss,maybe,abc")
    assert [problem.reason for problem in result.problems] == [
        "name_markup",
        "unknown_role",
        "unknown_status",
        "bad_phone",
    ]
    assert result.rows == []


def test_nfd_name_comes_back_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", PHUONG)
    assert decomposed != PHUONG
    result = parse("Tên,Chức vụ,Loại", f"  {decomposed}  ,,chính thức")
    assert result.rows[0].full_name == PHUONG


def test_whitespace_in_names_collapses() -> None:
    assert parse("Tên,Chức vụ,Loại", '"Trần   Văn\tĐức",,dự bị').rows[0].full_name == DUC


def test_duplicate_names_by_folded_form() -> None:
    result = parse(
        "Tên,Chức vụ,Loại",
        f"{LAN},,chính thức",
        f"{DUC},,chính thức",
        "nguyen thi LAN,,dự bị",
        "NGUYỄN  THỊ LAN,,dự bị",
    )
    assert [row.line for row in result.rows] == [2, 3]
    assert result.problems == [
        RowProblem(4, "duplicate_name", "nguyen thi LAN"),
        RowProblem(5, "duplicate_name", "NGUYỄN  THỊ LAN"),
    ]


def test_extra_cells_beyond_the_header_in_csv() -> None:
    result = parse("Tên,Chức vụ,Loại", f"{LAN},,chính thức,,", f"{DUC},,dự bị,lạc cột")
    assert result.rows == [RosterRow(2, LAN, Role.MEMBER, MemberStatus.FULL, None)]
    assert result.problems == [RowProblem(3, "too_many_columns", "lạc cột")]


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_with_numeric_phones_and_gaps() -> None:
    data = xlsx_of(
        ["STT", "Họ và tên", "Chức vụ", "Loại", "Số điện thoại"],
        [1, LAN, "Bí thư", "Chính thức", 912345678],
        [],
        [None, None, None],
        [3, unicodedata.normalize("NFD", DUC), None, "Dự bị", 84912345678.0],
        [4, PHUONG, "Chi uỷ viên", "Miễn sinh hoạt", "+84 98 765 4321"],
        [5, "Hồ Văn Bé", None, "Dự bị", 12.5],
    )
    result = parse_roster(data, "Roster.XLSX")
    assert result.encoding == "xlsx"
    assert result.rows == [
        RosterRow(2, LAN, Role.SECRETARY, MemberStatus.FULL, "912345678"),
        RosterRow(5, DUC, Role.MEMBER, MemberStatus.PROBATIONARY, "84912345678"),
        RosterRow(6, PHUONG, Role.COMMITTEE, MemberStatus.EXEMPT, "+84987654321"),
    ]
    assert result.problems == [RowProblem(7, "bad_phone", "12.5")]


def test_xlsx_phone_stored_as_a_float() -> None:
    source = xlsx_of(["Tên", "Chức vụ", "Loại", "SĐT"], [LAN, None, "Dự bị", 912345678])
    sheet_xml = "xl/worksheets/sheet1.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(buffer, "w") as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename == sheet_xml:
                assert b"<v>912345678</v>" in content
                content = content.replace(b"<v>912345678</v>", b"<v>9.12345678E8</v>")
            new.writestr(item, content)
    result = parse_roster(buffer.getvalue(), "r.xlsx")
    assert result.rows == [RosterRow(2, LAN, Role.MEMBER, MemberStatus.PROBATIONARY, "912345678")]


def test_xlsx_ignores_unnamed_extra_cells() -> None:
    data = xlsx_of(["Name", "Role", "Status"], [LAN, "member", "full", "ghi chú"])
    assert parse_roster(data, "r.xlsx").rows == [
        RosterRow(2, LAN, Role.MEMBER, MemberStatus.FULL, None)
    ]


def test_xlsx_missing_columns() -> None:
    error = error_of(xlsx_of(["Họ và tên", "Chức vụ"], [LAN, "Bí thư"]), "r.xlsx")
    assert (error.reason, error.detail) == ("missing_columns", "status")


def test_a_file_of_stray_quotes_is_refused() -> None:
    lines = [f'"{name},,dự bị' for name in (f"Đồng chí {n}" for n in range(200))]
    error = error_of(csv_of("Tên,Chức vụ,Loại", *lines))
    assert (error.reason, error.detail) == ("unreadable_csv", "too many unclosed quotes")


def _with_part(workbook: bytes, name: str, size: int) -> bytes:
    """The workbook with one more part of `size` zero bytes (deflated to almost nothing)."""
    buffer = io.BytesIO(workbook)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, bytes(size))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "size",
    [
        MAX_UNPACKED + 1,  # past the limit unpacked, a few kilobytes packed
        5 * 1024 * 1024,  # under it, but packed a thousand times
    ],
)
def test_a_zip_bomb_is_refused_before_openpyxl_reads_it(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _with_part(xlsx_of(["Họ và tên", "Chức vụ", "Loại"], [LAN, "", "dự bị"]), "x.xml", size)
    assert len(data) < MAX_BYTES

    def never(*_: object, **__: object) -> None:
        raise AssertionError("openpyxl was given the workbook")

    monkeypatch.setattr(roster_files, "load_workbook", never)
    assert error_of(data, "r.xlsx").reason == "too_large"


def test_a_workbook_with_a_well_compressed_small_part_is_read() -> None:
    data = _with_part(xlsx_of(["Họ và tên", "Chức vụ", "Loại"], [LAN, "", "dự bị"]), "x.xml", 4096)
    assert parse_roster(data, "r.xlsx").rows == [
        RosterRow(2, LAN, Role.MEMBER, MemberStatus.PROBATIONARY, None)
    ]


@pytest.mark.parametrize("data", [b"not a zip file", b"PK\x03\x04broken", VI_ROSTER.encode()])
def test_unreadable_xlsx(data: bytes) -> None:
    assert error_of(data, "roster.xlsx").reason == "unreadable_xlsx"


# --- Whole-file errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename", ["roster.xls", "roster.txt", "roster", "csv", "roster.csv.gz"]
)
def test_unsupported_type(filename: str) -> None:
    assert error_of(VI_ROSTER.encode(), filename).reason == "unsupported_type"


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", b"\xef\xbb\xbf", b",,,\n,,\n"])
def test_empty_file(data: bytes) -> None:
    assert error_of(data).reason == "empty"


def test_header_without_rows_is_empty() -> None:
    error = error_of(csv_of("Họ và tên,Chức vụ,Loại", ",,"))
    assert (error.reason, error.detail) == ("empty", "no data rows")


def test_empty_xlsx() -> None:
    assert error_of(xlsx_of(), "r.xlsx").reason == "empty"


def test_too_many_bytes() -> None:
    data = csv_of("Tên,Chức vụ,Loại", f"{LAN},,dự bị,{'x' * MAX_BYTES}")
    assert error_of(data).reason == "too_large"


def test_row_limit() -> None:
    rows = [f"Người {i:05d},,dự bị" for i in range(MAX_ROWS)]
    assert len(parse("Tên,Chức vụ,Loại", *rows).rows) == MAX_ROWS
    assert error_of(csv_of("Tên,Chức vụ,Loại", *rows, "Người thừa,,dự bị")).reason == "too_large"


def test_attached_elsewhere_status_is_read() -> None:
    data = (
        "Họ và tên,Chức vụ,Loại\n"
        "Nguyễn Văn An,Đảng viên,Sinh hoạt tạm thời nơi khác\n"
        "Trần Thị Bình,Đảng viên,attached elsewhere\n"
    ).encode()
    parsed = parse_roster(data, "roster.csv")
    assert [r.status for r in parsed.rows] == [MemberStatus.ATTACHED_ELSEWHERE] * 2

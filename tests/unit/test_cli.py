"""The operator's command line: organisations, setup codes and roster imports."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlmodel import select

from bot.db import Database
from bot.models import Member, MemberStatus, Organisation, Role, SetupCode
from bot.services.tokens import token_hash
from chibot.cli import main


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("CHIBOT_DATABASE_URL", url)
    return url


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_org_add_prints_a_code_and_list_shows_the_tree(db_url: str) -> None:
    code, text = run("org", "add", "Đảng bộ Ban Dân tộc tỉnh")
    assert code == 0
    code, text = run("org", "add", "Chi bộ Văn phòng", "--parent", "Đảng bộ Ban Dân tộc tỉnh")
    assert code == 0
    setup_code = re.search(r"/thietlap ([\w-]{22})$", text.strip()).group(1)  # type: ignore[union-attr]

    code, listing = run("org", "list")

    assert code == 0
    assert listing.splitlines() == [
        "- Đảng bộ Ban Dân tộc tỉnh — 0 members — no group linked",
        "  - Chi bộ Văn phòng — 0 members — no group linked",
    ]
    db = Database(db_url)
    with db.session() as session:
        stored = session.exec(select(SetupCode)).all()
    assert token_hash(setup_code) in {s.code_hash for s in stored}
    assert all(setup_code not in s.code_hash for s in stored)


def test_org_errors_are_clear(db_url: str) -> None:
    run("org", "add", "Chi bộ A")
    code, text = run("org", "add", "Chi bộ A")
    assert (code, text.strip()) == (1, "Error: org_exists (name=Chi bộ A)")
    code, text = run("org", "add", "Chi bộ B", "--parent", "Không có")
    assert code == 1
    assert "parent_not_found" in text
    code, text = run("org", "code", "Không có")
    assert code == 1
    assert "No organisation named" in text


def test_org_code_replaces_the_previous_code(db_url: str) -> None:
    run("org", "add", "Chi bộ A")
    code, text = run("org", "code", "Chi bộ A")
    assert code == 0
    assert text.startswith("New setup code for Chi bộ A (one use, valid 7 days): ")
    db = Database(db_url)
    with db.session() as session:
        codes = session.exec(select(SetupCode)).all()
    assert len(codes) == 2
    assert sum(1 for c in codes if c.revoked_at is None) == 1


ROSTER = (
    "STT,Họ và tên,Chức vụ,Loại,Số điện thoại\n"
    "1,Nguyễn Thị Lan,Phó bí thư,Chính thức,0912 345 678\n"
    "2,Trần Văn <b>Đức</b>,Đảng viên,Dự bị,\n"
    "3,Lê Văn Tám,Đảng viên,Dự bị,\n"
    "4,Phạm Thị Hoa,Đảng viên,không rõ,\n"
)


def _members(db_url: str) -> list[Member]:
    db = Database(db_url)
    with db.session() as session:
        return list(session.exec(select(Member)).all())


def test_import_lists_bad_rows_and_waits_for_confirmation(db_url: str, tmp_path: Path) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode("utf-8-sig"))

    code, text = run("members", "import", "Chi bộ Văn phòng", str(path))

    assert code == 2
    assert "2 rows can be imported" in text
    assert "line 3: the name contains characters" in text
    assert "line 5: unknown or empty status" in text
    assert "Nothing imported" in text
    assert _members(db_url) == []


def test_import_with_yes_adds_the_good_rows(db_url: str, tmp_path: Path) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER.encode())

    code, text = run("members", "import", "Chi bộ Văn phòng", str(path), "--yes")

    assert code == 0
    assert "Imported 2 members into Chi bộ Văn phòng." in text
    members = {m.full_name: m for m in _members(db_url)}
    assert set(members) == {"Nguyễn Thị Lan", "Lê Văn Tám"}
    assert members["Nguyễn Thị Lan"].role == Role.DEPUTY
    assert members["Nguyễn Thị Lan"].phone == "0912345678"
    assert members["Lê Văn Tám"].status == MemberStatus.PROBATIONARY
    db = Database(db_url)
    with db.session() as session:
        org = session.exec(select(Organisation)).one()
    code, listing = run("org", "list")
    assert f"- {org.name} — 2 members — no group linked" in listing


def test_import_refuses_unusable_files(db_url: str, tmp_path: Path) -> None:
    run("org", "add", "Chi bộ Văn phòng")
    missing = tmp_path / "missing.csv"
    missing.write_text("Họ và tên,Ghi chú\nNguyễn Thị Lan,\n", encoding="utf-8")
    code, text = run("members", "import", "Chi bộ Văn phòng", str(missing), "--yes")
    assert code == 1
    assert "required columns are missing" in text
    binary = tmp_path / "roster.csv"
    binary.write_bytes(b"\x00\x81\x8d\xff" * 50)
    code, text = run("members", "import", "Chi bộ Văn phòng", str(binary), "--yes")
    assert code == 1
    assert "neither UTF-8 nor Windows-1258" in text
    code, text = run("members", "import", "Chi bộ Văn phòng", str(tmp_path / "nope.csv"))
    assert code == 1
    assert "No such file" in text
    assert _members(db_url) == []

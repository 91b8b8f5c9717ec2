import itertools
import random
import unicodedata

import pytest

from bot.text import (
    MAX_NAME_LENGTH,
    InvalidName,
    clean_input,
    clean_line,
    escape,
    fold,
    split_message,
    validate_name,
    vietnamese_sort_bytes,
    vietnamese_sort_key,
)

LAN = "Nguyễn Thị Lan"


def reassembles(text: str, chunks: list[str]) -> bool:
    """True if `chunks` are consecutive slices of `text`, separated by nothing or one newline."""
    pos = 0
    for chunk in chunks:
        if not text.startswith(chunk, pos):
            return False
        pos += len(chunk)
        if pos < len(text) and text[pos] == "\n":
            pos += 1
    return pos == len(text)


# --- names ------------------------------------------------------------------------------------


def test_nfd_name_validates_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", LAN)
    assert decomposed != LAN
    assert len(decomposed) > len(LAN)

    assert validate_name(decomposed) == LAN
    assert unicodedata.is_normalized("NFC", validate_name(decomposed))


def test_name_whitespace_is_collapsed_and_trimmed() -> None:
    assert validate_name("  Nguyễn \t Thị\u00a0 Lan \n") == LAN
    assert clean_line("a   b\tc") == "a b c"


def test_length_is_measured_after_nfc() -> None:
    # 60 "ễ" are 60 characters in NFC but 180 in NFD; only the NFC length counts.
    name = "ễ" * 60
    assert len(unicodedata.normalize("NFD", name)) > MAX_NAME_LENGTH
    assert validate_name(unicodedata.normalize("NFD", name)) == name


def test_name_at_the_limit_passes_one_over_fails() -> None:
    assert validate_name("a" * MAX_NAME_LENGTH) == "a" * MAX_NAME_LENGTH
    with pytest.raises(InvalidName) as info:
        validate_name("a" * (MAX_NAME_LENGTH + 1))
    assert info.value.reason == "too_long"


@pytest.mark.parametrize("raw", ["", " ", "   \t  ", "\n\n", "\u3000"])
def test_empty_names_are_refused(raw: str) -> None:
    with pytest.raises(InvalidName) as info:
        validate_name(raw)
    assert info.value.reason == "empty"
    assert info.value.value == raw


@pytest.mark.parametrize(
    "raw", ["<b>Lan</b>", "Lan & Hoa", "Nguyễn <i>Lan", "Lan>", "a{name}b", "@lan"]
)
def test_markup_in_names_is_refused(raw: str) -> None:
    with pytest.raises(InvalidName) as info:
        validate_name(raw)
    assert info.value.reason == "markup"


@pytest.mark.parametrize(
    "raw",
    [
        "Lan\x00Hoa",
        "Lan\x07Hoa",
        "Lan\u200bHoa",
        "\u202eLan\u202cHoa",
        "Lan\x7fHoa\x85",
        "\ufeffLanHoa\u2060",
        "\u2066Lan\u200dHoa\u2069",
        "Lan\u200cHoa\u202a",
    ],
)
def test_invisible_characters_in_names_are_stripped(raw: str) -> None:
    assert validate_name(raw) == "LanHoa"


@pytest.mark.parametrize("raw", ["\u200b", "\u202e\u202c", "\x00\x07 \ufeff", "\u2066\u2069"])
def test_a_name_of_invisible_characters_only_is_empty(raw: str) -> None:
    with pytest.raises(InvalidName) as info:
        validate_name(raw)
    assert info.value.reason == "empty"


@pytest.mark.parametrize("raw", ["Lan\u00adHoa", "Lan\ue000", "Lan\u061cHoa"])
def test_other_format_characters_in_names_are_refused(raw: str) -> None:
    with pytest.raises(InvalidName) as info:
        validate_name(raw)
    assert info.value.reason == "control"


def test_typed_text_keeps_lines_and_tabs_and_is_nfc() -> None:
    typed = unicodedata.normalize("NFD", "Họp\u200b chi\x1b bộ\r\n\tlần\u202e 2\u2069")
    assert clean_input(typed) == "Họp chi bộ\n\tlần 2"


def test_custom_max_length() -> None:
    assert validate_name("x" * 200, max_length=200) == "x" * 200
    with pytest.raises(InvalidName):
        validate_name("x" * 201, max_length=200)


# --- fold and escape --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Đặng Thị Đào", "dang thi dao"),
        ("ĐẢNG VIÊN", "dang vien"),
        ("đồng ý", "dong y"),
        (unicodedata.normalize("NFD", "Hủy bỏ"), "huy bo"),
        ("  Bí   thư ", "bi thu"),
    ],
)
def test_fold_drops_diacritics_and_case(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_fold_matches_accented_and_plain_typing() -> None:
    assert fold("Phó bí thư") == fold("pho bi thu") == fold("PHO BI THU")


def test_escape_escapes_html_specials() -> None:
    assert escape("<b>Lan & Hoa</b>") == "&lt;b&gt;Lan &amp; Hoa&lt;/b&gt;"
    assert escape("&amp;") == "&amp;amp;"
    assert escape(LAN) == LAN


# --- split_message ----------------------------------------------------------------------------


def test_short_text_is_one_chunk() -> None:
    assert split_message("xin chào", 10) == ["xin chào"]
    assert split_message("x" * 10, 10) == ["x" * 10]


def test_split_prefers_line_boundaries() -> None:
    text = "aaaa\nbbbb\ncccc"
    assert split_message(text, 9) == ["aaaa\nbbbb", "cccc"]
    assert split_message(text, 5) == ["aaaa", "bbbb", "cccc"]


def test_a_line_longer_than_the_limit_is_cut() -> None:
    text = "ab\n" + "x" * 23 + "\ncd"
    chunks = split_message(text, 10)
    assert all(len(chunk) <= 10 for chunk in chunks)
    assert chunks == ["ab", "x" * 10, "x" * 10, "xxx\ncd"]
    assert reassembles(text, chunks)


def test_a_long_line_of_names_is_cut_between_names() -> None:
    names = ", ".join(f"Nguyễn Văn {n:03d}" for n in range(300))
    chunks = split_message("Chưa báo cáo (300):\n  " + names, 500)
    assert all(len(chunk) <= 500 for chunk in chunks)
    for chunk in chunks[1:]:
        assert chunk.lstrip().startswith("Nguyễn Văn "), chunk[:20]
    for chunk in chunks[1:-1]:
        assert chunk.endswith(","), chunk[-20:]
    assert "".join(chunks).count("Nguyễn Văn") == 300


def test_single_line_exactly_a_multiple_of_the_limit() -> None:
    text = "y" * 30 + "\nend"
    chunks = split_message(text, 10)
    assert chunks == ["y" * 10, "y" * 10, "y" * 10, "end"]
    assert reassembles(text, chunks)


@pytest.mark.parametrize("seed", range(40))
def test_split_bounds_and_preserves_random_text(seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.choice([5, 13, 40, 100, 4096])
    words = ["Lan", "đồng", "chí", "<b>họp</b>", "&amp;", "x" * rng.randint(1, 3 * limit)]
    lines = [
        " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        for _ in range(rng.randint(1, 60))
    ]
    text = "\n".join(lines)

    chunks = split_message(text, limit)

    assert all(0 < len(chunk) <= limit for chunk in chunks)
    assert reassembles(text, chunks)


@pytest.mark.parametrize("seed", range(40))
def test_split_of_short_lines_cuts_only_between_lines(seed: int) -> None:
    rng = random.Random(1000 + seed)
    limit = rng.choice([20, 50, 200])
    lines = ["z" * rng.randint(1, limit) for _ in range(rng.randint(2, 80))]
    text = "\n".join(lines)

    chunks = split_message(text, limit)

    assert all(len(chunk) <= limit for chunk in chunks)
    assert "\n".join(chunks) == text
    # Greedy: a chunk ends only where the next line would not have fitted.
    for chunk, following in itertools.pairwise(chunks):
        assert len(chunk) + 1 + len(following.split("\n")[0]) > limit


def test_blank_lines_inside_a_chunk_are_kept() -> None:
    text = "one\n\ntwo\n\n\nthree\nfour"
    assert split_message(text, 16) == ["one\n\ntwo", "three\nfour"]
    assert split_message(text, 30) == [text]


def test_a_paragraph_that_fits_is_never_cut() -> None:
    blocks = [f"• Đồng chí {n}\nhttps://t.me/chibot_bot?start=tok{n:03d}" for n in range(60)]
    text = "Đã thêm vào danh sách:\n\n" + "\n\n".join(blocks)
    chunks = split_message(text, 500)
    assert all(len(chunk) <= 500 for chunk in chunks)
    assert len(chunks) > 1
    assert "\n\n".join(chunks) == text
    for chunk in chunks:
        lines = chunk.split("\n")
        assert not lines[-1].startswith("•"), chunk


def test_a_paragraph_longer_than_the_limit_is_split_at_lines() -> None:
    text = "head\n\n" + "\n".join(["x" * 8] * 5)
    pair = "x" * 8 + "\n" + "x" * 8
    assert split_message(text, 20) == ["head", pair, pair, "x" * 8]


def test_no_chunk_is_empty_or_blank() -> None:
    text = "\n".join(["a" * 7, "", "", "b" * 7, "", "c" * 20, ""])
    chunks = split_message(text, 7)
    assert all(chunk.strip() for chunk in chunks)
    assert all(len(chunk) <= 7 for chunk in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


# --- the stored sort key -------------------------------------------------------------------------

# Letters, tones, capitals, Latin letters outside the alphabet, punctuation, digits, and a
# character far beyond the alphabet (a multi-byte code).
_SORT_ALPHABET = [*"aăâbcdđeêghiklmnoôơpqrstuưvxyĐ fjwz-'0漢", "á", "ầ", "ẩ", "ữ", "ợ", "ç"]


def test_sort_bytes_order_names_as_the_sort_key_does() -> None:
    draw = random.Random(14)
    words = [
        "".join(draw.choice(_SORT_ALPHABET) for _ in range(draw.randint(0, 5))) for _ in range(120)
    ]
    pairs = [(draw.choice(words), draw.choice(words)) for _ in range(120)]
    for (a1, a2), (b1, b2) in itertools.product(pairs, pairs):
        keys = (
            (vietnamese_sort_key(a1), vietnamese_sort_key(a2)),
            (vietnamese_sort_key(b1), vietnamese_sort_key(b2)),
        )
        stored = (vietnamese_sort_bytes(a1, a2), vietnamese_sort_bytes(b1, b2))
        assert (keys[0] < keys[1]) == (stored[0] < stored[1]), (a1, a2, b1, b2)
        assert (keys[0] == keys[1]) == (stored[0] == stored[1]), (a1, a2, b1, b2)


def test_sort_bytes_follow_the_vietnamese_alphabet() -> None:
    names = ["Ơn", "An", "Ánh", "Anh", "Ân", "Ăn", "Đức", "Dũng", "Ấn", "Yến", "Bình"]
    assert sorted(names, key=vietnamese_sort_bytes) == [
        "An",
        "Anh",
        "Ánh",
        "Ăn",
        "Ân",
        "Ấn",
        "Bình",
        "Dũng",
        "Đức",
        "Ơn",
        "Yến",
    ]

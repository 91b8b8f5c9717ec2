"""Join codes: the short secret ("ABCD-EFGH") a person types to a bot on a channel without deep
links (Zalo) to open their invite; only its SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

# Join codes: 8 characters without look-alikes (no I, L, O, 0, 1), shown as XXXX-XXXX; typed in
# any case, with or without spaces and dashes. 31^8 ≈ 8.5 × 10^11 codes.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
_CODE_SEPARATORS = re.compile(r"[\s\-_.\u2010-\u2015]+")
_CODE_SHAPE = re.compile(rf"^[{JOIN_CODE_ALPHABET}]{{{JOIN_CODE_LENGTH}}}$")
# A code typed the way it is shown ("abcd-efgh", "ABCD EFGH"): claimed as a join code attempt
# even when no invite has it.
_SHOWN_SHAPE = re.compile(r"^\s*[A-Za-z0-9]{4}\s*[\s\-\u2010-\u2015]\s*[A-Za-z0-9]{4}\s*$")


def new_join_code() -> str:
    """Returns a fresh random join code, formatted as shown ("ABCD-EFGH")."""
    raw = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
    return format_join_code(raw)


def normalise_join_code(text: str) -> str | None:
    """Returns the 8 characters of a typed join code (upper case, no spaces or dashes), or None
    if `text` is not one."""
    folded = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    return folded if _CODE_SHAPE.match(folded) else None


def format_join_code(code: str) -> str:
    """Returns a join code as shown to people: "ABCD-EFGH"."""
    normal = normalise_join_code(code)
    if normal is None:
        raise ValueError("not a join code")
    half = JOIN_CODE_LENGTH // 2
    return f"{normal[:half]}-{normal[half:]}"


def join_code_hash(code: str) -> str:
    """Returns the stored form of a join code: SHA-256 of its normalised characters."""
    normal = normalise_join_code(code)
    if normal is None:
        raise ValueError("not a join code")
    return hashlib.sha256(normal.encode("ascii")).hexdigest()


def looks_like_join_code(text: str) -> bool:
    """Tells whether `text` is typed the way a join code is shown ("abcd-efgh", "ABCD EFGH")."""
    return bool(_SHOWN_SHAPE.match(text)) and normalise_join_code(text) is not None

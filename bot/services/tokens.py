"""Random tokens for setup codes and invite links; only their hashes are stored."""

from __future__ import annotations

import hashlib
import re
import secrets

# 16 random bytes = 128 bits, written in the 22 URL-safe characters a deep link accepts.
TOKEN_BYTES = 16
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    """Returns a fresh URL-safe token with 128 bits of randomness."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """Returns the stored form of a token."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Tells whether `text` has the shape of one of our tokens (cheap garbage filter)."""
    return bool(_TOKEN_SHAPE.match(text))

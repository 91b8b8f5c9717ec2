"""Webhook addresses and secrets, the same rules for every channel.

A webhook listens on a path derived from its secret (`/<channel>/<32 hex digits>`), never on
`/`: a scanner that finds the port does not find the path, and a request on the path without
the secret header is refused before anything reads it.
"""

from __future__ import annotations

import hashlib
import re

from bot.config import Settings

# Telegram takes 1–256 characters of these in X-Telegram-Bot-Api-Secret-Token.
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Shorter secrets are guessable; Zalo's platform takes 8–256 characters.
MIN_SECRET = 8
MAX_SECRET = 256


def hook_path(channel: str, secret: str) -> str:
    """Returns the path a channel's webhook listens on: `/<channel>/<sha256(secret)[:32]>`."""
    return f"/{channel}/{hashlib.sha256(secret.encode()).hexdigest()[:32]}"


def hook_url(base: str, channel: str, secret: str) -> str:
    """Returns the public URL registered with the channel: the base URL and the hook path."""
    return base.rstrip("/") + hook_path(channel, secret)


def webhook_problems(settings: Settings) -> list[str]:
    """Returns what keeps the configured webhooks from starting safely (empty when fine)."""
    problems = []
    if settings.webhook_url and settings.telegram_bot_token:
        secret = settings.webhook_secret or ""
        if not secret:
            problems.append(
                "CHIBOT_WEBHOOK_URL is set but CHIBOT_WEBHOOK_SECRET is not: webhook mode needs "
                "a secret, or anyone who finds the address can post updates as any person"
            )
        elif not _TELEGRAM_SECRET.fullmatch(secret) or len(secret) < MIN_SECRET:
            problems.append(
                f"CHIBOT_WEBHOOK_SECRET must be {MIN_SECRET}–{MAX_SECRET} characters of "
                "A–Z, a–z, 0–9, _ and -"
            )
    if settings.zalo_webhook_url and settings.zalo_bot_token:
        secret = settings.zalo_webhook_secret or ""
        if not secret:
            problems.append(
                "CHIBOT_ZALO_WEBHOOK_URL is set but CHIBOT_ZALO_WEBHOOK_SECRET is not: webhook "
                "mode needs a secret"
            )
        elif not MIN_SECRET <= len(secret) <= MAX_SECRET:
            problems.append(
                f"CHIBOT_ZALO_WEBHOOK_SECRET must be {MIN_SECRET}–{MAX_SECRET} characters"
            )
    return problems

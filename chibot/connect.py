"""Reaching a channel's Bot API at start: tried again with a growing wait until it answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger("chibot.runtime")

T = TypeVar("T")


async def until_answered(
    name: str,
    connect: Callable[[], Awaitable[T]],
    transient: Callable[[BaseException], bool],
    *,
    first_wait: float,
    most_wait: float,
) -> T:
    """Returns what `connect` returns once the Bot API answers, trying again after
    `first_wait` seconds, doubling up to `most_wait`, with a line in the log per attempt; an
    error that is not `transient` (a refused token) ends the start at once."""
    wait = first_wait
    attempt = 1
    while True:
        try:
            return await connect()
        except Exception as exc:
            if not transient(exc):
                raise
            log.warning(
                "cannot reach the %s Bot API (attempt %d: %s: %s); trying again in %.1f s",
                name,
                attempt,
                type(exc).__name__,
                exc,
                wait,
            )
        await asyncio.sleep(wait)
        wait = min(wait * 2, most_wait)
        attempt += 1

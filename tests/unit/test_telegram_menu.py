"""The command menus are set with all their calls at once, not one after another."""

from __future__ import annotations

import asyncio
from typing import Any

from handlers.telegram.menu import SCOPES, set_command_menus


class HeldBot:
    """Stands in for the Bot: each set_my_commands waits until every call has started."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.started: list[tuple[str, str | None]] = []
        self.all_started = asyncio.Event()

    async def set_my_commands(self, commands: Any, *, scope: Any, language_code: Any) -> bool:
        self.started.append((scope.type, language_code))
        if len(self.started) == self.expected:
            self.all_started.set()
        # One after another, the first call would wait here forever (the test's timeout).
        await self.all_started.wait()
        return True


async def test_every_menu_call_is_in_flight_at_once() -> None:
    # Per scope: Vietnamese as the default and as "vi", and English.
    expected = len(SCOPES) * 3
    bot = HeldBot(expected)
    await asyncio.wait_for(set_command_menus(bot), timeout=10)  # type: ignore[arg-type]
    assert len(bot.started) == expected == 12
    assert {language for _, language in bot.started} == {None, "vi", "en"}

"""Updates of different people are handled at once; one person's (and one chat's) in order.

The real runtime polls the fake servers; a gate in the adapter's offload holds one person's
update in the middle of its handling, as a slow database or network would. Nothing is timed:
each step waits for an event or for the bot's call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.actions.core import Incoming
from bot.actions.turns import handle
from fake_telegram import FakeTelegram
from tests.e2e.conftest import Bot


class Gates:
    """Wraps an adapter's offload: notes when each turn starts and ends, holds the marked
    ones until released."""

    def __init__(self, adapter: Any) -> None:
        self.log: list[str] = []
        self._held: dict[str, asyncio.Event] = {}
        self._entered: dict[str, asyncio.Event] = {}
        self._ended: dict[str, asyncio.Event] = {}
        self._offload: Callable[..., Awaitable[Any]] = adapter.offload
        adapter.offload = self.offload

    @staticmethod
    def tag(incoming: Incoming) -> str:
        return f"{incoming.display_name}: {incoming.text or '/' + incoming.command}"

    def hold(self, tag: str) -> None:
        self._held[tag] = asyncio.Event()

    def release(self, tag: str) -> None:
        self._held[tag].set()

    def entered(self, tag: str) -> asyncio.Event:
        return self._entered.setdefault(tag, asyncio.Event())

    def ended(self, tag: str) -> asyncio.Event:
        return self._ended.setdefault(tag, asyncio.Event())

    async def offload(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn is not handle:
            return await self._offload(fn, *args, **kwargs)
        tag = self.tag(args[2])
        self.log.append(f"start {tag}")
        self.entered(tag).set()
        gate = self._held.get(tag)
        if gate is not None:
            await gate.wait()
        try:
            return await self._offload(fn, *args, **kwargs)
        finally:
            self.log.append(f"end {tag}")
            self.ended(tag).set()


async def reply_to(api: Any, chat_id: int | str, since: float) -> dict[str, Any]:
    call = await api.next_call(
        "sendMessage", where=lambda c: c.params["chat_id"] == chat_id and c.at >= since
    )
    assert call.result is not None, call.error
    return dict(call.params)


async def test_telegram_one_person_held_does_not_hold_another_and_keeps_their_order(
    bot: Bot, api: FakeTelegram
) -> None:
    assert bot.runtime.telegram is not None
    gates = Gates(bot.runtime.telegram)
    lan, minh = api.add_user("Lan"), api.add_user("Minh")
    gates.hold("Lan: /trogiup")
    since = time.monotonic()

    await api.user_sends(lan, "/trogiup")
    await api.user_sends(lan, "/ngonngu")
    await gates.entered("Lan: /trogiup").wait()
    await api.user_sends(minh, "/trogiup")

    # Minh is answered while Lan's first update is still being handled …
    answer = await reply_to(api, minh.id, since)
    assert "/lichhop" in answer["text"]
    assert not gates.ended("Lan: /trogiup").is_set()
    # … and Lan's second update has not started: it waits for her first, not for a slot.
    assert "start Lan: /ngonngu" not in gates.log

    gates.release("Lan: /trogiup")
    first = await reply_to(api, lan.id, since)
    second = await reply_to(api, lan.id, since)
    assert "/lichhop" in first["text"]  # the help, then the language picker
    assert "reply_markup" in second
    lan_lines = [line for line in gates.log if line.endswith(("/trogiup", "/ngonngu"))]
    assert [line for line in lan_lines if "Lan" in line] == [
        "start Lan: /trogiup",
        "end Lan: /trogiup",
        "start Lan: /ngonngu",
        "end Lan: /ngonngu",
    ]
    assert bot.runtime.telegram.order.keys_in_flight == 0


async def test_telegram_one_group_keeps_its_order_across_people(
    bot: Bot, api: FakeTelegram
) -> None:
    assert bot.runtime.telegram is not None
    gates = Gates(bot.runtime.telegram)
    hoa, tuan, outsider = api.add_user("Hoa"), api.add_user("Tuấn"), api.add_user("Khách")
    group = api.add_group("Chi bộ Tổ 3", members=[hoa, tuan])
    gates.hold("Hoa: chào mọi người")

    await api.user_sends(hoa, "chào mọi người", chat=group)
    await api.user_sends(tuan, "chào chị Hoa", chat=group)
    await gates.entered("Hoa: chào mọi người").wait()
    since = time.monotonic()
    await api.user_sends(outsider, "/trogiup")

    await reply_to(api, outsider.id, since)  # someone elsewhere is answered meanwhile
    assert "start Tuấn: chào chị Hoa" not in gates.log  # the group's next message waits
    gates.release("Hoa: chào mọi người")
    await gates.ended("Tuấn: chào chị Hoa").wait()
    group_lines = [line for line in gates.log if "chào" in line]
    assert group_lines == [
        "start Hoa: chào mọi người",
        "end Hoa: chào mọi người",
        "start Tuấn: chào chị Hoa",
        "end Tuấn: chào chị Hoa",
    ]


async def test_zalo_one_person_held_does_not_hold_another_and_keeps_their_order(
    both: Bot, zalo_api: Any
) -> None:
    adapter = both.runtime.zalo
    assert adapter is not None
    gates = Gates(adapter)
    lan, minh = zalo_api.add_user("Lan"), zalo_api.add_user("Minh")
    gates.hold("Lan: /trogiup")
    since = time.monotonic()

    await zalo_api.user_sends(lan, "/trogiup")
    await zalo_api.user_sends(lan, "/ngonngu")
    await gates.entered("Lan: /trogiup").wait()
    await zalo_api.user_sends(minh, "/trogiup")

    answer = await reply_to(zalo_api, minh.id, since)
    assert "/lichhop" in answer["text"]
    assert not gates.ended("Lan: /trogiup").is_set()
    assert "start Lan: /ngonngu" not in gates.log

    gates.release("Lan: /trogiup")
    await gates.ended("Lan: /ngonngu").wait()
    lan_lines = [line for line in gates.log if "Lan" in line]
    assert lan_lines == [
        "start Lan: /trogiup",
        "end Lan: /trogiup",
        "start Lan: /ngonngu",
        "end Lan: /ngonngu",
    ]
    first = await reply_to(zalo_api, lan.id, since)
    second = await reply_to(zalo_api, lan.id, since)
    assert "/lichhop" in first["text"]
    assert "1." in second["text"]  # the language picker, as numbered options
    assert adapter.order.keys_in_flight == 0


async def test_an_update_that_queues_nothing_does_not_wake_the_dispatcher(
    bot: Bot, api: FakeTelegram
) -> None:
    dispatcher = bot.runtime.dispatchers["telegram"]
    wakes: list[str] = []
    wake = dispatcher.wake

    def counted() -> None:
        wakes.append("wake")
        wake()

    dispatcher.wake = counted  # type: ignore[method-assign]
    lan = api.add_user("Lan")
    picker = await bot.say(lan, "/ngonngu")
    await bot.settle()
    assert wakes  # the picker was queued: the dispatcher was told
    wakes.clear()

    # A button from an old screen is answered with a toast alone: no row, no wake.
    answer = await bot.tap_data(lan, picker, "zz|1")
    assert answer.get("show_alert") in (True, "true")
    assert wakes == []

    # A choice that queues an edit wakes it again.
    await bot.tap_edit(lan, picker, "English")
    assert wakes

"""A tap whose action fails unexpectedly still stops the spinner: the callback query is
answered, and the person is told something went wrong (nothing else changes)."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from fake_telegram import FakeTelegram
from tests.e2e.conftest import Bot


async def test_a_failing_tap_is_still_answered(bot: Bot, api: FakeTelegram) -> None:
    def fails(_turn: Turn) -> Reply:
        raise RuntimeError("an unexpected failure")

    bot.runtime.actions.choice("zf", fails)
    lan = api.add_user("Trần Thị Lan", started=True)
    hello = await bot.say(lan, "/trogiup")
    answer = await bot.tap_data(lan, hello, "zf")
    assert "text" not in answer or not answer["text"]
    told = await api.next_call(
        "sendMessage",
        where=lambda c: c.params["chat_id"] == lan.id and "lỗi" in c.params["text"],
    )
    assert (
        told.params["text"] == "Đã có lỗi xảy ra. Không có gì thay đổi; đồng chí vui lòng thử lại."
    )

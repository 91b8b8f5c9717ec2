"""A network round trip injected into a fake server delays every call, of any method."""

from __future__ import annotations

import httpx
import pytest

from fake_telegram import FakeTelegram
from fake_zalo import FakeZalo

TOKEN = "123456:ROUNDTRIP"


class Pauses:
    """Stands in for the server's sleep: notes what it was asked to wait, waits for nothing."""

    def __init__(self, api: FakeTelegram | FakeZalo, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[float] = []
        monkeypatch.setattr(api, "_pause", self.pause)

    async def pause(self, seconds: float) -> None:
        self.asked.append(seconds)


async def test_every_telegram_call_waits_one_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    async with (
        FakeTelegram(token=TOKEN) as api,
        httpx.AsyncClient(base_url=f"{api.url}/bot{TOKEN}/", timeout=10) as http,
    ):
        pauses = Pauses(api, monkeypatch)
        user = api.add_user("Lan", started=True)
        await http.post("getMe")
        assert pauses.asked == []  # none set: full speed

        api.set_round_trip(0.05)
        await http.post("getMe")
        await http.post("sendMessage", data={"chat_id": str(user.id), "text": "chào"})
        await http.post("getUpdates", data={"timeout": "0"})
        await http.post("answerCallbackQuery", data={"callback_query_id": "404"})
        assert pauses.asked == [0.05, 0.05, 0.05, 0.05]
        assert [c.method for c in api.calls][-4:] == [
            "getMe",
            "sendMessage",
            "getUpdates",
            "answerCallbackQuery",
        ]

        api.set_round_trip(0)
        await http.post("getMe")
        assert pauses.asked == [0.05] * 4


async def test_every_zalo_call_waits_one_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "1234567890:round-trip"
    async with (
        FakeZalo(token=token, bot_name="chibot") as api,
        httpx.AsyncClient(base_url=f"{api.url}/bot{token}/", timeout=10) as http,
    ):
        pauses = Pauses(api, monkeypatch)
        api.set_round_trip(0.05)
        await http.post("getMe", json={})
        await http.post("getUpdates", json={"timeout": 0})
        assert pauses.asked == [0.05, 0.05]

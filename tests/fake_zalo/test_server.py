"""Tests of the fake Zalo Bot API server, driven over real HTTP with aiohttp."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from fake_zalo import Call, FakeZalo, FakeZaloUser, RateLimits

TOKEN = "1234567890:zalo-test-token"
ROOT = Path(__file__).resolve().parents[2]
NEVER_WROTE = "Forbidden: the user has not interacted with the bot"
BLOCKED = "Forbidden: the user has blocked the bot"


@pytest.fixture
async def api() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(token=TOKEN, bot_name="Chi bộ bot") as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    api: FakeZalo,
    method: str,
    *,
    form: bool = False,
    token: str = TOKEN,
    **params: Any,
) -> tuple[int, dict[str, Any]]:
    """POSTs a method with a JSON body (or a form-encoded one); returns (status, body)."""
    url = f"{api.url}/bot{token}/{method}"
    if form:
        fields = {k: str(v) for k, v in params.items()}
        async with http.post(url, data=fields) as response:
            return response.status, await response.json()
    async with http.post(url, json=params) as response:
        return response.status, await response.json()


async def wrote(api: FakeZalo, name: str = "Lan") -> FakeZaloUser:
    """A user who has written to the bot (their event is drained from the queue)."""
    user = api.add_user(name)
    await api.user_sends(user, "xin chào")
    api.drop_pending_events()
    return user


class Hook:
    """A local webhook receiver that can fail its first answers."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[str | None, Any]] = []
        self.arrived = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.failures:
            self.failures -= 1
            return web.Response(status=503)
        self.received.append((request.headers.get("X-Bot-Api-Secret-Token"), body))
        self.arrived.set()
        return web.Response(text="ok")

    async def __aenter__(self) -> Hook:
        app = web.Application()
        app.router.add_post("/hook", self.receive)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


# -- basics -------------------------------------------------------------------------------------


async def test_get_me(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, api, "getMe")
    assert status == 200
    assert body == {
        "ok": True,
        "result": {
            "id": "1234567890",
            "account_name": "bot.Chi bộ bot",
            "account_type": "BASIC",
            "can_join_groups": False,
            "display_name": "Chi bộ bot",
        },
    }
    assert api.bot_user.id == "1234567890"
    async with http.get(f"{api.url}/bot{TOKEN}/getMe") as response:
        assert (await response.json())["result"]["id"] == "1234567890"


async def test_wrong_token_is_unauthorized(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, api, "getMe", token="1234567890:wrong")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert api.calls[-1].error == body


async def test_unknown_methods_are_not_found(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    for method in ("editMessageText", "answerCallbackQuery", "setMyCommands", "sendmessage"):
        status, body = await call(http, api, method, chat_id="1", text="x")
        assert status == 404, method
        assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [c.method for c in api.calls] == [
        "editMessageText",
        "answerCallbackQuery",
        "setMyCommands",
        "sendmessage",
    ]


async def test_json_form_and_query_parameters_are_accepted(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = await wrote(api)
    status, body = await call(http, api, "sendMessage", chat_id=lan.id, text="qua JSON")
    assert (status, body["ok"]) == (200, True)
    status, body = await call(http, api, "sendMessage", form=True, chat_id=lan.id, text="qua form")
    assert (status, body["ok"]) == (200, True)
    url = f"{api.url}/bot{TOKEN}/sendMessage"
    async with http.get(url, params={"chat_id": lan.id, "text": "qua query"}) as response:
        assert response.status == 200
    async with http.post(
        url, data=b"{not json", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400
        assert (await r.json())["description"] == "Bad Request: the JSON body does not parse"
    assert api.messages_to(lan) == ["qua JSON", "qua form", "qua query"]
    assert [c.params for c in api.calls_of("sendMessage")][1] == {
        "chat_id": lan.id,
        "text": "qua form",
    }


# -- getUpdates ---------------------------------------------------------------------------------


async def test_get_updates_hands_out_one_event_each_once_in_order(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = api.add_user("Lan", user_id="a1b2c3")
    sent = [await api.user_sends(lan, text) for text in ("một", "hai", "ba")]
    got = []
    for _ in range(3):
        status, body = await call(http, api, "getUpdates", timeout=1)
        assert status == 200
        assert isinstance(body["result"], dict), "one event object, not a list"
        got.append(body["result"])
    assert got == sent
    assert [e["message"]["text"] for e in got] == ["một", "hai", "ba"]
    first = got[0]
    assert first["event_name"] == "message.text.received"
    message = first["message"]
    assert message["chat"] == {"id": "a1b2c3", "chat_type": "PRIVATE"}
    assert message["from"] == {"id": "a1b2c3", "display_name": "Lan", "is_bot": False}
    assert isinstance(message["message_id"], str)
    int(message["message_id"], 16)
    assert len({e["message"]["message_id"] for e in got}) == 3
    assert abs(message["date"] - time.time() * 1000) < 10_000
    assert api.pending_events == []


async def test_event_shapes_of_images_stickers_unsupported_and_groups(api: FakeZalo) -> None:
    lan = api.add_user("Lan")
    image = await api.user_sends_image(lan, "https://example.org/a.jpg", caption="biên bản")
    assert image["event_name"] == "message.image.received"
    assert image["message"]["photo_url"] == "https://example.org/a.jpg"
    assert image["message"]["caption"] == "biên bản"
    assert "text" not in image["message"]
    bare = await api.user_sends_image(lan, "https://example.org/b.jpg")
    assert "caption" not in bare["message"]
    sticker = await api.user_sends_sticker(lan, "abc123", "https://example.org/s.png")
    assert sticker["event_name"] == "message.sticker.received"
    assert (sticker["message"]["sticker"], sticker["message"]["url"]) == (
        "abc123",
        "https://example.org/s.png",
    )
    default = await api.user_sends_sticker(lan)
    assert isinstance(default["message"]["sticker"], str)
    assert default["message"]["url"].startswith("https://")
    unsupported = await api.user_sends_unsupported(lan)
    assert unsupported["event_name"] == "message.unsupported.received"
    group = api.add_group("Chi bộ 1", group_id="g-1")
    in_group = await api.user_sends(lan, "chào cả nhà", chat=group)
    assert in_group["message"]["chat"] == {"id": "g-1", "chat_type": "GROUP"}
    assert len(api.pending_events) == 6
    with pytest.raises(ValueError, match="empty"):
        await api.user_sends(lan, "")
    with pytest.raises(LookupError):
        await api.user_sends(FakeZaloUser("nobody", "Ai đó"), "x")


async def test_idle_poll_ends_with_408_after_its_timeout(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    began = time.monotonic()
    status, body = await call(http, api, "getUpdates", timeout=1)
    elapsed = time.monotonic() - began
    assert status == 408
    assert body == {"ok": False, "error_code": 408, "description": "Request timeout"}
    assert 0.9 <= elapsed < 2.0
    status, body = await call(http, api, "getUpdates", form=True, timeout="0")
    assert status == 408
    status, body = await call(http, api, "getUpdates", timeout="soon")
    assert status == 400


async def test_long_poll_wakes_when_a_user_sends(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = api.add_user("Lan")
    poll = asyncio.create_task(call(http, api, "getUpdates", timeout=10))
    await asyncio.sleep(0.3)
    assert not poll.done(), "getUpdates must hold the request while nothing is pending"
    sent_at = time.monotonic()
    event = await api.user_sends(lan, "có ai không")
    status, body = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - sent_at < 1.0
    assert status == 200
    assert body["result"]["message"]["message_id"] == event["message"]["message_id"]


async def test_concurrent_polls_each_get_a_different_event(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = api.add_user("Lan")
    polls = [asyncio.create_task(call(http, api, "getUpdates", timeout=5)) for _ in range(2)]
    await asyncio.sleep(0.2)
    await api.user_sends(lan, "một")
    await api.user_sends(lan, "hai")
    results = await asyncio.wait_for(asyncio.gather(*polls), 3)
    assert sorted(body["result"]["message"]["text"] for _, body in results) == ["hai", "một"]


async def test_an_abandoned_poll_does_not_swallow_the_event(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = api.add_user("Lan")
    url = f"{api.url}/bot{TOKEN}/getUpdates"
    with pytest.raises(TimeoutError):
        async with http.post(
            url, json={"timeout": 5}, timeout=aiohttp.ClientTimeout(total=0.3)
        ) as response:
            await response.read()
    await asyncio.sleep(0.2)
    await api.user_sends(lan, "đừng mất")
    status, body = await call(http, api, "getUpdates", timeout=2)
    assert status == 200
    assert body["result"]["message"]["text"] == "đừng mất"


async def test_stop_releases_a_held_poll_promptly(http: aiohttp.ClientSession) -> None:
    api = FakeZalo(token=TOKEN)
    await api.start()
    poll = asyncio.create_task(call(http, api, "getUpdates", timeout=30))
    await asyncio.sleep(0.2)
    began = time.monotonic()
    await api.stop()
    status, _ = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - began < 2.5
    assert status == 408


async def test_replay_hands_out_the_same_message_id_again(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(LookupError):
        api.replay_last_event()
    lan = api.add_user("Lan")
    await api.user_sends(lan, "một lần thôi")
    _, first = await call(http, api, "getUpdates", timeout=1)
    replayed = api.replay_last_event()
    _, again = await call(http, api, "getUpdates", timeout=1)
    assert again["result"] == first["result"] == replayed
    assert again["result"]["message"]["message_id"] == first["result"]["message"]["message_id"]
    status, _ = await call(http, api, "getUpdates", timeout=0)
    assert status == 408


# -- webhook ------------------------------------------------------------------------------------


async def test_webhook_enveloped_with_secret_and_retry(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = api.add_user("Lan")
    held = asyncio.create_task(call(http, api, "getUpdates", timeout=10))
    await asyncio.sleep(0.2)
    async with Hook(failures=1) as hook:
        status, body = await call(http, api, "setWebhook", url=hook.url, secret_token="bi-mat-123")
        assert (await asyncio.wait_for(held, 2))[0] == 409, "a held poll ends when it is set"
        assert status == 200
        assert body["result"]["url"] == hook.url
        assert body["result"]["updated_at"] > 0
        status, body = await call(http, api, "getUpdates", timeout=1)
        assert status == 409
        assert body["description"].startswith("Conflict: a webhook is set")
        event = await api.user_sends(lan, "qua webhook")
        await asyncio.wait_for(hook.arrived.wait(), 3)
        assert hook.received == [("bi-mat-123", {"ok": True, "result": event})]
        deliveries = api.webhook_deliveries
        assert [(d.attempt, d.status, d.ok) for d in deliveries] == [
            (1, 503, False),
            (2, 200, True),
        ]
        assert deliveries[1].secret_token == "bi-mat-123"
        assert deliveries[1].event == event
        _, info = await call(http, api, "getWebhookInfo")
        assert info["result"]["url"] == hook.url
        _, deleted = await call(http, api, "deleteWebhook")
        assert deleted["result"]["url"] == ""
        await api.user_sends(lan, "lại polling")
        status, body = await call(http, api, "getUpdates", timeout=1)
        assert status == 200
        assert body["result"]["message"]["text"] == "lại polling"
        assert len(hook.received) == 1


async def test_webhook_flat_body_and_pending_events(
    http: aiohttp.ClientSession,
) -> None:
    async with FakeZalo(token=TOKEN, webhook_body="flat") as api, Hook() as hook:
        lan = api.add_user("Lan")
        waiting = await api.user_sends(lan, "đợi sẵn")
        await call(http, api, "setWebhook", url=hook.url, secret_token="x" * 256)
        await asyncio.wait_for(hook.arrived.wait(), 3)
        assert hook.received == [("x" * 256, waiting)]
        api.webhook_body = "enveloped"
        image = await api.user_sends_image(lan, "https://example.org/a.jpg")
        deliveries = await api.wait_webhook_deliveries(2)
        assert deliveries[1].body == {"ok": True, "result": image}


async def test_webhook_gives_up_after_retries(http: aiohttp.ClientSession) -> None:
    async with (
        FakeZalo(token=TOKEN, webhook_retries=2, webhook_retry_delay=0.05) as api,
        Hook(failures=10) as hook,
    ):
        lan = api.add_user("Lan")
        await call(http, api, "setWebhook", url=hook.url, secret_token="12345678")
        await api.user_sends(lan, "mất")
        await api.wait_webhook_deliveries(3)
        await asyncio.sleep(0.2)
        attempts = api.webhook_deliveries
        assert [(d.attempt, d.status) for d in attempts] == [(1, 503), (2, 503), (3, 503)]
        assert api.pending_events == []
        with pytest.raises(TimeoutError, match="wanted 4"):
            await api.wait_webhook_deliveries(4, timeout=0.2)


async def test_set_webhook_validates_url_and_secret(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    for secret in ("short77", "x" * 257, None):
        params: dict[str, Any] = {"url": "https://example.org/hook"}
        if secret is not None:
            params["secret_token"] = secret
        status, body = await call(http, api, "setWebhook", **params)
        assert status == 400, secret
        assert body["description"] == "Bad Request: secret_token must be 8 to 256 characters long"
    status, body = await call(http, api, "setWebhook", url="ftp://x", secret_token="12345678")
    assert (status, body["description"]) == (400, "Bad Request: url must be an http(s) URL")
    _, info = await call(http, api, "getWebhookInfo")
    assert info["result"] == {"url": "", "updated_at": 0}


# -- sending ------------------------------------------------------------------------------------


async def test_send_message_text_limits(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    lan = await wrote(api)
    status, body = await call(http, api, "sendMessage", chat_id=lan.id, text="ắ" * 2000)
    assert status == 200
    result = body["result"]
    assert set(result) == {"message_id", "date"}
    int(result["message_id"], 16)
    assert abs(result["date"] - time.time() * 1000) < 10_000
    for text, length in (("a" * 2001, 2001), ("", 0), ("   ", 3)):
        status, body = await call(http, api, "sendMessage", chat_id=lan.id, text=text)
        assert status == 400
        assert body == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: text must be 1 to 2000 characters long and not blank "
            f"(got {length} characters)",
        }
    status, body = await call(http, api, "sendMessage", chat_id=lan.id)
    assert status == 400
    status, body = await call(http, api, "sendMessage", text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat_id is required")
    assert api.sent_count(lan) == 1
    assert api.sent_count() == 1
    assert api.last_message(lan) == "ắ" * 2000


async def test_send_photo_by_url_only(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    lan = await wrote(api)
    status, body = await call(
        http, api, "sendPhoto", chat_id=lan.id, photo="https://example.org/p.png", caption="ảnh"
    )
    assert status == 200
    assert set(body["result"]) == {"message_id", "date"}
    status, body = await call(http, api, "sendPhoto", chat_id=lan.id, photo="p.png")
    assert status == 400
    assert "URL" in body["description"]
    status, body = await call(
        http, api, "sendPhoto", chat_id=lan.id, photo="https://e.org/p", caption="c" * 2001
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: caption must be at most 2000 characters long (got 2001 characters)",
    )
    form = aiohttp.FormData()
    form.add_field("chat_id", lan.id)
    form.add_field("photo", b"\x89PNG", filename="p.png")
    async with http.post(f"{api.url}/bot{TOKEN}/sendPhoto", data=form) as response:
        assert response.status == 400
    sent = api.sent_messages(lan)
    assert [(m["kind"], m["photo"], m["caption"]) for m in sent] == [
        ("photo", "https://example.org/p.png", "ảnh")
    ]
    assert api.messages_to(lan) == []
    assert api.last_message(lan) is None
    assert api.sent_count() == 1


async def test_send_chat_action(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    lan = await wrote(api)
    status, body = await call(http, api, "sendChatAction", chat_id=lan.id, action="typing")
    assert (status, body) == (200, {"ok": True, "result": True})
    status, _ = await call(http, api, "sendChatAction", chat_id=lan.id, action="dancing")
    assert status == 400
    stranger = api.add_user("Minh")
    status, body = await call(http, api, "sendChatAction", chat_id=stranger.id, action="typing")
    assert (status, body["description"]) == (403, NEVER_WROTE)
    assert api.sent_count() == 0


async def test_sending_to_someone_who_never_wrote_is_a_permanent_error(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    stranger = api.add_user("Minh")
    for chat_id in (stranger.id, "no-such-user"):
        status, body = await call(http, api, "sendMessage", chat_id=chat_id, text="xin chào")
        assert status == 403
        assert body == {"ok": False, "error_code": 403, "description": NEVER_WROTE}
    await api.user_sends(stranger, "chào bot")
    status, _ = await call(http, api, "sendMessage", chat_id=stranger.id, text="chào Minh")
    assert status == 200
    assert api.messages_to(stranger) == ["chào Minh"]
    group = api.add_group("Chi bộ")
    status, _ = await call(http, api, "sendMessage", chat_id=group.id, text="chào chi bộ")
    assert status == 200
    assert api.messages_to(group) == ["chào chi bộ"]


async def test_blocked_user_is_a_permanent_error(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = await wrote(api)
    await call(http, api, "sendMessage", chat_id=lan.id, text="trước khi chặn")
    api.user_blocks(lan)
    assert api.is_blocked(lan)
    status, body = await call(http, api, "sendMessage", chat_id=lan.id, text="x")
    assert status == 403
    assert body == {"ok": False, "error_code": 403, "description": BLOCKED}
    status, body = await call(http, api, "sendPhoto", chat_id=lan.id, photo="https://e.org/p")
    assert (status, body["description"]) == (403, BLOCKED)
    api.user_unblocks(lan)
    await call(http, api, "sendMessage", chat_id=lan.id, text="đã bỏ chặn")
    api.user_blocks(lan)
    await api.user_sends(lan, "tôi quay lại")  # writing again unblocks
    assert not api.is_blocked(lan)
    await call(http, api, "sendMessage", chat_id=lan.id, text="chào mừng trở lại")
    assert api.messages_to(lan) == ["trước khi chặn", "đã bỏ chặn", "chào mừng trở lại"]


async def test_monthly_quota(http: aiohttp.ClientSession) -> None:
    async with FakeZalo(token=TOKEN, monthly_quota=2) as api:
        lan = await wrote(api)
        for text in ("một", "hai"):
            status, _ = await call(http, api, "sendMessage", chat_id=lan.id, text=text)
            assert status == 200
        status, body = await call(http, api, "sendMessage", chat_id=lan.id, text="ba")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Quota exceeded: the monthly quota of 2 messages is used up",
        }
        status, _ = await call(http, api, "sendPhoto", chat_id=lan.id, photo="https://e.org/p")
        assert status == 429
        status, _ = await call(http, api, "sendChatAction", chat_id=lan.id, action="typing")
        assert status == 200, "chat actions are not messages"
        assert (api.quota_used, api.quota_refused_count, api.rate_limited_count) == (2, 2, 0)
        assert api.messages_to(lan) == ["một", "hai"]
        api.reset_quota()
        status, _ = await call(http, api, "sendMessage", chat_id=lan.id, text="tháng mới")
        assert status == 200
        api.monthly_quota = None
        for _ in range(3):
            assert (await call(http, api, "sendMessage", chat_id=lan.id, text="x"))[0] == 200
        assert api.sent_count(lan) == 6


async def test_rate_limit_per_chat(http: aiohttp.ClientSession) -> None:
    limits = RateLimits(per_chat_per_second=0.5, per_chat_burst=2, global_per_second=100)
    async with FakeZalo(token=TOKEN, rate_limits=limits) as api:
        lan = await wrote(api)
        minh = await wrote(api, "Minh")
        for _ in range(2):
            assert (await call(http, api, "sendMessage", chat_id=lan.id, text="x"))[0] == 200
        status, body = await call(http, api, "sendMessage", chat_id=lan.id, text="x")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests",
            "parameters": {"retry_after": 2},
        }
        assert (await call(http, api, "sendMessage", chat_id=minh.id, text="y"))[0] == 200
        assert (api.rate_limited_count, api.quota_refused_count) == (1, 0)
        assert api.sent_count() == 3


# -- faults -------------------------------------------------------------------------------------


async def test_fault_429_and_quota(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    lan = await wrote(api)
    api.inject_fault("sendMessage", "429", retry_after=7)
    status, body = await call(http, api, "sendMessage", chat_id=lan.id, text="x")
    assert (status, body["description"], body["parameters"]) == (
        429,
        "Too Many Requests",
        {"retry_after": 7},
    )
    api.inject_fault("sendMessage", "quota")
    status, body = await call(http, api, "sendMessage", chat_id=lan.id, text="x")
    assert status == 429
    assert body["description"].startswith("Quota exceeded")
    assert "parameters" not in body
    assert (api.rate_limited_count, api.quota_refused_count) == (1, 1)
    assert (await call(http, api, "sendMessage", chat_id=lan.id, text="y"))[0] == 200
    assert api.messages_to(lan) == ["y"]


async def test_fault_5xx_counts_and_chat_filter(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = await wrote(api)
    minh = await wrote(api, "Minh")
    api.inject_fault("sendMessage", "5xx", count=2, chat_id=minh)
    assert (await call(http, api, "sendMessage", chat_id=lan.id, text="Lan"))[0] == 200
    for _ in range(2):
        status, body = await call(http, api, "sendMessage", chat_id=minh.id, text="Minh")
        assert (status, body) == (
            502,
            {"ok": False, "error_code": 502, "description": "Bad Gateway"},
        )
    assert (await call(http, api, "sendMessage", chat_id=minh.id, text="Minh"))[0] == 200
    api.inject_fault("getMe", "5xx", status=503)
    status, body = await call(http, api, "getMe")
    assert (status, body["description"]) == (503, "Service Unavailable")
    api.inject_fault("sendMessage", "5xx", count=5)
    api.clear_faults()
    assert (await call(http, api, "sendMessage", chat_id=lan.id, text="ok"))[0] == 200
    with pytest.raises(ValueError, match="unknown fault kind"):
        api.inject_fault("sendMessage", "boom")


async def test_fault_slow_is_performed_late(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    lan = await wrote(api)
    api.inject_fault("sendMessage", "slow", delay=0.5)
    began = time.monotonic()
    status, _ = await call(http, api, "sendMessage", chat_id=lan.id, text="chậm")
    assert status == 200
    assert time.monotonic() - began >= 0.5
    began = time.monotonic()
    await call(http, api, "sendMessage", chat_id=lan.id, text="nhanh")
    assert time.monotonic() - began < 0.5
    assert api.messages_to(lan) == ["chậm", "nhanh"]


async def test_fault_drop_is_not_performed(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    lan = await wrote(api)
    api.inject_fault("sendMessage", "drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(http, api, "sendMessage", chat_id=lan.id, text="rơi")
    dropped = await api.next_call("sendMessage")
    assert dropped.error is not None
    assert dropped.error["fault"] == "drop"
    assert api.messages_to(lan) == []
    assert (await call(http, api, "sendMessage", chat_id=lan.id, text="lại"))[0] == 200
    assert api.sent_count() == 1


async def test_fault_drop_on_get_updates_keeps_the_event(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = api.add_user("Lan")
    await api.user_sends(lan, "còn đây")
    api.inject_fault("getUpdates", "drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(http, api, "getUpdates", timeout=1)
    _, body = await call(http, api, "getUpdates", timeout=1)
    assert body["result"]["message"]["text"] == "còn đây"


async def test_fault_timeout_holds_then_drops(api: FakeZalo, http: aiohttp.ClientSession) -> None:
    lan = await wrote(api)
    api.inject_fault("sendMessage", "timeout", delay=0.5)
    began = time.monotonic()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await call(http, api, "sendMessage", chat_id=lan.id, text="x")
    assert time.monotonic() - began >= 0.5
    api.inject_fault("sendMessage", "timeout", delay=5)
    with pytest.raises(TimeoutError):
        async with http.post(
            f"{api.url}/bot{TOKEN}/sendMessage",
            json={"chat_id": lan.id, "text": "y"},
            timeout=aiohttp.ClientTimeout(total=0.3),
        ) as response:
            await response.read()
    assert [c.error["fault"] for c in api.calls_of("sendMessage") if c.error] == [
        "timeout",
        "timeout",
    ]
    assert api.messages_to(lan) == []


# -- next_call and listeners --------------------------------------------------------------------


async def test_next_call_consumes_in_order_and_explains_timeouts(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    lan = await wrote(api)
    minh = await wrote(api, "Minh")
    await call(http, api, "sendMessage", chat_id=lan.id, text="một")
    await call(http, api, "sendMessage", chat_id=minh.id, text="hai")
    await call(http, api, "sendMessage", chat_id=lan.id, text="ba")
    to_minh = await api.next_call("sendMessage", where=lambda c: c.chat_id == minh.id)
    assert to_minh.params["text"] == "hai"
    assert isinstance(to_minh, Call)
    first = await api.next_call("sendMessage")
    second = await api.next_call("sendMessage")
    assert [first.params["text"], second.params["text"]] == ["một", "ba"]
    assert first.ok
    assert set(first.result) == {"message_id", "date"}
    assert first.at <= second.at

    waiter = asyncio.create_task(api.next_call("sendMessage", timeout=2))
    await asyncio.sleep(0.05)
    await call(http, api, "sendMessage", chat_id=lan.id, text="bốn")
    assert (await waiter).params["text"] == "bốn"

    await call(http, api, "getMe")
    with pytest.raises(TimeoutError, match=r"no sendMessage call within 0\.2s") as caught:
        await api.next_call("sendMessage", timeout=0.2)
    message = str(caught.value)
    assert "bốn" in message
    assert "getMe {} -> ok" in message
    assert "(consumed)" in message

    await call(http, api, "sendMessage", chat_id=lan.id, text="")
    failed = await api.next_call("sendMessage")
    assert failed.result is None
    assert failed.error is not None
    assert failed.error["error_code"] == 400


async def test_listeners_see_calls_and_user_messages(
    api: FakeZalo, http: aiohttp.ClientSession
) -> None:
    calls: list[Call] = []
    events: list[dict[str, Any]] = []
    api.on_call(calls.append)
    api.on_user_message(events.append)
    lan = api.add_user("Lan")
    event = await api.user_sends(lan, "chào")
    await call(http, api, "sendMessage", chat_id=lan.id, text="chào Lan")
    assert events == [event]
    assert [(c.method, c.params["text"], c.ok) for c in calls] == [
        ("sendMessage", "chào Lan", True)
    ]


# -- standalone ---------------------------------------------------------------------------------


async def test_standalone_module_serves_and_exposes_control_api(
    http: aiohttp.ClientSession,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "fake_zalo",
        "--port",
        "0",
        "--token",
        "42:abc",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with http.post(f"{url}/bot42:abc/getMe") as response:
            assert (await response.json())["result"]["id"] == "42"
        async with http.post(f"{url}/_fake/users", json={"display_name": "Lan"}) as response:
            user = await response.json()
        async with http.post(
            f"{url}/_fake/send", json={"user_id": user["id"], "text": "chào"}
        ) as response:
            assert (await response.json())["message"]["text"] == "chào"
        async with http.post(f"{url}/bot42:abc/getUpdates", json={"timeout": 1}) as response:
            assert (await response.json())["result"]["message"]["from"]["id"] == user["id"]
        async with http.post(
            f"{url}/bot42:abc/sendMessage", data={"chat_id": user["id"], "text": "chào bạn"}
        ) as response:
            assert response.status == 200
        async with http.get(f"{url}/_fake/messages", params={"chat_id": user["id"]}) as response:
            assert [m["text"] for m in await response.json()] == ["chào bạn"]
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0, "SIGTERM should stop the server cleanly"

"""A fake Telegram Bot API HTTP server for end-to-end tests, benchmarks and the sandbox."""

from fake_telegram.models import Call, FakeChat, FakeUser, RateLimits
from fake_telegram.server import FakeTelegram

__all__ = ["Call", "FakeChat", "FakeTelegram", "FakeUser", "RateLimits"]

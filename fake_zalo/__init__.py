"""A fake Zalo Bot API HTTP server for end-to-end tests, benchmarks and the sandbox."""

from fake_zalo.models import (
    Call,
    FakeZaloGroup,
    FakeZaloUser,
    RateLimits,
    WebhookDelivery,
)
from fake_zalo.server import FakeZalo

__all__ = [
    "Call",
    "FakeZalo",
    "FakeZaloGroup",
    "FakeZaloUser",
    "RateLimits",
    "WebhookDelivery",
]

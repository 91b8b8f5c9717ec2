"""Injected faults: rate limits, quota, server errors, slow answers, drops and timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from fake_common import faults
from fake_zalo.models import (
    ApiError,
    FakeZaloGroup,
    FakeZaloUser,
    quota_exceeded,
    too_many_requests,
)

FAULT_KINDS = ("429", "quota", "5xx", "slow", "drop", "timeout")
DEFAULT_DELAYS = {"slow": 1.0, "timeout": 30.0}


@dataclass
class Fault(faults.Fault):
    """One injected fault and how many more requests it applies to.

    Attributes:
        kind: One of FAULT_KINDS.
        remaining: Requests still to be affected.
        chat_id: Only requests with this chat_id (a string) are affected (None: all).
        retry_after: The retry_after of "429" faults.
        delay: Seconds "slow" faults wait (then answer normally) and "timeout" faults hold.
        status: The HTTP status of "5xx" faults.
    """

    status: int

    def error(self, quota: int | None) -> ApiError | None:
        """The error answer of this fault, or None for "slow", "drop" and "timeout"."""
        if self.kind == "429":
            return too_many_requests(self.retry_after)
        if self.kind == "quota":
            return quota_exceeded(quota)
        if self.kind == "5xx":
            return ApiError(self.status, HTTPStatus(self.status).phrase)
        return None


class FaultBook(faults.FaultBook[Fault]):
    """The faults waiting for requests, per method (names as requested: case-sensitive)."""

    def add(
        self,
        method: str,
        kind: str,
        count: int,
        chat_id: str | FakeZaloUser | FakeZaloGroup | None,
        retry_after: int,
        delay: float | None,
        status: int,
    ) -> Fault:
        """Validates and stores a fault (see FakeZalo.inject_fault)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if not 500 <= status <= 599:
            raise ValueError("status must be a 5xx HTTP status")
        HTTPStatus(status)  # raises ValueError for unknown statuses
        if isinstance(chat_id, FakeZaloUser | FakeZaloGroup):
            chat_id = chat_id.id
        seconds = DEFAULT_DELAYS.get(kind, 0.0) if delay is None else max(0.0, float(delay))
        fault = Fault(kind, count, chat_id, max(1, int(retry_after)), seconds, status)
        return self.put(method, fault)

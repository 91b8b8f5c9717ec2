"""Injected faults waiting for requests: which request each one hits, and how many."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from fake_common.models import JSON


@dataclass
class Fault:
    """One injected fault and how many more requests it applies to.

    Attributes:
        kind: What the fault does (each server has its own kinds; "drop" and "timeout" are
            common to both).
        remaining: Requests still to be affected.
        chat_id: Only requests with this chat_id are affected (None: all).
        retry_after: The retry_after of rate-limit faults.
        delay: Seconds the fault holds the request ("timeout", and "slow" where it exists).
    """

    kind: str
    remaining: int
    chat_id: int | str | None
    retry_after: int
    delay: float


FaultT = TypeVar("FaultT", bound=Fault)


class FaultBook(Generic[FaultT]):
    """The faults waiting for requests, per method."""

    def __init__(self) -> None:
        """Creates an empty book."""
        self._faults: dict[str, list[FaultT]] = {}

    def put(self, method: str, fault: FaultT) -> FaultT:
        """Stores a fault for the next requests of `method` (after those stored before)."""
        self._faults.setdefault(method, []).append(fault)
        return fault

    def clear(self) -> None:
        """Removes every fault that has not fired yet."""
        self._faults.clear()

    def take(self, method: str, params: JSON) -> FaultT | None:
        """The first fault that applies to this request (counting it down), if any."""
        faults = self._faults.get(method)
        if not faults:
            return None
        chat_id = params.get("chat_id")
        for fault in faults:
            if fault.chat_id is None or fault.chat_id == chat_id:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    faults.remove(fault)
                return fault
        return None

"""Plain data objects both fake servers use: JSON, the recorded call and the API error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class BaseCall:
    """One Bot API request a fake server received (each server's `Call` adds `chat_id`).

    Attributes:
        method: The method name.
        params: The request parameters.
        result: The `result` returned to the client, None when the request failed.
        error: The error envelope returned (or, for injected "timeout"/"drop" faults, a
            description of the fault), None on success.
        at: `time.monotonic()` when the request was answered.
    """

    method: str
    params: JSON
    result: Any = None
    error: JSON | None = None
    at: float = 0.0
    consumed: bool = field(default=False, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.error is None


class ApiError(Exception):
    """A Bot API error answer: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        """Creates the error.

        Args:
            code: The HTTP status and `error_code`.
            description: The `description`, e.g. "Bad Request: chat not found".
            parameters: The optional `parameters` object (retry_after, migrate_to_chat_id).
        """
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> JSON:
        """Returns the JSON error envelope the API answers with."""
        data: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(description: str, parameters: JSON | None = None) -> ApiError:
    """Returns a 400 error whose description is prefixed with "Bad Request: "."""
    return ApiError(400, f"Bad Request: {description}", parameters)

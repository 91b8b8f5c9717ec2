"""Domain exceptions the adapters map to one localized reply each."""

from __future__ import annotations


class DomainError(Exception):
    """A use case refused: `code` names the reason, `params` fill the message."""

    code = "error"

    def __init__(self, code: str | None = None, **params: object) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(self.code)


class NotAllowed(DomainError):
    """The person lacks the role this action needs."""

    code = "not_allowed"


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to this person)."""

    code = "not_found"


class InvalidInput(DomainError):
    """The input could not be understood; `code` says how."""

    code = "invalid_input"


class Conflict(DomainError):
    """The action clashes with the current state (already used, already joined, …)."""

    code = "conflict"

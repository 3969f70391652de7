"""Domain errors: each carries a message that is safe and kind to show the person who caused it."""

from __future__ import annotations


class DomainError(Exception):
    """Something the user can fix; `message` is shown to them as it is, ephemerally."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """A value the user typed cannot be used; the message says why and shows one that works."""


class NotFound(DomainError):
    """The thing the user asked about does not exist (any more)."""


class NotConfigured(DomainError):
    """The server has not set up what this needs yet; the message says how to set it up."""

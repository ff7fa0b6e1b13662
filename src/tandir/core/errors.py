"""Business errors with a stable code (for the API and imports) and a translatable message."""

from __future__ import annotations

from typing import Any


class TandirError(Exception):
    """A rule of the programme was broken; nothing was changed."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotAllowed(TandirError):
    code = "not_allowed"
    http_status = 403


class Conflict(TandirError):
    code = "conflict"
    http_status = 409


class NotFound(TandirError):
    """The record is not there, or not in the caller's scope: the same answer for both."""

    code = "not_found"
    http_status = 404

"""Typed errors of the API layer, each with a short title and one sentence for the user.

Names are chosen to shadow no builtin (no `ConnectionError`, no `TimeoutError`). Messages
are redacted by the HTTP layer before an error is raised, so a token never reaches one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemProblem:
    """Why the server refused one item of a request."""

    index: int | None  # position in the request's `data`; None: the whole request
    message: str
    field: str | None = None


class ApiError(Exception):
    """Base of every error the adapters raise; `str()` is one sentence fit to show.
    `problems` name the items of a bulk call the server refused (422, or 404 for ids)."""

    title = "Request failed"

    def __init__(
        self, message: str, *, status: int | None = None, problems: list[ItemProblem] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = problems or []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"

    def for_item(self, index: int) -> list[ItemProblem]:
        return [p for p in self.problems if p.index == index]

    @property
    def item_indexes(self) -> set[int]:
        return {p.index for p in self.problems if p.index is not None}


class AuthError(ApiError):
    title = "Not signed in"


class ForbiddenError(ApiError):
    title = "Not allowed"


class NotFoundError(ApiError):
    title = "Not found"


class RequestRejectedError(ApiError):
    """400, 409 or 415: the request itself is wrong (a bug here, or an API change)."""

    title = "Request refused"


class PayloadTooLargeError(ApiError):
    """413, or a server saying a bulk call has too many items: send smaller chunks."""

    title = "Request too large"


class InvalidEntriesError(ApiError):
    """422: the server refused some items; `problems` say which and why."""

    title = "Invalid entries"

    def __init__(self, message: str, problems: list[ItemProblem], *, status: int = 422) -> None:
        super().__init__(message, status=status, problems=problems)


class RateLimitedError(ApiError):
    title = "Rate limited"


class ServerError(ApiError):
    title = "Server error"


class NetworkError(ApiError):
    """The request never reached the server, or no answer came for a safe retry."""

    title = "Network error"


class OutcomeUnknownError(ApiError):
    """A POST was sent but its answer was lost: it may or may not have been applied.
    It is never resent blindly; the caller re-reads to find out."""

    title = "Outcome unknown"


class BadResponseError(ApiError):
    """The server answered with something that is not what the API documents."""

    title = "Unexpected answer"


class UnsupportedError(ApiError):
    """The backend cannot do this (Plannr has no approvals, or no trackables set)."""

    title = "Not supported"

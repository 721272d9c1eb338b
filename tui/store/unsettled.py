"""Writes that may have reached the server, and how a read settles them.

Before a write is sent, the journal marks it `Unsettled` (in flight). A confirmed answer,
or a refusal, removes the mark in the same transaction as the outcome. When the answer is
lost (a timeout, a reset after sending, a 502/504, an unreadable 2xx, a kill of the app),
the mark stays: the write is *unknown*, and nothing else is sent for that entry until a
read settles it. The read waits for a grace period after the send (`settle_grace`), since
a slow server may still apply a request the client gave up on; a request landing later
than that is beyond any client's control. "After the send" is the latest moment a try may
have left: when the client gave up on the answer (a retry after a Retry-After, or one that
waited for the rate limit, leaves long after the mark), and for a mark found in the journal
when the store opens, the opening (the run before may have sent it until its last moment).

A read settles each kind by what the server holds:
- create: an entry with the same content that was not there before the send (the ids
  of such twins are kept with the mark) is the create; none means it never landed;
- update: the sent values are there: done; the entry unchanged since the change was
  staged: it never landed; anything else is someone else's change: a conflict;
- delete: the entry is gone: done; still there: it never landed;
- approve / unapprove: the entry's approval is what the server says; the write is never
  resent by itself (the user sees the result and decides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

WRITE_KINDS = ("create", "update", "delete", "approve", "unapprove")


@dataclass(frozen=True)
class Unsettled:
    """One write that may have reached the server, as the journal keeps it."""

    kind: str
    """create, update, delete, approve or unapprove."""
    sent_at: datetime
    """The latest moment it may have left the client, on the store's clock: set just before
    it is sent, and moved to when its answer was given up (`given_up`), since a retry may
    have left long after the first try."""
    sent: Mapping[str, Any] = field(default_factory=dict)
    """What was sent: the values of a create or an update; `for_all_approvers` of an approve."""
    twins_before: tuple[str, ...] = ()
    """A create's: ids of entries with the same content on the server before it was sent."""

    def given_up(self, now: datetime) -> Unsettled:
        """The mark once the client has stopped waiting for the answer, at `now`: any try
        (a retry after a Retry-After, or one that waited for the rate limit) left before
        that, so the grace runs from there and not from the mark made before the first."""
        return replace(self, sent_at=max(self.sent_at, now))

    def due(self, now: datetime, grace: timedelta) -> bool:
        """Whether a read can settle it now: the grace after sending has passed."""
        return now >= self.sent_at + grace

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "sent_at": self.sent_at.isoformat(),
            "sent": {k: v.isoformat() if isinstance(v, date) else v for k, v in self.sent.items()},
            "twins_before": list(self.twins_before),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Unsettled:
        sent = {
            k: date.fromisoformat(v) if k == "date" and isinstance(v, str) else v
            for k, v in dict(raw.get("sent") or {}).items()
        }
        kind = str(raw["kind"])
        if kind not in WRITE_KINDS:
            raise ValueError(f"unknown write kind {kind!r}")
        return cls(
            kind=kind,
            sent_at=datetime.fromisoformat(str(raw["sent_at"])),
            sent=sent,
            twins_before=tuple(str(i) for i in raw.get("twins_before") or ()),
        )


WAITING = "Waiting for the server to confirm this change (its answer was lost)."
"""What a row with an unsettled write says, in the grid and the CLI."""


def waiting_sentence(entry_id: str) -> str:
    return (
        f"Entry {entry_id} is waiting for the server to confirm an earlier save; "
        "it can change again once that is settled."
    )

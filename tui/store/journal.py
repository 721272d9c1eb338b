"""The journal: staged changes on disk before they are acknowledged.

One SQLite file per profile in the platform state dir. Each staging action writes the new
state of the ids it touched in one transaction with `synchronous=FULL` (the WAL is synced
on commit), so a crash, kill -9 or power loss after the store acknowledged a change loses
nothing. Rows leave only when the server has confirmed the change. The journal never
holds a token: it is given entry values only.

`unsettled` holds the writes that may have reached the server with no confirmed outcome
(`tui.store.unsettled`): each is marked before it is sent, so a kill mid-save leaves the
mark, and the next save reads the server before anything for that entry is resent.

`history` holds the top of the undo and redo stacks (one row per action, the last
`HISTORY_LIMIT` undoable ones), so a restart can undo what was staged before it; each
staging step adds, moves or trims a few rows in the transaction that writes its states, so a
write costs the same however long the session's history. `failed` holds the server's reason
for each staged change it refused, until the change is staged anew or saved: a row marked
failed is still marked after a restart.

`journal_meta` holds the format's `schema_version`. A journal of an older format is brought
up to date when it opens; one of a newer format (a newer timesheet wrote it) is refused and
left as it is, so going back to an older version never drops what a newer one staged.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from tui.store.private import connect_private
from tui.store.staging import Action, HistoryStep, Staged
from tui.store.unsettled import Unsettled

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS staged (
        entry_id  TEXT PRIMARY KEY,
        seq       INTEGER NOT NULL,
        state     TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS journal_meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS unsettled (
        entry_id  TEXT PRIMARY KEY,
        state     TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS history (
        key     INTEGER PRIMARY KEY,
        stack   TEXT NOT NULL,
        pos     INTEGER NOT NULL,
        action  TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS history_by_stack ON history (stack, pos)",
    """CREATE TABLE IF NOT EXISTS failed (
        entry_id  TEXT PRIMARY KEY,
        message   TEXT NOT NULL
    )""",
)
SCHEMA_VERSION = 3
"""The format this code writes. Format 0 (from before there was a version) and format 1
have the same `staged` rows; 2 adds the `unsettled` table, 3 the `history` and `failed`
tables, each empty after the upgrade (a journal from before 3 restores with no history)."""
UNDO, REDO = "undo", "redo"
HISTORY_LIMIT = 200
"""Actions kept for the next run to undo: the oldest goes when a new one is one too many."""
VERSION_KEY = "schema_version"
SERVER_KEY = "server"
"""`journal_meta`: where the staged changes go; a journal is applied to that server only."""


class JournalError(Exception):
    """The journal cannot be opened; nothing in it was changed. `str()` is one sentence."""


def _encode(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _decode(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: date.fromisoformat(v) if k == "date" and isinstance(v, str) else v
        for k, v in values.items()
    }


def _staged_json(state: Staged) -> dict[str, Any]:
    return {**state.to_json(), "values": _encode(state.values), "original": _encode(state.original)}


def _staged_of(raw: Mapping[str, Any]) -> Staged:
    staged = Staged.from_json(raw)
    return Staged(
        staged.kind, _decode(staged.values), _decode(staged.original), staged.base_updated_at
    )


def _action_json(action: Action) -> str:
    return json.dumps(
        {
            "label": action.label,
            "changes": {
                entry_id: [_staged_json(s) if s is not None else None for s in pair]
                for entry_id, pair in action.changes.items()
            },
        }
    )


def _action_of(key: int, payload: str) -> Action:
    raw = json.loads(payload)
    changes = {
        entry_id: (
            _staged_of(before) if before is not None else None,
            _staged_of(after) if after is not None else None,
        )
        for entry_id, (before, after) in raw["changes"].items()
    }
    return Action(raw["label"], changes, key)


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.conn = connect_private(path)
        except (sqlite3.Error, OSError) as error:
            raise JournalError(self._cannot_open(error)) from None
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA busy_timeout=5000")
            self._upgrade()
        except (sqlite3.Error, OSError) as error:
            self.conn.close()
            raise JournalError(self._cannot_open(error)) from None
        except BaseException:
            self.conn.close()
            raise
        row = self.conn.execute("SELECT max(seq) FROM staged").fetchone()
        self._seq = int(row[0] or 0)
        row = self.conn.execute("SELECT max(pos) FROM history").fetchone()
        self._pos = int(row[0] or 0)
        self._recount()

    def _cannot_open(self, error: sqlite3.Error | OSError) -> str:
        """One sentence: the file, why, and what to do; the file itself is left alone (it
        may hold staged changes a repair tool could still read)."""
        if isinstance(error, sqlite3.DatabaseError) and "not a database" in str(error):
            why = "it is damaged (not an SQLite database)"
        else:
            why = str(error.strerror if isinstance(error, OSError) and error.strerror else error)
        return (
            f"The journal {self.path} cannot be opened: {why}; move it aside to start with "
            "an empty one (nothing in it was changed)."
        )

    def _recount(self) -> None:
        """What the cheap paths of `write` skip by: the rows of each stack, the failed ids."""
        counts = dict(self.conn.execute("SELECT stack, count(*) FROM history GROUP BY stack"))
        self._undo_rows, self._redo_rows = counts.get(UNDO, 0), counts.get(REDO, 0)
        self._failed = {row[0] for row in self.conn.execute("SELECT entry_id FROM failed")}

    def _upgrade(self) -> None:
        """Create or bring the tables up to `SCHEMA_VERSION` in one transaction (two apps
        opening the same journal take turns); refuse a format newer than that."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._stored_version()
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"The journal {self.path} is in format {version}, newer than this "
                    f"timesheet knows ({SCHEMA_VERSION}); update timesheet to open it "
                    "(its staged changes were left as they are)."
                )
            for statement in SCHEMA:
                self.conn.execute(statement)
            if version < SCHEMA_VERSION:
                self.set_meta(VERSION_KEY, str(SCHEMA_VERSION))
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _stored_version(self) -> int:
        """The format the file is in: 0 for one from before versions (or a new file)."""
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'journal_meta'"
        ).fetchone()
        found = self.get_meta(VERSION_KEY) if has_meta else None
        if found is None:
            return 0
        if not found.isdigit():
            raise JournalError(
                f"The journal {self.path} has an unknown format version ({found!r}); "
                "it was left as it is."
            )
        return int(found)

    def close(self) -> None:
        self.conn.close()

    def write(
        self,
        states: Mapping[str, Staged | None],
        marks: Mapping[str, Unsettled | None] | None = None,
        *,
        history: HistoryStep | None = None,
        failures: Mapping[str, str | None] | None = None,
    ) -> None:
        """Persist the current state of these ids (None: unstaged; either way a failure
        of theirs is gone), of their unsettled writes (None: settled), the history step
        and the failures (id → the server's reason; None: cleared) in one transaction;
        returns only once it is on disk."""
        if not states and not marks and history is None and not failures:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for entry_id, mark in (marks or {}).items():
                if mark is None:
                    self.conn.execute("DELETE FROM unsettled WHERE entry_id = ?", (entry_id,))
                else:
                    self.conn.execute(
                        "INSERT INTO unsettled (entry_id, state) VALUES (?, ?)"
                        " ON CONFLICT (entry_id) DO UPDATE SET state = excluded.state",
                        (entry_id, json.dumps(mark.to_json())),
                    )
            for entry_id, state in states.items():
                if entry_id in self._failed:
                    self.conn.execute("DELETE FROM failed WHERE entry_id = ?", (entry_id,))
                    self._failed.discard(entry_id)
                if state is None:
                    self.conn.execute("DELETE FROM staged WHERE entry_id = ?", (entry_id,))
                    continue
                self._seq += 1
                self.conn.execute(
                    "INSERT INTO staged (entry_id, seq, state) VALUES (?, ?, ?)"
                    " ON CONFLICT (entry_id) DO UPDATE SET state = excluded.state",
                    (entry_id, self._seq, json.dumps(_staged_json(state))),
                )
            for entry_id, message in (failures or {}).items():
                if message is None:
                    self.conn.execute("DELETE FROM failed WHERE entry_id = ?", (entry_id,))
                    self._failed.discard(entry_id)
                    continue
                self._failed.add(entry_id)
                self.conn.execute(
                    "INSERT INTO failed (entry_id, message) VALUES (?, ?)"
                    " ON CONFLICT (entry_id) DO UPDATE SET message = excluded.message",
                    (entry_id, message),
                )
            if history is not None:
                self._step(history)
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._recount()
            raise
        self.conn.execute("COMMIT")

    def _step(self, step: HistoryStep) -> None:
        """The history rows as `Staging` has them after this step, for its top
        `HISTORY_LIMIT` actions (a few rows touched: the cost does not grow with the
        history). The stacks on disk are always the top of those in memory: undoing past
        the oldest kept action leaves nothing to redo on disk (a redo there would skip it)."""
        conn = self.conn
        if step.push is not None:
            self._pos += 1
            if self._redo_rows:
                conn.execute(f"DELETE FROM history WHERE stack = '{REDO}'")
                self._redo_rows = 0
            conn.execute(
                "INSERT OR REPLACE INTO history (key, stack, pos, action) VALUES (?, ?, ?, ?)",
                (step.push.key, UNDO, self._pos, _action_json(step.push)),
            )
            self._undo_rows += 1
            if self._undo_rows > HISTORY_LIMIT:  # the oldest goes: one index step, no scan
                conn.execute(
                    f"DELETE FROM history WHERE key IN (SELECT key FROM history"
                    f" WHERE stack = '{UNDO}' ORDER BY pos LIMIT ?)",
                    (self._undo_rows - HISTORY_LIMIT,),
                )
                self._undo_rows = HISTORY_LIMIT
        if step.move is not None:
            key, to_undo = step.move
            self._pos += 1
            moved = conn.execute(
                "UPDATE history SET stack = ?, pos = ? WHERE key = ?",
                (UNDO if to_undo else REDO, self._pos, key),
            ).rowcount
            if moved:
                self._undo_rows += 1 if to_undo else -1
                self._redo_rows -= 1 if to_undo else -1
            elif not to_undo:
                conn.execute(f"DELETE FROM history WHERE stack = '{REDO}'")
                self._redo_rows = 0
        for key, action in step.rewrite.items():
            if action is None:
                conn.execute("DELETE FROM history WHERE key = ?", (key,))
            else:
                conn.execute(
                    "UPDATE history SET action = ? WHERE key = ?", (_action_json(action), key)
                )
        if any(action is None for action in step.rewrite.values()):
            self._recount()  # after a save: a few hundred rows at most

    def load(self) -> Iterator[tuple[str, Staged]]:
        """The staged states, in the order they were first staged."""
        for entry_id, payload in self.conn.execute(
            "SELECT entry_id, state FROM staged ORDER BY seq"
        ):
            yield entry_id, _staged_of(json.loads(payload))

    def load_history(self) -> tuple[list[Action], list[Action]]:
        """The undo and redo stacks, bottom first."""
        stacks: dict[str, list[Action]] = {UNDO: [], REDO: []}
        for key, stack, payload in self.conn.execute(
            "SELECT key, stack, action FROM history ORDER BY pos"
        ):
            stacks.setdefault(stack, []).append(_action_of(key, payload))
        return stacks[UNDO], stacks[REDO]

    def load_failures(self) -> dict[str, str]:
        """The server's reason for each staged change it refused, by entry id."""
        return dict(self.conn.execute("SELECT entry_id, message FROM failed").fetchall())

    def load_unsettled(self) -> dict[str, Unsettled]:
        """The writes still waiting for a read to settle them, by entry id."""
        return {
            entry_id: Unsettled.from_json(json.loads(payload))
            for entry_id, payload in self.conn.execute("SELECT entry_id, state FROM unsettled")
        }

    def bind(self, server: str) -> bool:
        """Whether this journal's changes were staged against `server` (`server_of`): a
        journal that names none yet (new, or older than the key) is bound to it now."""
        found = self.get_meta(SERVER_KEY)
        if found is None:
            self.set_meta(SERVER_KEY, server)
            return True
        return found == server

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM journal_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO journal_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

"""A property test of the store (issue 5): random sequences of stage / undo / redo / save
with random injected failures end with server + staged state equal to what a simple
reference model says; and no create is ever made twice.

The real store runs against the real ledger (in-process, one fresh ledger per example)
through the real Productive adapter and a `FaultTransport`. The model is a dict of the
server's note/minutes per id plus a staged overlay with undo/redo stacks, and a table of
what each injected fault does to a save.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import FROZEN_NOW, FakeClock
from tests.faults import Fault, FaultTransport
from tui.api.base import EntryQuery
from tui.api.errors import ApiError
from tui.api.productive import ProductiveAdapter
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_demo
from tui.store.journal import Journal
from tui.store.records import RowState
from tui.store.store import StagingError, Store, StoreSettings
from tui.store.values import week_range

TODAY = FROZEN_NOW.date()
WEEK = week_range(TODAY)
TARGETS = 6
PATH = "/api/v2/time_entries"  # listing and every bulk write
NOTES = ("a", "b")
MINUTES = (30, 45)
SERVER_VALUE = 2
"""An edit choice meaning "the server's value" (editing back unstages)."""

# A staged state as the model keeps it: (kind, values, original); None is clean/absent.
State = tuple[str, dict[str, Any], dict[str, Any]] | None


async def no_sleep(_: float) -> None:
    return None


# ----------------------------------------------------------------------- the model


class Refused(Exception):
    """The model says the store must refuse this action (StagingError)."""


class Model:
    def __init__(self, server: dict[str, dict[str, Any]], targets: list[str]) -> None:
        self.server = server
        self.initial = targets
        self.created: list[str] = []
        self.new_ids: list[str] = []
        self.staged: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
        self.undo_stack: list[dict[str, tuple[State, State]]] = []
        self.redo_stack: list[dict[str, tuple[State, State]]] = []

    def targets(self) -> list[str]:
        existing = [i for i in self.initial if i in self.server]
        created = sorted((i for i in self.created if i in self.server), key=int)
        new = [i for i in self.new_ids if self.kind(i) == "create"]
        return existing + created + new

    def kind(self, entry_id: str) -> str | None:
        state = self.staged.get(entry_id)
        return state[0] if state else None

    def _set(self, states: Mapping[str, State]) -> None:
        for entry_id, state in states.items():
            if state is None:
                self.staged.pop(entry_id, None)
            else:
                self.staged[entry_id] = state

    def commit(self, after: Mapping[str, State]) -> None:
        changes = {
            i: (self.staged.get(i), new) for i, new in after.items() if self.staged.get(i) != new
        }
        if not changes:
            return
        self._set({i: new for i, (_, new) in changes.items()})
        self.undo_stack.append(changes)
        self.redo_stack.clear()

    def edit(self, entry_id: str, name: str, value: Any) -> None:
        state = self.staged.get(entry_id)
        if state and state[0] == "delete":
            raise Refused
        if state and state[0] == "create":
            self.commit({entry_id: ("create", {**state[1], name: value}, {})})
            return
        values = dict(state[1]) if state else {}
        original = dict(state[2]) if state else {}
        server_value = original.get(name, self.server[entry_id][name])
        if value == server_value:
            values.pop(name, None)
            original.pop(name, None)
        else:
            values[name], original[name] = value, server_value
        self.commit({entry_id: ("update", values, original) if values else None})

    def delete(self, entry_id: str) -> None:
        state = self.staged.get(entry_id)
        if state and state[0] == "delete":
            return
        self.commit(
            {
                entry_id: None
                if state and state[0] == "create"
                else ("delete", dict(state[1]) if state else {}, dict(state[2]) if state else {})
            }
        )

    def new(self, entry_id: str, values: dict[str, Any]) -> None:
        self.new_ids.append(entry_id)
        self.commit({entry_id: ("create", values, {})})

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        action = self.undo_stack.pop()
        self._set({i: old for i, (old, _) in action.items()})
        self.redo_stack.append(action)
        return True

    def redo(self) -> bool:
        if not self.redo_stack:
            return False
        action = self.redo_stack.pop()
        self._set({i: new for i, (_, new) in action.items()})
        self.undo_stack.append(action)
        return True

    def settle(self, entry_id: str) -> None:
        """Saved: no longer staged, and out of the history (undo reverts staging only)."""
        self.staged.pop(entry_id, None)
        for stack in (self.undo_stack, self.redo_stack):
            kept = [{i: c for i, c in action.items() if i != entry_id} for action in stack]
            stack[:] = [action for action in kept if action]

    def plan(self) -> tuple[list[str], list[str], list[str]]:
        """Deletes, updates and the creates complete enough to send."""
        deletes = [i for i, s in self.staged.items() if s[0] == "delete"]
        updates = [i for i, s in self.staged.items() if s[0] == "update"]
        creates = [
            i
            for i, s in self.staged.items()
            if s[0] == "create" and s[1]["service_id"] and s[1]["minutes"] and s[1]["person_id"]
        ]
        return deletes, updates, creates


def effect(
    fault: tuple[str, str, int] | None, deletes: list[str], updates: list[str], creates: list[str]
) -> str | set[str]:
    """What a save with this fault does: "raise" (nothing changes), or which kinds fail.

    The HTTP client retries 503 and connections that never opened (4 tries in all), and
    reads also after 502 and resets; 500 is a refusal. A write whose answer is lost (a
    reset after sending, a 502) is never resent blindly: with no grace to wait (these
    stores use 0), a read settles it at once: an applied one is done, one the server never
    got is sent once more, and fails if that is lost too."""
    if fault is None:
        return set()
    method, kind, times = fault
    exhausted = times >= 4 or kind == "500"
    if method == "GET":  # the conflict check, or the read of a create's twins, comes first
        return "raise" if (deletes or updates or creates) and exhausted else set()
    kind_of = {
        "POST": ("create", creates),
        "PATCH": ("update", updates),
        "DELETE": ("delete", deletes),
    }
    name, ids = kind_of[method]
    if not ids or kind == "reset":  # applied, answer lost: the read finds it done
        return set()
    return {name} if exhausted or (kind == "502" and times >= 2) else set()


def make_fault(kind: str) -> Fault:
    return {
        "500": lambda: Fault.status_code(500),
        "502": lambda: Fault.status_code(502),
        "503": lambda: Fault.status_code(503),
        "before": Fault.fail_before_send,
        "reset": Fault.reset_after_send,
    }[kind]()


# ------------------------------------------------------------------- operations

faults = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
        st.sampled_from(["503", "502", "500", "before", "reset"]),
        st.integers(1, 4),
    ),
)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("edit"),
            st.integers(0, TARGETS + 1),
            st.sampled_from(["note", "minutes"]),
            st.integers(0, 2),
        ),
        st.tuples(st.just("delete"), st.integers(0, TARGETS + 1)),
        st.tuples(st.just("new"), st.sampled_from(MINUTES), st.sampled_from(NOTES), st.booleans()),
        st.just(("undo",)),
        st.just(("redo",)),
        st.tuples(st.just("save"), faults),
    ),
    max_size=24,
)


# ---------------------------------------------------------------------- checking


def server_rows(db: LedgerDB) -> dict[str, dict[str, Any]]:
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT id, note, time FROM time_entries WHERE person_id = ? AND date BETWEEN ? AND ?",
            (db.identity.owner_person_id, WEEK[0].isoformat(), WEEK[1].isoformat()),
        ).fetchall()
    return {str(r["id"]): {"note": r["note"], "minutes": r["time"]} for r in rows}


def staged_of(store: Store) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    return {
        i: (s.kind.value, dict(s.values), dict(s.original)) for i, s in store.staging.staged.items()
    }


def check(store: Store, model: Model, db: LedgerDB) -> None:
    # The server holds exactly what the model says: nothing lost, nothing made twice.
    assert server_rows(db) == model.server
    # The store's server copies agree, and its staged overlay and history too.
    assert {
        i: {"note": r.note, "minutes": r.minutes} for i, r in store.records.items()
    } == model.server
    assert staged_of(store) == model.staged
    assert (len(store.staging._undo), len(store.staging._redo)) == (
        len(model.undo_stack),
        len(model.redo_stack),
    )
    # The rows shown: server rows (staged values over them) then the new ones.
    new = [i for i, s in model.staged.items() if s[0] == "create"]
    assert sorted(store.order) == sorted([*model.server, *new])
    for entry_id in store.order:
        row = store.row(entry_id)
        state = model.staged.get(entry_id)
        values = (
            state[1]
            if state and state[0] == "create"
            else {**model.server[entry_id], **(state[1] if state else {})}
        )
        assert (row.record.note, row.record.minutes) == (values["note"], values["minutes"])
        kind = state[0] if state else None
        expected = {
            None: RowState.clean,
            "create": RowState.new,
            "update": RowState.changed,
            "delete": RowState.deleted,
        }[kind]
        assert row.state in (expected, RowState.failed)
        assert (row.state is RowState.failed) == (entry_id in store.failures)
    assert set(store.failures) <= set(store.staging.staged)
    assert not store.saving and not store.conflicts


# ------------------------------------------------------------------------ the run


async def run(ops: list[tuple[Any, ...]], folder: Path) -> None:
    clock = FakeClock()
    db = LedgerDB(folder / "ledger.db", clock=clock)
    populate_demo(db, today=TODAY)
    transport = FaultTransport(httpx.ASGITransport(app=create_app(db)))
    owner = str(db.identity.owner_person_id)
    query = EntryQuery(*WEEK, person_ids=(owner,))
    store = Store(
        ProductiveAdapter.for_ledger(db, transport=transport, sleep=no_sleep),
        Journal(folder / "journal.db"),
        clock=clock,
        settings=StoreSettings(settle_grace_seconds=0),
    )
    try:
        await store.open()
        await store.load(query)
        targets = [
            i for i in store.order if not store.records[i].locked and store.records[i].minutes
        ][:TARGETS]
        assert len(targets) == TARGETS
        service = next(iter(store.services))
        model = Model(server_rows(db), targets)
        check(store, model, db)
        for op in ops:
            await step(store, model, transport, op, service=service, owner=owner)
            check(store, model, db)

        # The journal holds exactly the staged set: a restart shows the same.
        assert store.journal is not None
        again = Store(ProductiveAdapter.for_ledger(db), Journal(folder / "journal.db"), clock=clock)
        await again.open()
        await again.load(query)
        assert staged_of(again) == model.staged
        await again.aclose()
    finally:
        await store.aclose()
        db.close()


async def step(
    store: Store,
    model: Model,
    transport: FaultTransport,
    op: tuple[Any, ...],
    *,
    service: str,
    owner: str,
) -> None:
    name = op[0]
    if name in ("edit", "delete"):
        targets = model.targets()
        if not targets:
            return
        entry_id = targets[op[1] % len(targets)]
    if name == "edit":
        field, choice = op[2], op[3]
        options = NOTES if field == "note" else MINUTES
        if choice == SERVER_VALUE and entry_id in model.server:
            value = model.server[entry_id][field]
        else:
            value = options[choice % 2]
        try:
            model.edit(entry_id, field, value)
        except Refused:
            with pytest.raises(StagingError):
                store.stage_edit(entry_id, field, value)
        else:
            store.stage_edit(entry_id, field, value)
    elif name == "delete":
        model.delete(entry_id)
        store.stage_delete([entry_id])
    elif name == "new":
        _, minutes, note, complete = op
        values: dict[str, Any] = {"minutes": minutes, "note": note}
        if complete:
            values["service_id"] = service
        new_id = store.stage_new(values)
        model.new(
            new_id,
            {
                "date": store.today(),
                "minutes": minutes,
                "note": note,
                "person_id": owner,
                "service_id": service if complete else None,
                "task_id": None,
            },
        )
    elif name == "undo":
        assert (store.undo() is not None) == model.undo()
    elif name == "redo":
        assert (store.redo() is not None) == model.redo()
    else:
        await save(store, model, transport, op[1])


async def save(
    store: Store, model: Model, transport: FaultTransport, fault: tuple[str, str, int] | None
) -> None:
    deletes, updates, creates = model.plan()
    outcome = effect(fault, deletes, updates, creates)
    posts_before = len(transport.calls("POST", PATH))
    if fault is not None:
        method, kind, times = fault
        transport.inject(make_fault(kind), method=method, path=PATH, times=times)
    try:
        if outcome == "raise":
            with pytest.raises(ApiError):
                await store.save()
            return
        report = await store.save()
    finally:
        transport._rules.clear()
    assert isinstance(outcome, set)
    saved = {"delete": deletes, "update": updates, "create": creates}
    for kind, ids in saved.items():
        if kind in outcome:
            assert all(i in report.failed for i in ids), (kind, report)
            continue
        for entry_id in ids:
            if kind == "delete":
                del model.server[entry_id]
            elif kind == "update":
                model.server[entry_id].update(model.staged[entry_id][1])
            else:
                server_id = report.created_ids[entry_id]
                assert server_id not in model.server
                values = model.staged[entry_id][1]
                model.server[server_id] = {"note": values["note"], "minutes": values["minutes"]}
                model.created.append(server_id)
            model.settle(entry_id)
    assert set(report.created_ids) == (set() if "create" in outcome else set(creates))
    assert report.saved == sum(len(ids) for kind, ids in saved.items() if kind not in outcome)
    assert not report.conflicts
    # A POST whose answer was lost is never resent for what the server already made.
    if fault is not None and fault[0] == "POST" and fault[1] == "reset" and creates:
        assert len(transport.calls("POST", PATH)) == posts_before + 1


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ops=operations)
# Cases worth running every time, whatever the random draw:
@example(ops=[("delete", 0), ("save", ("DELETE", "reset", 1))])  # applied, answer lost
@example(
    ops=[
        ("new", 30, "a", True),
        ("new", 30, "a", True),  # twins, answer lost
        ("save", ("POST", "reset", 1)),
        ("undo",),
        ("save", None),
    ]
)
@example(
    ops=[
        ("new", 45, "b", True),
        ("save", ("POST", "502", 1)),  # not applied: resent
        ("new", 45, "b", True),
        ("save", ("POST", "502", 2)),
        ("save", None),
    ]
)
@example(
    ops=[
        ("edit", 0, "note", 0),
        ("delete", 1),
        ("save", ("PATCH", "500", 1)),
        ("edit", 0, "note", SERVER_VALUE),
        ("undo",),
        ("redo",),
        ("undo",),
        ("save", ("GET", "503", 3)),
        ("save", None),
    ]
)
def test_random_staging_and_saving_with_faults_matches_the_model(
    ops: list[tuple[Any, ...]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(ops, Path(folder)))

"""The crash soak's child: a store on a journal, staging and saving at random until killed.

Run by `test_crash_soak.py` with `sys.executable`; the served ledger (behind a fault proxy)
is the parent's. It first saves what the journal holds (a killed life's staged changes and
writes in flight), settling them, then stages random edits, new rows and deletes of the
owner's week and saves now and then, never stopping by itself.

One line on stdout per event, flushed at once, so the parent knows what was acknowledged
when its SIGKILL lands:
    READY <staged> <unsettled>      the journal's leftovers, as the store opened them
    STAGE <json>                    about to stage this change
    ACK <json>                      staged: the change is in the journal
    REFUSED <sentence>              the store refused it (an entry waiting for the server)
    SAVING                          a save starts
    SAVED <saved> <unknown> <failed> | ERROR <sentence>   it ended

Environment: SOAK_URL (the proxy), SOAK_TOKEN, SOAK_ORG, SOAK_PERSON, SOAK_JOURNAL,
SOAK_SEED (this life's: notes are unique across lives), SOAK_MONDAY (the week's Monday, as the
parent seeded it), SOAK_IDS (the seeded entries it may edit and delete, comma-separated).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.reliability.soak import soak_adapter, soak_store
from tui.api.base import EntryQuery
from tui.api.errors import ApiError
from tui.store.staging import Kind
from tui.store.store import StagingError, Store

OPERATIONS = {"edit": 45, "create": 25, "delete": 6, "save": 24}


def say(*words: object) -> None:
    print(*words, flush=True)


async def save(store: Store, *, settle: bool) -> None:
    say("SAVING")
    try:
        report = await (store.save_and_settle() if settle else store.save())
    except ApiError as error:
        say("ERROR", error)
        return
    say("SAVED", report.saved, len(report.unknown), len(report.failed))


async def stage(store: Store, rng: random.Random, serial: int, monday: date) -> None:
    staged = store.staging.staged
    live = [
        i
        for i in os.environ["SOAK_IDS"].split(",")
        if i in store.records and not (i in staged and staged[i].kind is Kind.delete)
    ]
    kinds, weights = zip(*OPERATIONS.items(), strict=True)
    kind = rng.choices(kinds, weights)[0]
    if kind == "save":
        await save(store, settle=False)
        return
    change: dict[str, Any]
    if kind == "create" or not live:
        change = {
            "op": "create",
            "note": f"{os.environ['SOAK_SEED']}-c{serial}",
            "minutes": rng.randrange(1, 600),
            "date": (monday + timedelta(days=rng.randrange(5))).isoformat(),
        }
    elif kind == "edit":
        # A note of its own every time: an edit never equals the server's value, so the
        # parent can tell from the journal whether a change cut short by the kill got in.
        change = {
            "op": "edit",
            "id": rng.choice(sorted(live)),
            "note": f"{os.environ['SOAK_SEED']}-e{serial}",
            "minutes": rng.randrange(1, 600),
        }
    else:
        change = {"op": "delete", "id": rng.choice(sorted(live))}
    say("STAGE", json.dumps(change))
    try:
        if change["op"] == "create":
            store.stage_new(
                {
                    "date": date.fromisoformat(change["date"]),
                    "minutes": change["minutes"],
                    "note": change["note"],
                    "service_id": sorted(store.services)[0],
                }
            )
        elif change["op"] == "edit":
            store.stage_edits(
                {change["id"]: {"minutes": change["minutes"], "note": change["note"]}}
            )
        else:
            store.stage_delete([change["id"]])
    except StagingError as error:
        say("REFUSED", error)
        return
    say("ACK", json.dumps(change))


async def main() -> None:
    env = os.environ
    monday = date.fromisoformat(env["SOAK_MONDAY"])
    store = soak_store(
        soak_adapter(env["SOAK_URL"], env["SOAK_TOKEN"], env["SOAK_ORG"], env["SOAK_PERSON"]),
        Path(env["SOAK_JOURNAL"]),
    )
    say("READY", len(store.staging.staged), len(store.unsettled))
    query = EntryQuery(monday, monday + timedelta(days=6), person_ids=(env["SOAK_PERSON"],))
    while True:  # as a user starts the app again when the server fails it
        try:
            await store.open()
            await store.load(query)
            break
        except ApiError as error:
            say("ERROR", error)
    await save(store, settle=True)
    rng = random.Random(env["SOAK_SEED"])
    serial = 0
    while True:
        serial += 1
        await stage(store, rng, serial, monday)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

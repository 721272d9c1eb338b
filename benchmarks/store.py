"""Store speed and memory at 1k and 100k entries: staging, undo, a mixed save, RSS.

Targets (issue "Store"): staging an edit on a 100k-entry store takes under 1 ms, and the
cost of one edit is the same at 1k and 100k entries (ratio <= 1.5); a save of 1,000 mixed
changes (creates, updates, deletes) uses at most 12 write requests at chunk 100
(sum of ceil(n_kind/chunk); reads counted apart); 100k entries cost well under 100 MB.

Each size runs in a fresh child process (so its RSS is its own), against a ledger the
parent built with `populate_large`, through the real Productive adapter over in-process
ASGI. Staging is timed without a journal (the in-memory cost) and with a Journal on a
temp file (synchronous=FULL, what the app does). Only the write-request count and the
save's outcome fail the run (exit 1); timings and memory are printed with their targets.

    uv run python benchmarks/store.py [--sizes 1000,100000] [--edits 2000] [--chunk 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from tui.api.base import EntryQuery
from tui.api.productive import ProductiveAdapter
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_large
from tui.store.journal import Journal
from tui.store.store import Store, StoreSettings

WRITE_LIMIT = 12
STAGE_TARGET_MS = 1.0
RATIO_TARGET = 1.5
RSS_TARGET_MB = 100.0


# ------------------------------------------------------------------ helpers


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts requests by method (and when the first write went out) on the way through."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.counts: dict[str, int] = {}
        self.items: dict[str, list[int]] = {}
        self.first_write: float | None = None

    def reset(self) -> None:
        self.counts, self.items, self.first_write = {}, {}, None

    @property
    def reads(self) -> int:
        return self.counts.get("GET", 0)

    @property
    def writes(self) -> int:
        return sum(n for method, n in self.counts.items() if method != "GET")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method = request.method
        self.counts[method] = self.counts.get(method, 0) + 1
        if method != "GET":
            if self.first_write is None:
                self.first_write = time.perf_counter()
            body = json.loads(await request.aread() or b"null")
            data = body.get("data") if isinstance(body, dict) else None
            self.items.setdefault(method, []).append(len(data) if isinstance(data, list) else 1)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def proc_status(field: str) -> float:
    """A /proc/self/status figure (VmRSS, VmHWM) in MB; resource's maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settle_memory() -> None:
    """Collect garbage and hand freed heap back to the OS, so RSS shows what is kept."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def retained_bytes(store: Store) -> int:
    """Bytes the store's entries hold: records, their own values, the dict and the order
    (each object counted once, so interned ids shared by many records count once)."""
    seen: set[int] = set()
    total = sys.getsizeof(store.records) + sys.getsizeof(store.order)
    for entry_id, record in store.records.items():
        for value in (
            entry_id,
            record,
            record.id,
            record.date,
            record.note,
            record.person_id,
            record.service_id,
            record.task_id,
            record.rejected_reason,
            record.updated_at,
        ):
            if value is None or isinstance(value, bool) or id(value) in seen:
                continue
            seen.add(id(value))
            total += sys.getsizeof(value)
        total += sys.getsizeof(record.minutes) if record.minutes > 256 else 0
    return total


def fs_type(folder: Path) -> str:
    try:
        out = subprocess.run(
            ["df", "-T", str(folder)], capture_output=True, text=True, timeout=5
        ).stdout.splitlines()
        return out[1].split()[1] if len(out) > 1 else "?"
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def summary(timings_ns: list[int]) -> dict[str, float]:
    ms = sorted(t / 1e6 for t in timings_ns)
    return {
        "median": statistics.median(ms),
        "p95": ms[int(0.95 * (len(ms) - 1))],
        "max": ms[-1],
        "n": len(ms),
    }


def time_each(count: int, action: Callable[[int], Any]) -> list[int]:
    timings = []
    clock = time.perf_counter_ns
    for n in range(count):
        started = clock()
        action(n)
        timings.append(clock() - started)
    return timings


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- child mode


async def measure(
    ledger_path: Path,
    size: int,
    edits: int,
    cycle: int | None,
    chunk: int,
    mix: tuple[int, int, int],
    bulk_delete: int,
    full: bool,
    folder: Path,
) -> dict[str, Any]:
    out: dict[str, Any] = {"size": size}
    db = LedgerDB(ledger_path)
    transport = CountingTransport(httpx.ASGITransport(app=create_app(db)))
    backend = ProductiveAdapter.for_ledger(db, transport=transport, bulk_chunk_size=chunk)
    store = Store(backend, settings=StoreSettings(bulk_chunk_size=chunk))
    announced = [0]
    store.subscribe(lambda change: announced.__setitem__(0, announced[0] + 1))  # a view
    await store.open()
    today = date.today()
    query = EntryQuery(today - timedelta(days=800), today + timedelta(days=1))

    settle_memory()
    rss_before = proc_status("VmRSS")
    started = time.perf_counter()
    await store.load(query)
    out["load_s"] = time.perf_counter() - started
    out["loaded"] = len(store.records)
    out["load_reads"] = transport.reads
    await asyncio.sleep(0)  # let the loop drop what the finished page tasks still hold
    settle_memory()
    out["rss_before_mb"] = rss_before
    out["rss_after_mb"] = proc_status("VmRSS")
    out["hwm_mb"] = proc_status("VmHWM")
    out["retained_mb"] = retained_bytes(store) / 2**20
    log(f"  {size}: loaded {len(store.records)} in {out['load_s']:.1f} s")

    editable = [i for i in store.order if not store.records[i].locked]
    out["editable"] = len(editable)

    def edit_run(targets: list[str], journal_file: Path | None, tag: str) -> dict[str, float]:
        """`edits` note edits over `targets` (cycled), each a real change; then undo all."""
        journal = Journal(journal_file) if journal_file else None
        store.journal = journal
        gc.collect()
        timings = time_each(
            edits, lambda n: store.stage_edit(targets[n % len(targets)], "note", f"{tag} {n}")
        )
        store.journal = None
        if journal is not None:
            journal.close()
        while store.undo() is not None:
            pass
        assert store.staged_count == 0
        return summary(timings)

    distinct = editable[:edits]
    common = editable[:cycle] if cycle else distinct
    out["distinct_k"], out["common_k"] = len(distinct), len(common)
    out["edit_memory_common"] = edit_run(common, None, "common")
    out["edit_journal_common"] = edit_run(common, folder / f"common-{size}.db", "common")
    if len(common) != len(distinct):
        out["edit_memory_distinct"] = edit_run(distinct, None, "distinct")
        out["edit_journal_distinct"] = edit_run(
            distinct, folder / f"distinct-{size}.db", "distinct"
        )
    log(f"  {size}: staging timed")

    # New rows: how staging one grows with the store (no journal).
    service = next(iter(store.services))
    gc.collect()
    news = time_each(200, lambda n: store.stage_new({"minutes": 15, "service_id": service}))
    out["stage_new"] = summary(news)
    while store.undo() is not None:
        pass

    if full:
        ids = editable[:bulk_delete]
        out["bulk_delete_n"] = len(ids)
        for journal_file, key in (
            (None, "undo_memory"),
            (folder / f"bulk-{size}.db", "undo_journal"),
        ):
            journal = Journal(journal_file) if journal_file else None
            store.journal = journal
            started_ns = time.perf_counter_ns()
            store.stage_delete(ids)
            staged_ns = time.perf_counter_ns()
            label = store.undo()
            done_ns = time.perf_counter_ns()
            assert label == f"delete {len(ids)} rows" and store.staged_count == 0, label
            out[key] = {
                "stage_ms": (staged_ns - started_ns) / 1e6,
                "undo_ms": (done_ns - staged_ns) / 1e6,
            }
            store.journal = None
            if journal is not None:
                journal.close()
        log(f"  {size}: bulk delete / undo timed")

        creates, updates, deletes = mix
        store.journal = Journal(folder / f"save-{size}.db")
        started = time.perf_counter()
        store.stage_delete(editable[:deletes])
        for entry_id in editable[deletes : deletes + updates]:
            store.stage_edit(entry_id, "note", f"saved {entry_id}")
        for n in range(creates):
            store.stage_new(
                {"minutes": 15 + n % 120, "service_id": service, "note": f"bench new {n}"}
            )
        out["save_stage_s"] = time.perf_counter() - started
        transport.reset()
        started = time.perf_counter()
        report = await store.save()
        ended = time.perf_counter()
        first = transport.first_write or ended
        out["save"] = {
            "total_s": ended - started,
            "reads_s": first - started,
            "writes_s": ended - first,
            "writes": transport.writes,
            "reads": transport.reads,
            "counts": transport.counts,
            "items": transport.items,
            "report_writes": report.writes,
            "saved": report.saved,
            "failed": len(report.failed),
            "conflicts": len(report.conflicts),
            "left_staged": store.staged_count,
            "expected_writes": sum(math.ceil(n / chunk) for n in mix if n),
        }
        store.journal.close()
        store.journal = None
        log(f"  {size}: save done")
    await store.aclose()
    db.close()
    return out


# --------------------------------------------------------------- parent mode


def build(folder: Path, size: int) -> tuple[Path, float]:
    path = folder / f"ledger-{size}.db"
    db = LedgerDB(path)
    started = time.perf_counter()
    populate_large(db, entries=size)
    db.close()
    return path, time.perf_counter() - started


def run_child(
    path: Path, size: int, args: argparse.Namespace, folder: Path, cycle: int | None, full: bool
) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        str(path),
        "--size",
        str(size),
        "--edits",
        str(args.edits),
        "--chunk",
        str(args.chunk),
        "--mix",
        args.mix,
        "--bulk-delete",
        str(args.bulk_delete),
        "--folder",
        str(folder),
    ]
    if cycle:
        command += ["--cycle", str(cycle)]
    if full:
        command.append("--full")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt(figures: dict[str, float]) -> str:
    return (
        f"median {figures['median'] * 1000:8.1f} us   p95 {figures['p95'] * 1000:8.1f} us"
        f"   max {figures['max']:7.2f} ms"
    )


def report(results: list[dict[str, Any]], args: argparse.Namespace, folder: Path) -> int:
    failures = []
    small, large = results[0], results[-1]
    print(f"temp dir {folder} on {fs_type(folder)} (journal fsyncs go there)")
    for r in results:
        print(
            f"\n== {r['size']:,} entries: loaded {r['loaded']:,} in {r['load_s']:.1f} s "
            f"({r['load_reads']} GETs), {r['editable']:,} editable"
        )
        rss = r["rss_after_mb"] - r["rss_before_mb"]
        print(
            f"RSS {r['rss_before_mb']:.1f} -> {r['rss_after_mb']:.1f} MB: +{rss:.1f} MB, "
            f"{rss * 2**20 / max(1, r['loaded']):,.0f} B/entry (peak {r['hwm_mb']:.1f} MB);"
            f" entries retained {r['retained_mb']:.1f} MB, "
            f"{r['retained_mb'] * 2**20 / max(1, r['loaded']):,.0f} B/entry"
        )
        print(f"stage_edit x{args.edits} over {r['common_k']} entries (cycled):")
        print(f"  in memory     {fmt(r['edit_memory_common'])}")
        print(f"  with journal  {fmt(r['edit_journal_common'])}")
        if "edit_memory_distinct" in r:
            print(f"stage_edit x{args.edits} over {r['distinct_k']} distinct entries:")
            print(f"  in memory     {fmt(r['edit_memory_distinct'])}")
            print(f"  with journal  {fmt(r['edit_journal_distinct'])}")
        print(f"stage_new x200, in memory {fmt(r['stage_new'])}")
    if len(results) > 1:
        print(
            f"\n== ratios {large['size']:,} / {small['size']:,} (same workload, target "
            f"<= {RATIO_TARGET})"
        )
        for key, what in (
            ("edit_memory_common", "stage_edit in memory"),
            ("edit_journal_common", "stage_edit with journal"),
            ("stage_new", "stage_new in memory"),
        ):
            ratio = large[key]["median"] / small[key]["median"]
            verdict = "ok" if ratio <= RATIO_TARGET else "MISS"
            print(f"  {what:24} median ratio {ratio:5.2f}  {verdict}")
    headline = large.get("edit_memory_distinct", large["edit_memory_common"])
    print(
        f"stage_edit at {large['size']:,}, in memory: median {headline['median']:.3f} ms, "
        f"p95 {headline['p95']:.3f} ms (target < {STAGE_TARGET_MS} ms): "
        f"{'ok' if headline['p95'] < STAGE_TARGET_MS else 'MISS'}"
    )
    rss = large["rss_after_mb"] - large["rss_before_mb"]
    print(
        f"RSS of {large['size']:,} entries: +{rss:.1f} MB (target well under "
        f"{RSS_TARGET_MB:.0f} MB): {'ok' if rss < RSS_TARGET_MB else 'MISS'}"
    )
    if "undo_memory" in large:
        for key, what in (("undo_memory", "in memory"), ("undo_journal", "with journal")):
            u = large[key]
            print(
                f"bulk delete of {large['bulk_delete_n']:,} rows {what}: stage "
                f"{u['stage_ms']:.1f} ms, undo {u['undo_ms']:.1f} ms"
            )
    if "save" in large:
        s = large["save"]
        print(
            f"\n== save of {args.mix} creates,updates,deletes on {large['size']:,} entries, "
            f"chunk {args.chunk}, with journal (staged in {large['save_stage_s']:.2f} s)"
        )
        print(
            f"  {s['total_s']:.1f} s: conflict reads {s['reads_s']:.1f} s, writes "
            f"{s['writes_s']:.1f} s"
        )
        print(
            f"  write requests {s['writes']} (expected {s['expected_writes']}, target <= "
            f"{WRITE_LIMIT}) {dict((k, v) for k, v in s['counts'].items() if k != 'GET')}, "
            f"items per request {s['items']}"
        )
        print(f"  read requests {s['reads']} (counted apart)")
        print(
            f"  saved {s['saved']}, failed {s['failed']}, conflicts {s['conflicts']}, "
            f"left staged {s['left_staged']}"
        )
        if s["writes"] > WRITE_LIMIT:
            failures.append(f"{s['writes']} write requests > {WRITE_LIMIT}")
        if s["writes"] != s["report_writes"]:
            failures.append(f"report.writes {s['report_writes']} != sent {s['writes']}")
        total = sum(int(n) for n in args.mix.split(","))
        if s["saved"] != total or s["failed"] or s["conflicts"] or s["left_staged"]:
            failures.append("the save did not settle every change")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--edits", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--mix", default="400,350,250", help="creates,updates,deletes")
    parser.add_argument("--bulk-delete", type=int, default=1000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cycle", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    mix = tuple(int(n) for n in args.mix.split(","))
    if len(mix) != 3:
        parser.error("--mix is creates,updates,deletes")

    if args.child:
        result = asyncio.run(
            measure(
                args.child,
                args.size,
                args.edits,
                args.cycle,
                args.chunk,
                mix,
                args.bulk_delete,
                args.full,
                args.folder,
            )
        )
        print(json.dumps(result))
        return 0

    sizes = sorted(int(s) for s in args.sizes.split(","))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="timesheet-store-bench-") as name:
        folder = Path(name)
        results: list[dict[str, Any]] = []
        cycle = None
        for size in sizes:
            path, built = build(folder, size)
            log(f"populated {size:,} entries in {built:.1f} s")
            result = run_child(path, size, args, folder, cycle, full=size == sizes[-1])
            cycle = cycle or min(result["editable"], args.edits)  # the smallest size's
            results.append(result)
        status = report(results, args, folder)
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Productive adapter over the ledger with injected latency: concurrent page loading and
bulk writes.

Targets (issue): with 50 ms of latency per request, loading 10,000 entries (50 pages of 200)
takes at most 1.5x the ideal concurrent schedule (page 1 alone, then the other pages in
waves of `page_concurrency`), and saving 1,000 edits of one kind uses 10 write requests at
chunk 100 (in general sum(ceil(n_kind / chunk)) writes; reads are counted apart).

Requests go through the real HTTP stack in-process (httpx.ASGITransport), wrapped in a
transport that sleeps `--latency` before forwarding each request and counts them by method.
In-process, the server's and the client's CPU share one interpreter, so loading is repeated
against the same ledger served by a child process (`timesheet serve`), and once more with
no latency at all (the CPU cost that latency can hide behind, never beat).
Exits non-zero if a request-count target is missed (never for timings).

    uv run python benchmarks/adapters.py [--entries 10000] [--latency 0.05] [--runs 3]
        [--chunk 100] [--edits 1000] [--concurrency 4 6 8] [--in-process-only]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from tui.api.base import EntryChange, EntryQuery
from tui.api.productive import PAGE_SIZE, ProductiveAdapter, _EntryPage
from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.models import Entry

START = date(2026, 1, 5)
DAYS = 84  # twelve weeks; all benchmark entries fall in [START, START + DAYS)
OUTSIDE = START + timedelta(days=DAYS + 30)  # creates land here, off the listing


class LatencyTransport(httpx.AsyncBaseTransport):
    """Sleeps `latency` seconds before forwarding each request; counts requests by method."""

    def __init__(self, inner: httpx.AsyncBaseTransport, latency: float = 0.0) -> None:
        self.inner = inner
        self.latency = latency
        self.counts: collections.Counter[str] = collections.Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counts[request.method] += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        return await self.inner.handle_async_request(request)

    def reset(self) -> None:
        self.counts.clear()

    @property
    def writes(self) -> int:
        return sum(n for method, n in self.counts.items() if method not in ("GET", "HEAD"))

    @property
    def reads(self) -> int:
        return self.counts["GET"] + self.counts["HEAD"]

    async def aclose(self) -> None:
        await self.inner.aclose()


class Bench:
    def __init__(self, db: LedgerDB, latency: float) -> None:
        self.db = db
        self.app = create_app(db)
        self.latency = latency
        self.me = str(db.identity.owner_person_id)
        self.query = EntryQuery(START, START + timedelta(days=DAYS - 1), person_ids=(self.me,))
        self.failures: list[str] = []
        self.served: str | None = None
        """Base URL of the same ledger served by another process, when measuring that."""

    def adapter(
        self, latency: float | None = None, **kwargs: Any
    ) -> tuple[ProductiveAdapter, LatencyTransport]:
        """An adapter over the in-process app, or over `self.served` (a ledger served by
        another process) when that is set."""
        latency = self.latency if latency is None else latency
        if self.served is None:
            transport = LatencyTransport(httpx.ASGITransport(app=self.app), latency)
            return ProductiveAdapter.for_ledger(self.app, transport=transport, **kwargs), transport
        transport = LatencyTransport(
            httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=10, max_keepalive_connections=10)
            ),
            latency,
        )
        identity = self.db.identity
        kwargs.setdefault("rate_limited", False)
        adapter = ProductiveAdapter(
            base_url=self.served,
            token=identity.token,
            organization_id=identity.organization_id,
            person_id=self.me,
            transport=transport,
            **kwargs,
        )
        return adapter, transport

    def check(self, what: str, got: int, want: int) -> str:
        if got != want:
            self.failures.append(f"{what}: {got} requests, want {want}")
            return "MISSED"
        return "ok"

    def drafts(self, count: int, first_day: date, days: int, tag: str) -> list[Entry]:
        return [
            Entry(
                date=first_day + timedelta(days=i % days),
                minutes=15 + 15 * (i % 16),
                note=f"{tag} {i}",
                person_id=self.me,
                service_id=str(1 + i % 3),
            )
            for i in range(count)
        ]


async def timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work
    return time.perf_counter() - started, result


async def populate(bench: Bench, entries: int) -> None:
    adapter, _ = bench.adapter(latency=0.0, bulk_chunk_size=200)
    async with adapter:
        results = await adapter.create_entries(bench.drafts(entries, START, DAYS, "load"))
    bad = sum(not r.ok for r in results)
    if bad:
        raise SystemExit(f"populating failed for {bad} of {entries} entries")


async def server_page_ms(bench: Bench, pages: int, runs: int) -> tuple[float, float]:
    """Median time of one page request with no latency (server + HTTP stack), and the
    median client-side cost of turning one page's bytes into an EntryBatch."""
    adapter, _ = bench.adapter(latency=0.0)
    params = adapter._query_params(bench.query)
    request_ms, parse_ms = [], []
    async with adapter:
        numbers = sorted({1, max(1, pages // 2), pages})
        for number in numbers:  # warm up
            await adapter.http.json(
                "GET",
                "/time_entries",
                params={**params, "page[number]": number, "page[size]": PAGE_SIZE},
            )
        for _ in range(runs):
            for number in numbers:
                started = time.perf_counter()
                response = await adapter.http.request(
                    "GET",
                    "/time_entries",
                    params={**params, "page[number]": number, "page[size]": PAGE_SIZE},
                )
                request_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                adapter._batch(adapter._read(_EntryPage, response, "GET /time_entries"))
                parse_ms.append((time.perf_counter() - started) * 1000)
    return statistics.median(request_ms), statistics.median(parse_ms)


async def loading(
    bench: Bench,
    entries: int,
    runs: int,
    concurrency: int,
    server_ms: float,
    latency: float | None = None,
) -> float:
    """Print one row: median load time against the ideal schedule; return the ratio."""
    latency = bench.latency if latency is None else latency
    pages = math.ceil(entries / PAGE_SIZE)
    timings = []
    requests = 0
    for _ in range(runs):
        adapter, transport = bench.adapter(latency=latency, page_concurrency=concurrency)
        async with adapter:
            seconds, batch = await timed(adapter.list_entries(bench.query))
        timings.append(seconds * 1000)
        requests = transport.counts["GET"]
        if len(batch.entries) != entries:
            bench.failures.append(f"listing returned {len(batch.entries)} entries, want {entries}")
    measured = statistics.median(timings)
    waves = 1 + math.ceil((pages - 1) / concurrency)
    ideal = waves * (latency * 1000 + server_ms)
    status = bench.check(f"loading at concurrency {concurrency}", requests, pages)
    ratio = measured / ideal
    print(
        f"  {latency * 1000:3.0f} ms  c={concurrency:<2} {measured:6.0f} ms  "
        f"ideal {ideal:5.0f} ms ({waves:2} waves)  ratio {ratio:4.2f}  "
        f"GETs {requests} [{status}]"
    )
    return ratio


@contextlib.contextmanager
def served(db_path: Path) -> Iterator[str]:
    """The ledger at `db_path` served by `timesheet serve` in a child process; yields the
    Productive base URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--db", str(db_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if "Productive v2:" in line:
                yield line.split("Productive v2:", 1)[1].strip()
                break
        else:
            raise SystemExit("`timesheet serve` did not start")
    finally:
        child.terminate()
        child.wait(timeout=10)


async def load_section(
    bench: Bench, entries: int, runs: int, concurrencies: list[int], title: str
) -> dict[int, float]:
    pages = math.ceil(entries / PAGE_SIZE)
    server_ms, parse_ms = await server_page_ms(bench, pages, max(3, runs))
    latency_ms = bench.latency * 1000
    print(
        f"{title}: one page without latency {server_ms:.1f} ms (the request), "
        f"+{parse_ms:.1f} ms to parse (medians); sequential would be {pages} x "
        f"({latency_ms:.0f} + {server_ms:.1f}) = {pages * (latency_ms + server_ms):.0f} ms"
    )
    ratios = {c: await loading(bench, entries, runs, c, server_ms) for c in concurrencies}
    # The same listing with no latency at all: the CPU cost latency can hide behind.
    await loading(bench, entries, runs, concurrencies[0], server_ms, latency=0.0)
    return ratios


async def saving(bench: Bench, chunk: int, count: int) -> None:
    listing, _ = bench.adapter(latency=0.0)
    async with listing:
        ids = [e.id for e in (await listing.list_entries(bench.query)).entries][:count]
    if len(ids) < count:
        raise SystemExit(f"only {len(ids)} entries to edit, want {count}")
    latency_ms = bench.latency * 1000
    want = math.ceil(count / chunk)

    def row(
        kind: str, method: str, transport: LatencyTransport, seconds: float, results: list[Any]
    ) -> None:
        got = transport.counts[method]
        status = bench.check(f"{count} {kind}", got, want)
        bad = sum(not r.ok for r in results)
        if bad:
            bench.failures.append(f"{bad} of {count} {kind} failed")
        print(
            f"  {count} {kind:8} {got:4} {method:6} (want {want}) "
            f"{seconds * 1000:7.0f} ms   reads {transport.reads}   "
            f"vs {count} single requests: floor {count * latency_ms / 1000:5.1f} s "
            f"sequential  ratio {count / max(got, 1):.0f}x fewer [{status}]"
        )

    adapter, transport = bench.adapter(bulk_chunk_size=chunk)
    async with adapter:
        changes = [EntryChange(entry_id, {"note": f"edited {i}"}) for i, entry_id in enumerate(ids)]
        seconds, results = await timed(adapter.update_entries(changes))
    row("updates", "PATCH", transport, seconds, results)

    adapter, transport = bench.adapter(bulk_chunk_size=chunk)
    async with adapter:
        seconds, results = await timed(
            adapter.create_entries(bench.drafts(count, OUTSIDE, 5, "created"))
        )
    row("creates", "POST", transport, seconds, results)
    created = [r.id for r in results if r.ok and r.id]

    adapter, transport = bench.adapter(bulk_chunk_size=chunk)
    async with adapter:
        seconds, results = await timed(adapter.delete_entries(created))
    row("deletes", "DELETE", transport, seconds, results)

    # One single-entry PATCH, no latency, to put a number on the one-at-a-time path.
    single, _ = bench.adapter(latency=0.0)
    async with single:
        body = {"data": {"type": "time_entries", "id": ids[0], "attributes": {"note": "one"}}}
        started = time.perf_counter()
        for _ in range(20):
            await single.http.json(
                "PATCH",
                f"/time_entries/{ids[0]}",
                json_body=body,
                headers={"Content-Type": "application/vnd.api+json"},
            )
        one_ms = (time.perf_counter() - started) * 1000 / 20
    print(
        f"  one-at-a-time estimate: {count} x ({latency_ms:.0f} + {one_ms:.1f}) ms = "
        f"{count * (latency_ms + one_ms) / 1000:.1f} s for {count} PATCHes"
    )

    # A mixed save: each kind in its own chunks.
    mix = {"creates": 400, "updates": 350, "deletes": 250}
    want_mixed = sum(math.ceil(n / chunk) for n in mix.values())
    adapter, transport = bench.adapter(bulk_chunk_size=chunk)
    async with adapter:
        started = time.perf_counter()
        made = await adapter.create_entries(
            bench.drafts(mix["creates"] + mix["deletes"], OUTSIDE, 5, "mixed")[: mix["creates"]]
        )
        await adapter.update_entries(
            [
                EntryChange(entry_id, {"note": f"mixed {i}"})
                for i, entry_id in enumerate(ids[: mix["updates"]])
            ]
        )
        gone = [r.id for r in made if r.ok and r.id][: mix["deletes"]]
        await adapter.delete_entries(gone)
        seconds = time.perf_counter() - started
    formula = " + ".join(f"ceil({n}/{chunk})" for n in mix.values())
    status = bench.check("mixed save", transport.writes, want_mixed)
    print(
        f"  mixed {mix['creates']} creates / {mix['updates']} updates / {mix['deletes']} "
        f"deletes: {transport.writes} writes ({dict(transport.counts)}), want {formula} = "
        f"{want_mixed}; reads {transport.reads}; {seconds * 1000:.0f} ms [{status}]"
    )


async def main(
    entries: int,
    latency: float,
    runs: int,
    chunk: int,
    edits: int,
    concurrencies: list[int],
    out_of_process: bool,
) -> int:
    folder = Path(tempfile.mkdtemp(prefix="timesheet-bench-adapters-"))
    db = LedgerDB(folder / "ledger.db")
    bench = Bench(db, latency)
    started = time.perf_counter()
    await populate(bench, entries)
    pages = math.ceil(entries / PAGE_SIZE)
    print(
        f"populated {entries} draft entries ({pages} pages of {PAGE_SIZE}) in "
        f"{time.perf_counter() - started:.1f} s; latency {latency * 1000:.0f} ms/request; "
        f"loading times are medians of {runs}; target ratio <= 1.5"
    )
    await load_section(bench, entries, runs, concurrencies, "in-process (ASGITransport)")
    if out_of_process:
        with served(db.path) as url:
            bench.served = url
            try:
                await load_section(
                    bench,
                    entries,
                    runs,
                    concurrencies,
                    "served by another process (`timesheet serve`)",
                )
            finally:
                bench.served = None

    print(f"saving at chunk {chunk} (in-process; writes counted per method, reads apart):")
    await saving(bench, chunk, edits)

    db.close()
    if bench.failures:
        print("MISSED: " + "; ".join(bench.failures))
        return 1
    print("all request-count targets met")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--edits", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 6, 8])
    parser.add_argument(
        "--in-process-only",
        action="store_true",
        help="skip the run against a ledger served by a child process",
    )
    arguments = parser.parse_args()
    sys.exit(
        asyncio.run(
            main(
                arguments.entries,
                arguments.latency,
                arguments.runs,
                arguments.chunk,
                arguments.edits,
                arguments.concurrency,
                not arguments.in_process_only,
            )
        )
    )

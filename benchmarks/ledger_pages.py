"""Ledger speed on 100k entries: the last 200-entry page against the first, and a bulk create.

Targets (issue "Foundation"): the last page costs at most 1.5x the first (no scan that grows
with the offset), and a 200-entry bulk create takes under 100 ms. Requests go through the
real HTTP stack in-process (httpx.ASGITransport), as the app will use it.

    uv run python benchmarks/ledger_pages.py [--entries 100000] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tui.ledger.app import create_app
from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_large

BULK = "application/vnd.api+json; ext=bulk"


async def median_ms(
    client: httpx.AsyncClient, runs: int, method: str, url: str, **kwargs: object
) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code < 300, response.text[:300]
    return statistics.median(timings)


async def main(entries: int, runs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="timesheet-bench-"))
    db = LedgerDB(folder / "ledger.db")
    started = time.perf_counter()
    populate_large(db, entries=entries)
    print(f"populated {entries} entries in {time.perf_counter() - started:.1f} s")
    headers = {"X-Auth-Token": db.identity.token, "X-Organization-Id": db.identity.organization_id}
    transport = httpx.ASGITransport(app=create_app(db))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://ledger/api/v2", headers=headers
    ) as client:
        first = await client.get("/time_entries", params={"page[size]": 200})
        meta = first.json()["meta"]
        last_page = meta["total_pages"]
        print(f"total_count {meta['total_count']}, total_pages {last_page}")

        async def page(number: int, **params: object) -> float:
            return await median_ms(
                client,
                runs,
                "GET",
                "/time_entries",
                params={"page[size]": 200, "page[number]": number, **params},
            )

        await page(1)  # warm the page cache before timing
        first_ms = await page(1)
        last_ms = await page(last_page)
        middle_ms = await page(last_page // 2)
        print(f"first page  {first_ms:7.1f} ms")
        print(f"middle page {middle_ms:7.1f} ms")
        print(f"last page   {last_ms:7.1f} ms")
        print(f"ratio last/first {last_ms / first_ms:.2f} (target <= 1.5)")
        with_include = await page(last_page, include="person,service,task", sort="-date")
        print(f"last page, include=person,service,task, sort=-date {with_include:7.1f} ms")

        body = {
            "data": [
                {
                    "type": "time_entries",
                    "attributes": {"date": "2026-11-02", "time": 30 + i % 90, "note": f"bench {i}"},
                    "relationships": {
                        "person": {"data": {"type": "people", "id": "1"}},
                        "service": {"data": {"type": "services", "id": "1"}},
                    },
                }
                for i in range(200)
            ]
        }
        bulk_ms = await median_ms(
            client,
            max(5, runs // 3),
            "POST",
            "/time_entries",
            json=body,
            headers={"Content-Type": BULK, "Accept": BULK},
        )
        print(f"bulk create of 200 entries {bulk_ms:7.1f} ms (target < 100)")
    db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.entries, arguments.runs))

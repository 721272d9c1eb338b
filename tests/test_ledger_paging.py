"""The ledger reads a page that follows one it served from where that one ended, instead
of skipping every row before it (at 1M entries a middle page skipped 500k rows), and its
pages are still exactly the offset pages of the data as it is now."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tui.ledger.db import LedgerDB
from tui.ledger.demo import populate_large
from tui.ledger.jsonapi import Page, page_of_ids

SIZE = 50
BY_DATE = [("date", False), ("id", False)]


@pytest.fixture
def big(tmp_path: Path) -> LedgerDB:
    db = LedgerDB(tmp_path / "big.db")
    populate_large(db, entries=3_000)
    yield db
    db.close()


def offset_page(
    db: LedgerDB, number: int, where: str = "", params: tuple[object, ...] = (), desc: bool = False
) -> list[int]:
    """The page by its definition: the rows in order, after skipping the pages before."""
    order = "date DESC, id DESC" if desc else "date ASC, id ASC"
    sql = f"SELECT id FROM time_entries {where} ORDER BY {order} LIMIT ? OFFSET ?"
    found = db.connection().execute(sql, (*params, SIZE, (number - 1) * SIZE))
    return [row[0] for row in found]


def served(
    db: LedgerDB,
    number: int,
    where: list[str] | None = None,
    params: tuple[object, ...] = (),
    sort: list[tuple[str, bool]] = BY_DATE,
) -> list[int]:
    with db.transaction() as conn:
        return page_of_ids(conn, "time_entries", where or [], params, sort, Page(number, SIZE))[0]


IN_RANGE = (["date >= ?", "date <= ?"], ("2000-01-01", "2100-01-01"))
"""The range filter every load sends (`filter[after]`, `filter[before]`)."""


def steps_of(db: LedgerDB, number: int) -> int:
    """SQLite's virtual-machine steps (in hundreds) to serve the page of `IN_RANGE`."""
    conn = db.connection()
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(step, 100)
    try:
        served(db, number, *IN_RANGE)
    finally:
        conn.set_progress_handler(None, 0)
    return steps[0]


def test_pages_asked_in_any_order_are_the_offset_pages(big: LedgerDB) -> None:
    pages = list(range(1, 62))  # 60 full pages, and one past the end
    random.Random(3).shuffle(pages)
    for number in [1, 2, 3, 4, 5, 9, 8, 7, 30, 31, 33, 32, *pages]:
        assert served(big, number) == offset_page(big, number), number


def test_filtered_and_descending_pages_are_the_offset_pages(big: LedgerDB) -> None:
    person = big.connection().execute("SELECT person_id FROM time_entries LIMIT 1").fetchone()[0]
    total = (
        big.connection()
        .execute("SELECT count(*) FROM time_entries WHERE person_id = ?", (person,))
        .fetchone()[0]
    )
    for number in range(1, total // SIZE + 2):
        assert served(big, number, ["person_id = ?"], (person,)) == offset_page(
            big, number, "WHERE person_id = ?", (person,)
        )
    descending = [("date", True), ("id", True)]
    for number in (1, 2, 3, 40, 41, 20):
        assert served(big, number, sort=descending) == offset_page(big, number, desc=True)


def test_a_page_after_one_served_skips_no_rows(big: LedgerDB) -> None:
    cold = steps_of(big, 29)  # 1,400 rows skipped to get there
    served(big, 28, *IN_RANGE)
    warm = steps_of(big, 29)
    assert warm * 5 < cold
    assert served(big, 29, *IN_RANGE) == offset_page(big, 29)


def test_a_write_between_pages_is_seen_by_the_next_page(big: LedgerDB) -> None:
    served(big, 10)
    first = offset_page(big, 1)[0]
    with big.transaction(write=True) as conn:  # every later row moves up by one
        conn.execute("DELETE FROM time_entries WHERE id = ?", (first,))
    assert served(big, 11) == offset_page(big, 11)


def test_a_write_by_another_connection_is_seen_by_the_next_page(
    big: LedgerDB, tmp_path: Path
) -> None:
    served(big, 10)
    other = LedgerDB(tmp_path / "big.db")  # as another process on the same file
    try:
        first = offset_page(other, 1)[0]
        with other.transaction(write=True) as conn:
            conn.execute("DELETE FROM time_entries WHERE id = ?", (first,))
    finally:
        other.close()
    assert served(big, 11) == offset_page(big, 11)

"""The store's compact entry records: what they keep of an entry, and that they behave as
immutable values (the grid, the planner and the cache compare and share them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tui.models import Entry
from tui.store.records import EntryRecord

DAY = date(2026, 11, 18)


def entry(**fields) -> Entry:
    values = {
        "id": "4711",
        "date": DAY,
        "minutes": 90,
        "note": "Review",
        "person_id": "1",
        "service_id": "2",
        "task_id": None,
    }
    return Entry(**(values | fields))


@pytest.mark.parametrize("flag", ["approved", "rejected", "submitted", "invoiced"])
def test_each_state_flag_is_kept_alone(flag: str) -> None:
    record = EntryRecord.from_entry(entry(**{flag: True}))
    kept = {
        name: getattr(record, name) for name in ("approved", "rejected", "submitted", "invoiced")
    }
    assert kept == {name: name == flag for name in kept}
    assert getattr(record.to_entry(), flag) is True


def test_the_servers_moment_is_kept_to_the_microsecond_whatever_its_offset() -> None:
    moment = datetime(2026, 11, 18, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    record = EntryRecord.from_entry(entry(updated_at=moment))
    assert datetime.fromisoformat(record.updated_at or "") == moment
    assert record.updated_at == moment.astimezone(UTC).isoformat()
    assert EntryRecord.from_entry(entry()).updated_at is None


@pytest.mark.parametrize(
    "moment",
    [
        None,
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 18, tzinfo=UTC),
    ],
)
def test_the_state_flags_and_the_moment_share_a_slot_without_mixing(
    moment: datetime | None,
) -> None:
    import sys

    names = ("approved", "rejected", "submitted", "invoiced")
    for mask in range(16):
        flags = {name: bool(mask >> n & 1) for n, name in enumerate(names)}
        record = EntryRecord.from_entry(entry(updated_at=moment, **flags))
        assert {name: getattr(record, name) for name in names} == flags
        assert record.updated_at == (moment.isoformat() if moment else None)
    # 112 bytes: one slot fewer than a slot each (the heap hands out 16-byte steps).
    assert sys.getsizeof(record) <= 112


def test_a_record_cannot_be_changed_in_place() -> None:
    record = EntryRecord.from_entry(entry())
    with pytest.raises(AttributeError):
        record.minutes = 30  # type: ignore[misc]
    assert record.minutes == 90


def test_copies_compare_and_hash_by_value() -> None:
    record = EntryRecord.from_entry(entry(approved=True, updated_at=datetime.now(UTC)))
    same = record.replaced(note="Review")
    other = record.with_values({"minutes": 30})
    assert same == record and hash(same) == hash(record)
    assert other != record and other.minutes == 30 and other.approved
    assert other.updated_at == record.updated_at
    with pytest.raises(TypeError):
        record.with_values({"approved": False})  # not an editable field

"""The seeds' exact response bodies parse into the domain models without loss."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError

from tests.seeds import plannr_stop_response, productive_bulk_examples
from tui.models import (
    Entry,
    EntryStatus,
    ErrorDocument,
    PlannrTimeEntry,
    TimeEntryAttributes,
    TimeEntryDocument,
    TimeEntryResource,
)

EXAMPLES = productive_bulk_examples()


def test_the_seed_has_the_five_bulk_calls_and_six_examples() -> None:
    calls = [(e.method, e.path, e.status) for e in EXAMPLES]
    assert calls == [
        ("POST", "/api/v2/time_entries", 201),
        ("PATCH", "/api/v2/time_entries", 200),
        ("DELETE", "/api/v2/time_entries", 204),
        ("PATCH", "/api/v2/time_entries/approve", 200),
        ("PATCH", "/api/v2/time_entries/approve", 200),
        ("PATCH", "/api/v2/time_entries/unapprove", 200),
    ]
    assert all(e.headers["Content-Type"] == "application/vnd.api+json; ext=bulk" for e in EXAMPLES)


@pytest.mark.parametrize(
    "example",
    [e for e in EXAMPLES if e.response is not None],
    ids=lambda e: (
        f"{e.method} {e.path} {'flag' if (e.request or {}).get('for_all_approvers') else ''}"
    ),
)
def test_seed_responses_parse_without_loss(example) -> None:
    document = TimeEntryDocument.model_validate(example.response)
    assert isinstance(document.data, list)
    assert len(document.data) == len(example.response["data"])
    for parsed, raw in zip(document.data, example.response["data"], strict=True):
        assert parsed.id == raw["id"]
        # Every attribute of the seed is a field of the model and keeps its value.
        assert set(raw["attributes"]) <= set(TimeEntryAttributes.model_fields)
        dumped = parsed.attributes.model_dump(mode="json")
        for name, value in raw["attributes"].items():
            if isinstance(value, str) and "T" in value and name.endswith("_at"):
                assert datetime.fromisoformat(dumped[name]) == datetime.fromisoformat(value)
            else:
                assert dumped[name] == value, name
        assert set(parsed.relationships) == set(raw["relationships"])
        # Bulk responses leave person/service/task out: they parse as "not included".
        assert not parsed.relationship("person").included
        assert (
            parsed.related_id("organization") == raw["relationships"]["organization"]["data"]["id"]
        )


def test_approval_is_read_per_entry_from_the_seed() -> None:
    without_flag, with_flag = [e for e in EXAMPLES if e.path.endswith("/approve")]
    approved = [
        r.attributes.approved for r in TimeEntryDocument.model_validate(without_flag.response).data
    ]
    assert approved == [True, False]  # the second still waits for another approver
    flagged = [
        r.attributes.approved for r in TimeEntryDocument.model_validate(with_flag.response).data
    ]
    assert with_flag.request["for_all_approvers"] is True and flagged == [True, True]


def test_seed_entry_becomes_a_domain_entry() -> None:
    create = EXAMPLES[0]
    resource = TimeEntryDocument.model_validate(create.response).data[0]
    entry = resource.to_entry()
    assert entry == Entry(
        id="221",
        date=date(2024, 8, 28),
        minutes=120,
        note="first note",
        updated_at=resource.attributes.updated_at,
        billable_minutes=120,  # the seed's billable_time
    )
    assert entry.person_id is None and entry.status is EntryStatus.draft


@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e.response is not None], ids=lambda e: e.path
)
def test_a_resource_validates_straight_into_the_entry_to_entry_gives(example) -> None:
    """A listing page is validated into entries in one pass of pydantic's JSON parser;
    each entry is the one the resource model and `to_entry` give."""
    document = TimeEntryDocument.model_validate(example.response)
    assert isinstance(document.data, list)
    for raw, resource in zip(example.response["data"], document.data, strict=True):
        straight = Entry.model_validate_json(json.dumps(raw))
        assert straight == resource.to_entry()
        assert Entry.model_validate(raw) == straight


def test_an_entry_from_the_wire_reads_its_relationships_as_related_id_does() -> None:
    raw = {
        "id": 7,
        "type": "time_entries",
        "attributes": {"date": "2026-11-02", "time": 30, "note": None, "billable_time": 15},
        "relationships": {
            "person": {"data": {"type": "people", "id": 12}},
            "service": {"meta": {"included": False}},
            "task": {"data": {"type": "tasks", "id": {"odd": 1}}},
        },
    }
    entry = Entry.model_validate_json(json.dumps(raw))
    assert entry == TimeEntryResource.model_validate(raw).to_entry()
    assert (entry.id, entry.note, entry.person_id, entry.service_id, entry.task_id) == (
        "7",
        "",
        "12",
        None,
        None,
    )
    assert (entry.minutes, entry.billable_minutes) == (30, 15)
    # Built from its own fields, as everywhere else in the app.
    assert Entry(date=date(2026, 11, 2), minutes=30, person_id="12", id="7") == entry.model_copy(
        update={"billable_minutes": None}
    )


def test_seed_requests_integer_ids_are_accepted_as_strings() -> None:
    update = EXAMPLES[1]
    ids = [
        TimeEntryResource.model_validate(
            {**item, "attributes": {"date": "2024-01-01", "time": 1}}
        ).id
        for item in update.request["data"]
    ]
    assert ids == ["223", "224"]


def test_plannr_stop_response_parses() -> None:
    body = plannr_stop_response()
    entry = PlannrTimeEntry.from_response(body)
    assert entry.total_time_in_minutes == 28
    assert entry.computed_time_elapsed_in_seconds == 1680
    assert entry.end_date - entry.start_date == timedelta(seconds=1680)
    # The seed says is_active: true for a stopped entry; end_date decides.
    assert entry.is_active is True and entry.stopped
    assert entry.account.uuid == "ad8ae460-f07f-4a19-8ca0-66d11d40f1e0"
    assert entry.trackable.uuid == "615c2199-3d96-4a17-9f33-4cdecdc83c7f"
    assert entry.note == "Research\nThis is a description."
    domain = entry.to_entry()
    assert (domain.id, domain.minutes, domain.date) == (body["uuid"], 28, date(2025, 6, 26))
    assert domain.service_id == "client:615c2199-3d96-4a17-9f33-4cdecdc83c7f"
    timer = entry.to_timer()
    assert not timer.running and timer.total_minutes == 28
    assert timer.elapsed_seconds(datetime.now(entry.start_date.tzinfo)) == 1680


def test_plannr_response_wrapped_in_data_parses_the_same() -> None:
    body = plannr_stop_response()
    assert PlannrTimeEntry.from_response({"data": body}) == PlannrTimeEntry.from_response(body)


def test_plannr_running_entry_is_not_stopped() -> None:
    body = {**plannr_stop_response(), "end_date": None, "total_time_in_minutes": None}
    entry = PlannrTimeEntry.from_response(body)
    assert not entry.stopped and entry.to_timer().running


def test_unknown_fields_are_ignored() -> None:
    raw = EXAMPLES[0].response["data"][0]
    extended = {**raw, "surprise": 1, "attributes": {**raw["attributes"], "new_field": [1, 2]}}
    assert TimeEntryResource.model_validate(extended).attributes.time == 120


def test_missing_required_field_is_a_clear_error() -> None:
    raw = EXAMPLES[0].response["data"][0]
    attributes = {k: v for k, v in raw["attributes"].items() if k != "time"}
    with pytest.raises(ValidationError) as caught:
        TimeEntryResource.model_validate({**raw, "attributes": attributes})
    assert caught.value.error_count() == 1
    assert caught.value.errors()[0]["loc"] == ("attributes", "time")
    assert caught.value.errors()[0]["type"] == "missing"
    body = {k: v for k, v in plannr_stop_response().items() if k != "start_date"}
    with pytest.raises(ValidationError, match="start_date"):
        PlannrTimeEntry.from_response(body)


def test_error_document_maps_pointer_to_item_index() -> None:
    document = ErrorDocument.model_validate(
        {
            "errors": [
                {
                    "status": "422",
                    "title": "Invalid",
                    "detail": "bad",
                    "source": {"pointer": "/data/3/attributes/time"},
                },
                {"status": "422", "detail": "whole request"},
            ]
        }
    )
    assert [e.item_index for e in document.errors] == [3, None]


def test_status_follows_the_flags() -> None:
    assert (
        EntryStatus.from_flags(approved=True, rejected=False, submitted=True)
        is EntryStatus.approved
    )
    assert (
        EntryStatus.from_flags(approved=False, rejected=True, submitted=True)
        is EntryStatus.rejected
    )
    assert (
        EntryStatus.from_flags(approved=False, rejected=False, submitted=True)
        is EntryStatus.submitted
    )
    assert (
        EntryStatus.from_flags(approved=False, rejected=False, submitted=False) is EntryStatus.draft
    )


def test_documents_without_included_each_get_their_own_list() -> None:
    # `included` defaults to a plain `[]` (cheaper at start than a factory): pydantic must
    # copy it, or a resource added to one page's document would show in every other page.
    first = TimeEntryDocument.model_validate({"data": []})
    first.included.append(TimeEntryResource.model_validate(EXAMPLES[0].response["data"][0]))
    second = TimeEntryDocument.model_validate({"data": []})
    assert second.included == []
    assert len(first.included) == 1

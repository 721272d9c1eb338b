"""Domain models and the wire shapes of the two services.

Two families live here:

* the app's own domain (`Entry`, `Timer`, `Person`, `Service`, `Task`), small and
  backend-neutral, which the store and the screens work with;
* the documents the services send: Productive's JSON:API resources and Plannr's
  time-entry object, parsed loosely (unknown fields are ignored, so a new field on the
  server never breaks the app) but strictly where the app depends on a field.
"""

# No `from __future__ import annotations`: pydantic evaluates a model's string annotations
# when the class is made, and these classes are made at every start (about a fifth of
# this module's import).

import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import AliasChoices, AliasPath, BaseModel, BeforeValidator, ConfigDict, Field


def _id_to_str(value: Any) -> Any:
    # The seed's bulk requests carry integer ids, its responses strings: accept both.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Id = Annotated[str, BeforeValidator(_id_to_str)]


class _Wire(BaseModel):
    """A shape received from a server: extra fields are ignored, known ones validated."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


# --------------------------------------------------------------------------- domain


class EntryStatus(str, enum.Enum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"

    @classmethod
    def from_flags(cls, *, approved: bool, rejected: bool, submitted: bool) -> Self:
        if approved:
            return cls.approved
        if rejected:
            return cls.rejected
        if submitted:
            return cls.submitted
        return cls.draft


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: Id
    first_name: str = ""
    last_name: str = ""
    email: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or f"#{self.id}"


class Service(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: Id
    name: str
    project_name: str | None = None
    deal_name: str | None = None
    """The deal (budget) the service belongs to, where the backend says; with the project,
    what tells two services of the same name apart."""


class Task(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    id: Id
    title: str
    service_id: Id | None = None


def _related_id(value: Any) -> Any:
    """A relationship's id as `Resource.related_id` reads it: only a string or an integer
    names one; anything else a server sends there counts as no relationship."""
    if value is None or isinstance(value, str):
        return value
    return _id_to_str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _text_or_empty(value: Any) -> Any:
    # Productive sends `"note": null` for an entry without one.
    return "" if value is None else value


RelatedId = Annotated[str | None, BeforeValidator(_related_id)]


def _or_wire(name: str, *path: str, default: Any = ...) -> Any:
    """A field read by its name, or from a Productive time-entry resource at `path`: the
    wire path first, so that a page missing it names the server's field."""
    return Field(default, validation_alias=AliasChoices(AliasPath(*path), name))


class Entry(BaseModel):
    """One time entry as the app sees it, whichever backend it came from.

    Built from its fields (`Entry(date=..., minutes=...)`), or validated straight from a
    Productive `time_entries` resource (`{"id", "attributes": {"date", "time", ...},
    "relationships": {"person": {"data": {"id"}}, ...}}`, as JSON bytes or a dict): each
    field also reads its place in the resource. A listing page is validated into entries
    in one pass of pydantic's JSON parser, with no dicts or wire models in between (that
    pass is a fifth of what `json.loads`, validating the resource and `to_entry` cost);
    `TimeEntryResource.to_entry` gives the same entry from a validated resource."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: Id | None = None
    date: Annotated[date, _or_wire("date", "attributes", "date")]  # no `=`: `date` is the type
    minutes: int = _or_wire("minutes", "attributes", "time")
    note: Annotated[str, BeforeValidator(_text_or_empty)] = _or_wire(
        "note", "attributes", "note", default=""
    )
    person_id: RelatedId = _or_wire(
        "person_id", "relationships", "person", "data", "id", default=None
    )
    service_id: RelatedId = _or_wire(
        "service_id", "relationships", "service", "data", "id", default=None
    )
    task_id: RelatedId = _or_wire("task_id", "relationships", "task", "data", "id", default=None)
    approved: bool = _or_wire("approved", "attributes", "approved", default=False)
    rejected: bool = _or_wire("rejected", "attributes", "rejected", default=False)
    rejected_reason: str | None = _or_wire(
        "rejected_reason", "attributes", "rejected_reason", default=None
    )
    submitted: bool = _or_wire("submitted", "attributes", "submitted", default=False)
    invoiced: bool = _or_wire("invoiced", "attributes", "invoiced", default=False)
    updated_at: datetime | None = _or_wire("updated_at", "attributes", "updated_at", default=None)
    billable_minutes: int | None = _or_wire(
        "billable_minutes", "attributes", "billable_time", default=None
    )
    """The billable part of `minutes`, where the backend says (Productive's
    `billable_time`); None where it has no such notion (Plannr)."""

    @property
    def status(self) -> EntryStatus:
        return EntryStatus.from_flags(
            approved=self.approved, rejected=self.rejected, submitted=self.submitted
        )

    @property
    def locked(self) -> bool:
        """Approved or invoiced entries cannot be edited until unapproved."""
        return self.approved or self.invoiced


class Timer(BaseModel):
    """A running (or just stopped) timer; Plannr's timers are entries without an end."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: Id
    entry_id: Id | None = None
    started_at: datetime
    stopped_at: datetime | None = None
    total_minutes: int | None = None
    note: str = ""
    service_id: Id | None = None
    """What it runs on, when the adapter knows (its entry may be outside the shown range)."""
    task_id: Id | None = None

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def elapsed_seconds(self, now: datetime) -> int:
        end = self.stopped_at or now
        return max(0, int((end - self.started_at).total_seconds()))


# ------------------------------------------------------------- Productive (JSON:API)


class ResourceIdentifier(_Wire):
    type: str
    id: Id


class Relationship(_Wire):
    """`{"data": {...}}`, `{"data": null}` or `{"meta": {"included": false}}`."""

    data: ResourceIdentifier | list[ResourceIdentifier] | None = None
    meta: dict[str, Any] | None = None

    @property
    def included(self) -> bool:
        """False when the server left the relationship out (bulk responses do)."""
        return not (self.meta is not None and self.meta.get("included") is False)

    @property
    def id(self) -> str | None:
        return self.data.id if isinstance(self.data, ResourceIdentifier) else None


class Resource(_Wire):
    id: Id
    type: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    relationships: dict[str, Any] = Field(default_factory=dict)
    """Kept raw and read one at a time: validating a dozen relationship objects per
    entry was most of the cost of parsing a list page."""

    def relationship(self, name: str) -> Relationship | None:
        raw = self.relationships.get(name)
        return Relationship.model_validate(raw) if isinstance(raw, dict) else None

    def related_id(self, name: str) -> str | None:
        raw = self.relationships.get(name)
        data = raw.get("data") if isinstance(raw, dict) else None
        ident = data.get("id") if isinstance(data, dict) else None
        return _id_to_str(ident) if isinstance(ident, str | int) else None


class TimeEntryAttributes(_Wire):
    date: date
    time: int
    billable_time: int | None = None
    recognized_time: int | None = None
    note: str | None = None
    track_method_id: int | None = None
    started_at: datetime | None = None
    timer_started_at: datetime | None = None
    timer_stopped_at: datetime | None = None
    approved: bool = False
    approved_at: datetime | None = None
    rejected: bool = False
    rejected_reason: str | None = None
    rejected_at: datetime | None = None
    submitted: bool = False
    invoiced: bool = False
    overhead: bool | None = None
    calendar_event_id: Id | None = None
    invoice_attribution_id: Id | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_activity_at: datetime | None = None
    currency: str | None = None
    currency_default: str | None = None
    currency_normalized: str | None = None
    cost: int | None = None
    cost_default: int | None = None
    cost_normalized: int | None = None
    work_cost: int | None = None
    work_cost_default: int | None = None
    work_cost_normalized: int | None = None
    overhead_cost: int | None = None
    overhead_cost_default: int | None = None
    overhead_cost_normalized: int | None = None
    internal_overhead_cost: int | None = None
    internal_overhead_cost_default: int | None = None
    internal_overhead_cost_normalized: int | None = None
    facility_overhead_cost: int | None = None
    facility_overhead_cost_default: int | None = None
    facility_overhead_cost_normalized: int | None = None


# The resources and documents below narrow their base's loose fields (`attributes` a dict,
# `data` any resource) to the typed models of their route. mypy treats a narrowed field as
# an incompatible override; pydantic validates exactly the narrowed type, which is the point.
class TimeEntryResource(Resource):
    attributes: TimeEntryAttributes  # type: ignore[assignment]

    def to_entry(self) -> Entry:
        """The domain entry; relationships the server left out come back as None."""
        a = self.attributes
        return Entry(
            id=self.id,
            date=a.date,
            minutes=a.time,
            note=a.note or "",
            person_id=self.related_id("person"),
            service_id=self.related_id("service"),
            task_id=self.related_id("task"),
            approved=a.approved,
            rejected=a.rejected,
            rejected_reason=a.rejected_reason,
            submitted=a.submitted,
            invoiced=a.invoiced,
            updated_at=a.updated_at,
            billable_minutes=a.billable_time,
        )


class TimerAttributes(_Wire):
    started_at: datetime
    stopped_at: datetime | None = None
    total_time: int | None = None
    person_id: Id | None = None


class TimerResource(Resource):
    attributes: TimerAttributes  # type: ignore[assignment]

    def to_timer(self, entry: Entry | None = None, *, service_id: str | None = None) -> Timer:
        """The timer; its note, service and task from its time entry, when read."""
        a = self.attributes
        return Timer(
            id=self.id,
            entry_id=self.related_id("time_entry"),
            started_at=a.started_at,
            stopped_at=a.stopped_at,
            total_minutes=a.total_time,
            note=entry.note if entry is not None else "",
            service_id=entry.service_id if entry is not None else service_id,
            task_id=entry.task_id if entry is not None else None,
        )


class Document(_Wire):
    """A JSON:API document: one resource, a list of them, or none (a 204 has no body)."""

    data: Resource | list[Resource] | None = None
    # A plain default, not `default_factory=list`: pydantic copies an empty list default for
    # each document, and reading `list`'s signature (which it does for a factory) costs
    # about 2 ms of every start.
    included: list[Resource] = []
    meta: dict[str, Any] = Field(default_factory=dict)
    links: dict[str, Any] = Field(default_factory=dict)


class TimeEntryDocument(Document):
    data: TimeEntryResource | list[TimeEntryResource] | None = None  # type: ignore[assignment]


class TimerDocument(Document):
    data: TimerResource | list[TimerResource] | None = None  # type: ignore[assignment]


class ErrorSource(_Wire):
    pointer: str | None = None
    parameter: str | None = None


class ErrorObject(_Wire):
    status: str | None = None
    title: str | None = None
    detail: str | None = None
    source: ErrorSource | None = None

    @property
    def item_index(self) -> int | None:
        """The index in a bulk request's `data` that `/data/3/attributes/time` names."""
        pointer = self.source.pointer if self.source else None
        if not pointer or not pointer.startswith("/data/"):
            return None
        head = pointer.split("/")[2]
        return int(head) if head.isdigit() else None


class ErrorDocument(_Wire):
    errors: list[ErrorObject]


def _text(value: Any) -> str | None:
    """A name-like attribute of an included resource: only a string counts (a server may
    send anything there, and a name is never worth failing a listing over)."""
    return value if isinstance(value, str) else None


def person_from_resource(resource: Resource) -> Person:
    a = resource.attributes
    return Person(
        id=resource.id,
        first_name=_text(a.get("first_name")) or "",
        last_name=_text(a.get("last_name")) or "",
        email=_text(a.get("email")),
    )


def service_from_resource(
    resource: Resource, included: Mapping[tuple[str, str], Resource] | None = None
) -> Service:
    """A service; with the document's `included` resources (keyed by type and id), also
    the name of its deal and of the deal's project (else of the service's own `project`),
    where they were included. A missing or odd one is just not named."""
    name = _text(resource.attributes.get("name"))
    deal_name = project_name = None
    if included:
        deal_id = resource.related_id("deal")
        deal = included.get(("deals", deal_id)) if deal_id else None
        project_id = (deal.related_id("project") if deal else None) or resource.related_id(
            "project"
        )
        project = included.get(("projects", project_id)) if project_id else None
        deal_name = _text(deal.attributes.get("name")) if deal else None
        project_name = _text(project.attributes.get("name")) if project else None
    return Service(
        id=resource.id,
        name=name or f"#{resource.id}",
        deal_name=deal_name or None,
        project_name=project_name or None,
    )


def task_from_resource(resource: Resource) -> Task:
    return Task(
        id=resource.id,
        title=_text(resource.attributes.get("title")) or f"#{resource.id}",
        service_id=resource.related_id("service"),
    )


# --------------------------------------------------------------------------- Plannr


class PlannrAccount(_Wire):
    """An `account` or `trackable` object: a person, client, case, firm, ..."""

    uuid: str
    type: str | None = None
    role: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    photo_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class PlannrTimeEntry(_Wire):
    uuid: str
    name: str | None = None
    description: str | None = None
    trackable_type: str | None = None
    trackable: PlannrAccount | None = None
    account: PlannrAccount | None = None
    start_date: datetime
    end_date: datetime | None = None
    is_active: bool | None = None
    total_time_in_minutes: int | None = None
    computed_time_elapsed_in_seconds: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_response(cls, body: Any) -> Self:
        """Parse a bare entry object or one wrapped in `{"data": {...}}`."""
        if isinstance(body, dict) and "uuid" not in body and isinstance(body.get("data"), dict):
            body = body["data"]
        return cls.model_validate(body)

    @property
    def stopped(self) -> bool:
        # The seed's stopped entry still says `is_active: true`; `end_date` is the truth.
        return self.end_date is not None

    @property
    def note(self) -> str:
        parts = [p for p in (self.name, self.description) if p]
        return "\n".join(parts)

    @property
    def minutes(self) -> int:
        if self.total_time_in_minutes is not None:
            return self.total_time_in_minutes
        if self.computed_time_elapsed_in_seconds is not None:
            return self.computed_time_elapsed_in_seconds // 60
        return 0

    def to_entry(self) -> Entry:
        return Entry(
            id=self.uuid,
            date=self.start_date.date(),
            minutes=self.minutes,
            note=self.note,
            person_id=self.account.uuid if self.account else None,
            service_id=(
                f"{(self.trackable_type or '').lower()}:{self.trackable.uuid}"
                if self.trackable
                else None
            ),
            updated_at=self.updated_at,
        )

    def to_timer(self, service_id: str | None = None) -> Timer:
        return Timer(
            id=self.uuid,
            entry_id=self.uuid,
            started_at=self.start_date,
            stopped_at=self.end_date,
            total_minutes=self.minutes if self.stopped else None,
            note=self.note,
            service_id=service_id,
        )

"""Timers people trust: when a timer started and when it should stop, as people type it,
the minutes a stop at an earlier time gives, and the starts a server ignored.

- `parse_stop_at` reads `17:30` (the latest such moment between the timer's start and
  now, so an overnight timer stops at yesterday's 17:30), `30m ago`, or a date and time.
- `parse_start_at` reads `--at 9:00` (the latest such moment, not in the future) or
  `--ago 20m` (at most a day).
- `stopped_minutes` is the entry's minutes after a stop: what it held before this timer
  plus the span from the timer's start to the stop.
- `TimerStarts` keeps the start a person asked for when the server kept its own (whether
  Productive honours `started_at` is unconfirmed): the missed minutes are added at the
  stop, and the person is told once. It lives in a small private file next to the journal,
  so a `start` and a later `stop` (two processes) agree.

Nothing here imports the store or the adapters' HTTP code; every refusal is a
`ValueProblem` of one sentence.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tui.models import Timer
from tui.private_modes import FILE_MODE, FOLDER_MODE
from tui.store.values import ValueProblem, format_minutes, parse_span

MAX_AGO_MINUTES = 24 * 60
"""How far back a timer may start: more than a day is a typing mistake."""
SHORT_STOP_SECONDS = 60
"""A stop before this is an accident: offer to discard it, not to round it."""
IGNORED_TOLERANCE_SECONDS = 60
"""A server's start this far from the one sent still counts as honouring it."""

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_AGO = re.compile(r"^(.+?)\s*ago$")
TIME_HELP = "write HH:MM (17:30) or a duration ago (30m ago)"


def _local(moment: datetime) -> datetime:
    return moment.astimezone()


def clock_text(moment: datetime, now: datetime | None = None) -> str:
    """`17:30` on the day of `now` (default: the current time), `yesterday 23:00` the day
    before, `Mon 23 17:30` another day (local time): a time of another day never reads as
    one of today."""
    local = _local(moment)
    today = _local(now).date() if now is not None else datetime.now().astimezone().date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() == today - timedelta(days=1):
        return f"yesterday {local:%H:%M}"
    return f"{local:%a %d %H:%M}"


def _latest(hour: int, minute: int, now: datetime) -> datetime:
    """The latest moment at or before `now` whose local time is hour:minute."""
    local = _local(now)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate > local:
        candidate = (candidate - timedelta(days=1)).replace(hour=hour, minute=minute)
    return candidate


def _clock(raw: str, text: str) -> tuple[int, int] | None:
    match = _CLOCK.match(raw)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueProblem(f"{text.strip()!r} is not a time of day; {TIME_HELP}.")
    return hour, minute


def _datetime(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.astimezone()


def _ago(raw: str, text: str) -> int | None:
    match = _AGO.match(raw)
    if match is None:
        return None
    try:
        return parse_span(match.group(1))
    except ValueProblem:
        raise ValueProblem(f"{text.strip()!r} is not a time; {TIME_HELP}.") from None


def parse_stop_at(text: str, *, start: datetime, now: datetime) -> datetime:
    """When to stop a timer that started at `start`: between then and now."""
    raw = " ".join(text.strip().lower().split())
    if raw in ("", "now"):
        return now
    moment: datetime | None = None
    if (hm := _clock(raw, text)) is not None:
        moment = _latest(*hm, now)
        if moment < start and moment.date() < _local(now).date():
            # Today's 21:50 is still to come (the latest 21:50 was yesterday, before the
            # timer started): what was typed is a time in the future.
            raise _stop_in_future(text)
    elif (minutes := _ago(raw, text)) is not None:
        moment = now - timedelta(minutes=minutes)
    else:
        moment = _datetime(raw)
    if moment is None:
        raise ValueProblem(f"{text.strip()!r} is not a time; {TIME_HELP}.")
    if moment > now:
        raise _stop_in_future(text)
    if moment < start:
        raise ValueProblem(
            f"{text.strip()!r} is before the timer started ({clock_text(start, now)}); "
            "give a later time."
        )
    return moment


def _stop_in_future(text: str) -> ValueProblem:
    return ValueProblem(f"{text.strip()!r} is in the future; a timer stops at the latest now.")


def parse_start_at(
    at: str | None, ago: str | None, *, now: datetime, flags: bool = True
) -> datetime | None:
    """When a timer's clock began: `--at 9:00` or `--ago 20m`; None for now. `flags`:
    name the options in the sentences (the CLI), else the values alone (the app)."""
    at_flag, ago_flag = ("--at ", "--ago ") if flags else ("", "")
    if at is not None and ago is not None:
        raise ValueProblem("Give --at or --ago, not both.")
    if ago is not None:
        try:
            minutes = parse_span(ago)
        except ValueProblem as problem:
            raise ValueProblem(f"{ago_flag}{problem}") from None
        if minutes > MAX_AGO_MINUTES:
            raise ValueProblem(
                f"{ago_flag}{ago.strip()} is longer than a day; a timer can start at most "
                "24 hours ago (log older time as an entry)."
            )
        return now - timedelta(minutes=minutes)
    if at is None:
        return None
    raw = " ".join(at.strip().lower().split())
    hm = _clock(raw, at)
    moment = _latest(*hm, now) if hm is not None else _datetime(raw)
    if moment is None:
        raise ValueProblem(f"{at_flag}{at.strip()!r} is not a time; write HH:MM (9:00).")
    if moment > now:
        raise ValueProblem(
            f"{at_flag}{at.strip()} is in the future; a timer can start at most now."
        )
    if now - moment > timedelta(minutes=MAX_AGO_MINUTES):
        raise ValueProblem(
            f"{at_flag}{at.strip()} is more than a day ago; a timer can start at most 24 hours ago."
        )
    return moment


def parse_started(text: str, *, now: datetime) -> datetime | None:
    """The start picker's optional time: empty (now), `9:00`, or `20m ago`."""
    raw = " ".join(text.strip().lower().split())
    if not raw or raw == "now":
        return None
    if (match := _AGO.match(raw)) is not None:
        return parse_start_at(None, match.group(1), now=now, flags=False)
    return parse_start_at(raw, None, now=now, flags=False)


def span_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes from `start` to `end` (as a stop counts them)."""
    return max(0, int((end - start).total_seconds()) // 60)


def minutes_before(entry_minutes: int, server_timer: Timer, now: datetime) -> int:
    """What a just-stopped timer's entry held before it: its minutes less what the
    server's stop added (the span the server timed)."""
    end = server_timer.stopped_at or now
    return max(0, entry_minutes - span_minutes(server_timer.started_at, end))


def stopped_minutes(before: int, start: datetime, end: datetime) -> int:
    """The entry's minutes once its timer stops at `end`: `before` plus the span."""
    return before + span_minutes(start, end)


def is_short(start: datetime, end: datetime) -> bool:
    return (end - start).total_seconds() < SHORT_STOP_SECONDS


def ignored_start(sent: datetime, kept: datetime) -> bool:
    """The server kept a start of its own instead of the one sent."""
    return abs((kept - sent).total_seconds()) > IGNORED_TOLERANCE_SECONDS


def ignored_sentence(service: str, sent: datetime, kept: datetime, now: datetime) -> str:
    missed = span_minutes(sent, kept)
    return (
        f"{service} ignored the start time sent ({clock_text(sent, now)}) and started the "
        f"timer at {clock_text(kept, now)}; the {format_minutes(missed)} missed will be added "
        "to its entry when it stops."
    )


def held_sentence(timer_id: str, entry_id: str, minutes: int) -> str:
    return (
        f"Timer {timer_id}'s entry {entry_id} holds {format_minutes(minutes)} from before "
        "this timer, so discarding it would delete that too; stop it instead."
    )


@dataclass(frozen=True)
class IntendedStart:
    """A timer's start the person asked for, which the server did not keep."""

    started_at: datetime
    """The start the person asked for."""
    told: bool = False
    """The person has been told that the server ignored it."""


class TimerStarts:
    """Starts a server ignored, by timer id: in memory, and in `path` when given (a
    private JSON file, written only when there is something to keep)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._starts: dict[str, IntendedStart] | None = None if path is not None else {}

    def _all(self) -> dict[str, IntendedStart]:
        if self._starts is None:
            self._starts = {}
            assert self.path is not None
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
                data = json.loads(self.path.read_text())
                self._starts = {
                    str(k): IntendedStart(datetime.fromisoformat(v["started_at"]), bool(v["told"]))
                    for k, v in data.items()
                }
        return self._starts

    def _write(self) -> None:
        if self.path is None:
            return
        starts = self._all()
        if not starts and not self.path.exists():
            return
        text = json.dumps(
            {k: {"started_at": v.started_at.isoformat(), "told": v.told} for k, v in starts.items()}
        )
        self.path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        os.replace(temporary, self.path)

    def get(self, timer_id: str) -> IntendedStart | None:
        return self._all().get(timer_id)

    def remember(self, timer_id: str, started_at: datetime) -> None:
        self._all()[timer_id] = IntendedStart(started_at)
        self._write()

    def take_notice(self, timer_id: str) -> bool:
        """True the first time it is asked for a timer with an ignored start."""
        known = self.get(timer_id)
        if known is None or known.told:
            return False
        self._all()[timer_id] = IntendedStart(known.started_at, told=True)
        self._write()
        return True

    def forget(self, timer_id: str) -> None:
        if self._all().pop(timer_id, None) is not None:
            self._write()

    def shown(self, timer: Timer) -> Timer:
        """The timer as people see it: from the start they asked for."""
        known = self.get(timer.id)
        if known is None or known.started_at == timer.started_at:
            return timer
        return timer.model_copy(update={"started_at": known.started_at})

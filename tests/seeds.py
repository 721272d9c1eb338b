"""The seed documents (copied verbatim into tests/fixtures) as parsed examples."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
# The seed separates method and path with no-break spaces in the example headings.
_REQUEST = re.compile(r"^(POST|PATCH|DELETE|GET)\u00a0{2}(/api/\S+)$", re.M)
_decoder = json.JSONDecoder()


@dataclass(frozen=True)
class Example:
    method: str
    path: str
    headers: dict[str, str]
    request: Any
    status: int
    response: Any


def _json_after(text: str, marker: str, start: int, end: int) -> tuple[Any, int]:
    at = text.find(marker, start, end)
    if at < 0:
        return None, start
    body_start = text.find("{", at, end)
    if body_start < 0:
        return None, at + len(marker)
    value, stop = _decoder.raw_decode(text, body_start)
    return value, stop


def productive_bulk_examples() -> list[Example]:
    text = (FIXTURES / "productive-time-entries-bulk.txt").read_text()
    starts = [m for m in _REQUEST.finditer(text)]
    examples = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        chunk_headers = dict(
            re.findall(r"^(Accept|Content-Type): (.+)$", text[match.end() : end], re.M)[:2]
        )
        request, after = _json_after(text, "Body", match.end(), end)
        status_match = re.compile(r"Responses(\d{3})").search(text, after, end)
        assert status_match, f"no status for {match.group(0)}"
        response, _ = _json_after(text, "Body", status_match.end(), end)
        examples.append(
            Example(
                match.group(1),
                match.group(2),
                chunk_headers,
                request,
                int(status_match.group(1)),
                response,
            )
        )
    return examples


def plannr_stop_response() -> dict[str, Any]:
    text = (FIXTURES / "plannr-time-entry-stop.txt").read_text()
    value, _ = _json_after(text, "Response examples (200)", 0, len(text))
    return value


def seed_stop_body() -> dict[str, Any]:
    """The answer of the Plannr seed's stop (`POST /time-entry/{uuid}/stop`)."""
    text = (FIXTURES / "plannr-time-entry-stop.txt").read_text()
    at = text.index("Response examples (200)")
    value, _ = json.JSONDecoder().raw_decode(text, text.index("{", at))
    assert isinstance(value, dict)
    return value

"""Helpers for the per-parser unit tests: load a fixture, change it, run a parser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import parsers
from parsers import Channel, RawInput, Report
from tests.conftest import FIXTURES

RECEIVED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def load(folder: str, name: str) -> Any:
    """The parsed JSON of `tests/fixtures/webhooks/<folder>/<name>.json` (a fresh copy)."""
    return json.loads((FIXTURES / "webhooks" / folder / f"{name}.json").read_bytes())


def raw(body: Any, options: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None) -> RawInput:
    """A webhook `RawInput` for `body` (bytes as is, anything else JSON-encoded)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawInput(channel=Channel.WEBHOOK, body=data, received_at=RECEIVED_AT,
                    options=options or {}, headers=headers or {})


def run(parser: str, body: Any, options: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None) -> list[Report]:
    """Parse `body` with the registered parser called `parser`."""
    return parsers.get_parser(parser).parse(raw(body, options, headers))


def one(parser: str, body: Any, options: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None) -> Report:
    """Parse `body` and require exactly one report."""
    reports = run(parser, body, options, headers)
    assert len(reports) == 1, reports
    return reports[0]

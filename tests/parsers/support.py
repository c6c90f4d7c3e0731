"""Helpers for the per-parser unit tests: load a fixture, change it, run a parser."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
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


def json_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document, the root `()` first, as key and index paths."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_paths(item, (*path, index))


def value_at(document: Any, path: tuple[Any, ...]) -> Any:
    """What `path` leads to in `document`."""
    for step in path:
        document = document[step]
    return document


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of `document` with `value` at `path` (`value` itself for the root)."""
    if not path:
        return value
    changed = copy.deepcopy(document)
    value_at(changed, path[:-1])[path[-1]] = value
    return changed

"""Bad input never escapes a webhook parser as anything but `ParseError` or `Ignored`.

The daemon quarantines a body on `ParseError`; any other exception would be a
crash in the pipeline worker. Besides a few shapeless bodies, every fixture is
fed back with each of its values (at every depth) replaced by a wrong type or
removed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import parsers
from parsers import Channel, Ignored, ParseError, RawInput, Report
from tests.conftest import FIXTURES
from tests.parsers.test_golden import WEBHOOK_PARSERS

WEBHOOK_PARSER_NAMES = sorted(name for name in parsers.REGISTRY if name != "email")
SHAPELESS = [b"{}", b"[]", b'"x"', b'{"alerts": 5}', b"\xff\xfe\x00garbage", b"", b"null",
             b'{"a": ', b"[1, 2]", b"[{}]", b"5"]
WRONG_TYPES: list[Any] = [None, 5, "x", [], {}, True, 10**30]


def _raw(body: bytes, options: dict[str, Any] | None = None) -> RawInput:
    return RawInput(channel=Channel.WEBHOOK, body=body, options=options or {},
                    received_at=datetime(2026, 1, 1, tzinfo=UTC))


def _outcome(parser: str, raw: RawInput) -> list[Report] | None:
    try:
        return parsers.get_parser(parser).parse(raw)
    except (ParseError, Ignored):
        return None


@pytest.mark.parametrize("parser", WEBHOOK_PARSER_NAMES)
@pytest.mark.parametrize("body", SHAPELESS, ids=lambda b: repr(b)[:20])
def test_shapeless_bodies_are_refused(parser: str, body: bytes) -> None:
    with pytest.raises((ParseError, Ignored)):
        parsers.get_parser(parser).parse(_raw(body))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _mutations(document: Any) -> Iterator[Any]:
    for path in _paths(document):
        for value in WRONG_TYPES:
            if not path:
                yield value
                continue
            changed = copy.deepcopy(document)
            parent = changed
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = value
            yield changed
        if path and isinstance(_parent(document, path), dict):
            changed = copy.deepcopy(document)
            del _parent(changed, path)[path[-1]]
            yield changed


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        document = document[part]
    return document


def _fixture_cases() -> list[Any]:
    cases = []
    for folder, (parser, options) in sorted(WEBHOOK_PARSERS.items()):
        for path in sorted((FIXTURES / "webhooks" / folder).glob("*.json")):
            if not path.name.endswith(".expected.json"):
                cases.append(pytest.param(path, parser, options, id=f"{folder}/{path.stem}"))
    return cases


@pytest.mark.parametrize(("fixture", "parser", "options"), _fixture_cases())
def test_every_value_of_a_fixture_may_be_wrong(fixture: Path, parser: str,
                                               options: dict[str, Any]) -> None:
    document = json.loads(fixture.read_bytes())
    for mutated in _mutations(document):
        reports = _outcome(parser, _raw(json.dumps(mutated).encode(), options))
        for report in reports or []:
            assert report.title.strip(), f"{fixture.name}: empty title for {mutated!r:.200}"
            assert report.occurred_at.tzinfo is not None

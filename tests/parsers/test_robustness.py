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
from pathlib import Path
from typing import Any

import pytest

import parsers
from parsers import Ignored, ParseError, RawInput, Report
from tests.conftest import FIXTURES
from tests.parsers.support import json_paths, raw, replaced, value_at
from tests.parsers.test_golden import WEBHOOK_PARSERS

WEBHOOK_PARSER_NAMES = sorted(name for name in parsers.REGISTRY if name != "email")
SHAPELESS = [b"{}", b"[]", b'"x"', b'{"alerts": 5}', b"\xff\xfe\x00garbage", b"", b"null",
             b'{"a": ', b"[1, 2]", b"[{}]", b"5"]
WRONG_TYPES: list[Any] = [None, 5, "x", [], {}, True, 10**30]


def _outcome(parser: str, raw: RawInput) -> list[Report] | None:
    try:
        return parsers.get_parser(parser).parse(raw)
    except (ParseError, Ignored):
        return None


@pytest.mark.parametrize("parser", WEBHOOK_PARSER_NAMES)
@pytest.mark.parametrize("body", SHAPELESS, ids=lambda b: repr(b)[:20])
def test_shapeless_bodies_are_refused(parser: str, body: bytes) -> None:
    with pytest.raises((ParseError, Ignored)):
        parsers.get_parser(parser).parse(raw(body))


def _mutations(document: Any) -> Iterator[Any]:
    for path in json_paths(document):
        for value in WRONG_TYPES:
            yield replaced(document, path, value)
        if path and isinstance(value_at(document, path[:-1]), dict):
            changed = copy.deepcopy(document)
            del value_at(changed, path[:-1])[path[-1]]
            yield changed


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
        reports = _outcome(parser, raw(json.dumps(mutated).encode(), options))
        for report in reports or []:
            assert report.title.strip(), f"{fixture.name}: empty title for {mutated!r:.200}"
            assert report.occurred_at.tzinfo is not None

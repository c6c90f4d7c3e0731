from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parsers._common import flatten, join_texts, one_line, pairs_map, parse_time, split_tags


@pytest.mark.parametrize("value", [
    1420452374, 1420452374669, 1420452374669001, 1420452374669001603, "1420452374669",
])
def test_epoch_in_any_unit(value: int | str) -> None:
    parsed = parse_time(value)
    assert parsed is not None
    assert parsed.replace(microsecond=0) == datetime(2015, 1, 5, 10, 6, 14, tzinfo=UTC)


def test_flatten() -> None:
    assert flatten({"a": {"b": 1, "c": [True, None, "x"]}, "d": ""}) == {
        "a.b": "1", "a.c.0": "true", "a.c.2": "x"}
    assert flatten({"k": 1}, "props") == {"props.k": "1"}


def test_pairs_map() -> None:
    assert pairs_map([{"name": "a", "value": 1}, ["b", "2"], "junk", {"name": "c"}]) == {
        "a": "1", "b": "2"}


def test_split_tags() -> None:
    assert split_tags("env:prod, monitor,db:a:b") == ({"env": "prod", "db": "a:b"},
                                                      ["monitor"])
    assert split_tags(5) == ({}, [])


def test_one_line_and_join_texts() -> None:
    assert one_line("\n  first line \nsecond") == "first line"
    assert one_line("x" * 300) == "x" * 199 + "…"
    assert join_texts(["a", None, 1]) == "a, 1"
    assert join_texts("a") is None

"""The parser registry lists every module once, under its file stem."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

import parsers

PARSER_DIR = Path(parsers.__file__).parent
NOT_PARSERS = {"report"}


def _parser_modules() -> set[str]:
    return {m.name for m in pkgutil.iter_modules([str(PARSER_DIR)])
            if not m.name.startswith("_") and m.name not in NOT_PARSERS}


def test_every_module_is_registered_under_its_file_stem() -> None:
    assert set(parsers.REGISTRY) == _parser_modules()
    for name, module in parsers.REGISTRY.items():
        assert name == module.NAME
        assert Path(module.__file__).stem == name  # type: ignore[attr-defined]


def test_duplicate_names_are_refused() -> None:
    from parsers import alertmanager

    with pytest.raises(RuntimeError, match="duplicate parser name"):
        parsers._build(alertmanager, alertmanager)


def test_unknown_parser_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: .*alertmanager"):
        parsers.get_parser("nope")

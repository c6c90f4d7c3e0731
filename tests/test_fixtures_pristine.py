"""The vendored fixtures are byte-for-byte the shared originals."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES, ROOT

SHARED = ROOT.parent / "shared" / "fixtures"


def test_vendored_fixtures_match_shared_originals() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not on this machine; nothing to compare with")
    originals = {p.relative_to(SHARED): p for p in SHARED.rglob("*") if p.is_file()}
    assert originals, "the shared fixture folder is empty"
    for relative, original in originals.items():
        copy = FIXTURES / relative
        assert copy.is_file(), f"{relative} is missing from tests/fixtures"
        assert copy.read_bytes() == original.read_bytes(), f"{relative} was edited"

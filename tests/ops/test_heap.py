"""Start-up objects leave the garbage collector's full passes; start-up garbage does not stay."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from daemon.ops.heap import freeze_startup_heap


class _Node:
    other: _Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()  # the test process goes on collecting as before


@pytest.mark.usefixtures("unfrozen")
def test_live_objects_are_frozen_and_garbage_cycles_are_collected_first() -> None:
    kept = [_Node() for _ in range(1000)]
    garbage = _Node()
    garbage.other = garbage  # a cycle: only the collector can free it
    gone = weakref.ref(garbage)
    del garbage

    frozen = freeze_startup_heap()

    assert frozen == gc.get_freeze_count() >= len(kept)
    assert gone() is None  # collected before the freeze, not kept for good
    full_pass = {id(obj) for obj in gc.get_objects(generation=2)}
    assert not any(id(node) in full_pass for node in kept)
    later = _Node()
    assert any(obj is later for obj in gc.get_objects(generation=0))  # new objects: as usual

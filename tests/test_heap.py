"""The rows a plan is made from are left out of the collector's passes; the plan's own garbage is not."""

from __future__ import annotations

import gc
import weakref

import pytest

from cxsync.heap import frozen, loaded_and_frozen


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_loaded_rows_are_frozen_only_while_planning() -> None:
    assert gc.get_freeze_count() == 0
    with loaded_and_frozen(lambda: [Node() for _ in range(100)]) as rows:
        assert gc.get_freeze_count() >= len(rows)
        assert gc.isenabled()
        cycle = Node()
        cycle.other = cycle
        watch = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert watch() is None  # garbage the plan makes is still collected
    assert gc.get_freeze_count() == 0


def test_a_failed_load_leaves_the_collector_as_it_was() -> None:
    def broken() -> list[Node]:
        raise RuntimeError("cache unreadable")

    with pytest.raises(RuntimeError), loaded_and_frozen(broken):
        pass
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_only_the_outermost_frozen_block_thaws() -> None:
    with frozen():
        kept = Node()
        with frozen():
            pass
        assert gc.get_freeze_count() > 0 and gc.is_tracked(kept)
    assert gc.get_freeze_count() == 0

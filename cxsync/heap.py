"""Keep Python's cyclic garbage collector off what a run holds for its whole length.

A plan loads every cached entry and issue (100,000 and 28,907 at the largest benchmark) and holds them,
with the plan made from them, until the run has applied it. None of it is in a reference cycle, yet
every full pass of the collector walked all of it: at 20,000 rows nine such passes took 1.1 s of a
7.9 s run, and a pass grows with the rows held. The rows are therefore loaded with the collector off,
and what is alive is frozen (left out of its passes) while a plan is made and while it is applied;
what is made meanwhile is still collected as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_depth = [0]  # frozen blocks open: only the outermost thaws


@contextmanager
def frozen() -> Iterator[None]:
    """Everything alive now is left out of the collector's passes until the block ends."""
    gc.freeze()
    _depth[0] += 1
    try:
        yield
    finally:
        _depth[0] -= 1
        if _depth[0] == 0:
            gc.unfreeze()


@contextmanager
def loaded_and_frozen(load: Callable[[], T]) -> Iterator[T]:
    """`load()`, run with the collector off (it only builds), and frozen with all else for the block."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        loaded = load()
    finally:
        if enabled:
            gc.enable()
    with frozen():
        yield loaded

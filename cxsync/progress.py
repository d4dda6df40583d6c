"""Progress of long reads and writes, reported to whoever is watching; the core imports no UI.

The CLI hands a `Progress` to `Session`; the session opens a phase ("read" while planning, "write"
while applying, with the number of planned writes as the total) and every API call the adapters
make is passed on as it is counted. What to draw, if anything, is the reporter's business.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

from cxsync.adapters.counting import ApiCounter, kind_of

Phase = Literal["read", "write"]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_write(method: str, path: str) -> bool:
    """A call that changes something (searches and queries are POSTs that only read)."""
    return method in WRITE_METHODS and "/search" not in path and "/query" not in path


class Progress(Protocol):
    def begin(self, phase: Phase, total: int | None) -> None:
        """A phase starts; `total` is the number of writes expected, None when unknown (reads)."""

    def call(self, service: str, kind: str, write: bool) -> None:
        """One API call was answered (`kind` as `ApiCounter` names it, e.g. `PATCH /v1/pages/{id}`)."""

    def end(self, phase: Phase) -> None:
        """The phase is over (also after an error)."""


@dataclass
class ObservedCounter(ApiCounter):
    """An ApiCounter that also tells a Progress about every call it counts."""

    progress: Progress | None = None

    def record(self, service: str, method: str, path: str) -> None:
        with self._lock:  # one call at a time reaches the reporter, whichever thread it was answered on
            super().record(service, method, path)
            if self.progress is not None:
                self.progress.call(service, kind_of(method, path), is_write(method, path))


def observed(counter: ApiCounter, progress: Progress) -> ObservedCounter:
    """`counter`, keeping what it has counted so far, now also reporting to `progress`."""
    return ObservedCounter(calls=counter.calls, progress=progress)


@contextmanager
def phase(progress: Progress | None, name: Phase, total: int | None = None) -> Iterator[None]:
    if progress is None:
        yield
        return
    progress.begin(name, total)
    try:
        yield
    finally:
        progress.end(name)

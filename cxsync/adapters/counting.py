"""Count API calls per service and kind, through the HTTP clients' own hooks."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field

_ID = re.compile(r"/[0-9a-fA-F-]{32,36}|/[A-Z][A-Z0-9_]+-\d+|(?<!/api)/\d+(?=/|$)")


def kind_of(method: str, path: str) -> str:
    """`PATCH /v1/pages/<id>` → `PATCH /v1/pages/{id}`."""
    return f"{method} {_ID.sub('/{id}', path)}"


@dataclass
class ApiCounter:
    calls: Counter[str] = field(default_factory=Counter)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def record(self, service: str, method: str, path: str) -> None:
        kind = f"{service} {kind_of(method, path)}"
        with self._lock:  # Jira edits are answered on several threads
            self.calls[kind] += 1

    def total(self, service: str | None = None) -> int:
        return sum(n for k, n in self.calls.items() if service is None or k.startswith(service + " "))

    def writes(self) -> int:
        return sum(
            n
            for k, n in self.calls.items()
            if k.split(" ")[1] in {"POST", "PUT", "PATCH", "DELETE"} and "/search" not in k and "/query" not in k
        )

    def summary(self) -> dict[str, int]:
        return dict(sorted(self.calls.items()))

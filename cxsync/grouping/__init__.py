"""Grouping: entries + previous assignment + overrides → groups with stable ids.

Every grouper implements `Grouper`; the sync never depends on how a grouper decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from cxsync.models import Group, VocEntry


class Grouper(Protocol):
    def group(self, entries: Sequence[VocEntry], previous: Mapping[str, str]) -> list[Group]:
        """Group `entries`. `previous` maps page id → group id from earlier runs (may be empty)."""
        ...

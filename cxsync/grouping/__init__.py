"""Grouping: entries + previous assignment + overrides → groups with stable ids.

Every grouper implements `Grouper`; the sync never depends on how a grouper decides. Implementations:
`exact.ExactTextGrouper` (v0, same normalised text) and `similarity.SimilarityGrouper` (v1, the default);
`methods.build_grouper` picks one from the mapping, and `overrides` applies manual overrides on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from cxsync.models import Group, VocEntry


class Grouper(Protocol):
    def group(self, entries: Sequence[VocEntry], previous: Mapping[str, str]) -> list[Group]:
        """Group `entries`. `previous` maps page id → group id from earlier runs (may be empty)."""
        ...

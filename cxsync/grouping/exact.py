"""Grouping v0: same need tag and same normalised text = same group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cxsync.grouping.ids import anchor_of, assign_ids
from cxsync.grouping.normalize import normalize
from cxsync.models import Group, Membership, VocEntry


class ExactTextGrouper:
    """Groups requests whose normalised text is identical, scoped by need tag unless told not to."""

    def __init__(self, *, scope_by_tag: bool = True) -> None:
        self.scope_by_tag = scope_by_tag

    def _key(self, entry: VocEntry) -> tuple[str, str]:
        return (entry.need_tag or "" if self.scope_by_tag else "", normalize(entry.text))

    def group(self, entries: Sequence[VocEntry], previous: Mapping[str, str]) -> list[Group]:
        buckets: dict[tuple[str, str], list[VocEntry]] = {}
        for entry in sorted(entries, key=lambda e: e.page_id):
            buckets.setdefault(self._key(entry), []).append(entry)
        ordered = [buckets[key] for key in sorted(buckets)]
        ids = assign_ids(ordered, previous)
        return [_make_group(group_id, bucket) for group_id, bucket in zip(ids, ordered, strict=True)]


def _make_group(group_id: str, bucket: list[VocEntry]) -> Group:
    anchor = anchor_of(bucket)
    memberships = tuple(
        Membership(
            page_id=e.page_id,
            score=1.0,
            reason="anchor" if e is anchor else f"same normalised text as {anchor.page_id}",
        )
        for e in bucket
    )
    return Group(id=group_id, need_tag=anchor.need_tag, members=tuple(bucket), memberships=memberships)

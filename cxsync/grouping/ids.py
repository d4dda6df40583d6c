"""Stable group ids.

A new group's id is derived from its anchor (earliest) page id, which is immutable, so re-deriving
the grouping after a lost local state yields the same ids, and the same Jira labels.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from cxsync.models import VocEntry


def mint_group_id(anchor_page_id: str, taken: set[str]) -> str:
    seed = anchor_page_id.replace("-", "").lower()
    for attempt in range(1000):
        salt = seed if attempt == 0 else f"{seed}:{attempt}"
        candidate = "g" + hashlib.sha256(salt.encode()).hexdigest()[:12]
        if candidate not in taken:
            return candidate
    raise RuntimeError("could not mint a free group id")  # pragma: no cover - 1000 collisions


def anchor_of(members: Iterable[VocEntry]) -> VocEntry:
    return min(members, key=lambda e: (e.created_time, e.page_id))


def assign_ids(buckets: Sequence[Sequence[VocEntry]], previous: Mapping[str, str]) -> list[str]:
    """Give each bucket an id: the previous id most of its members had, else a freshly minted one.

    A previous id claimed by several buckets goes to the bucket holding most of its old members
    (ties: the earliest anchor), so a group keeps its id — and its Jira issue — when it grows or
    loses members.
    """
    claims: dict[str, list[tuple[int, tuple[object, ...], int]]] = {}
    for index, bucket in enumerate(buckets):
        votes = Counter(previous[e.page_id] for e in bucket if e.page_id in previous)
        anchor = anchor_of(bucket)
        for group_id, count in votes.items():
            claims.setdefault(group_id, []).append((-count, (anchor.created_time, anchor.page_id), index))
    ids: list[str | None] = [None] * len(buckets)
    for group_id in sorted(claims):
        for _, _, index in sorted(claims[group_id]):
            if ids[index] is None:
                ids[index] = group_id
                break
    taken = {i for i in ids if i} | set(previous.values())
    for index, bucket in enumerate(buckets):
        if ids[index] is None:
            ids[index] = mint_group_id(anchor_of(bucket).page_id, taken)
            taken.add(ids[index])  # type: ignore[arg-type]
    return [i for i in ids if i is not None]

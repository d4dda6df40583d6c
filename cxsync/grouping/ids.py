"""Stable group ids.

A new group's id is derived from its anchor (earliest) page id, which is immutable, so re-deriving
the grouping after a lost local state yields the same ids, and the same Jira labels.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter

from cxsync.models import VocEntry


def mint_group_id(anchor_page_id: str, taken: set[str]) -> str:
    seed = anchor_page_id.replace("-", "").lower()
    for attempt in range(1000):
        salt = seed if attempt == 0 else f"{seed}:{attempt}"
        candidate = "g" + hashlib.sha256(salt.encode()).hexdigest()[:12]
        if candidate not in taken:
            return candidate
    raise RuntimeError("could not mint a free group id")  # pragma: no cover - 1000 collisions


_ANCHOR_KEY = attrgetter("created_time", "page_id")


def anchor_of(members: Iterable[VocEntry]) -> VocEntry:
    return min(members, key=_ANCHOR_KEY)


def assign_ids(buckets: Sequence[Sequence[VocEntry]], previous: Mapping[str, str]) -> list[str]:
    """Give each bucket an id: the previous id most of its members had, else a freshly minted one.

    A previous id claimed by several buckets goes to the bucket holding most of its old members
    (ties: the earliest anchor), so a group keeps its id — and its Jira issue — when it grows or
    loses members.
    """
    votes = (
        (index, group_id, count)
        for index, bucket in enumerate(buckets)
        for group_id, count in Counter(
            [old for old in map(previous.get, [e.page_id for e in bucket]) if old is not None]
        ).items()
    )
    return ids_from_votes(votes, [anchor_of(bucket) for bucket in buckets], previous)


# (bucket, a previous group id, how many of the bucket's members had it)
Vote = tuple[int, str, int]


def ids_from_votes(votes: Iterable[Vote], anchors: Sequence[VocEntry], previous: Mapping[str, str]) -> list[str]:
    """`assign_ids` from the votes counted already and each bucket's anchor (earliest member)."""
    claims: dict[str, list[tuple[int, tuple[object, ...], int]]] = {}
    for index, group_id, count in votes:
        claims.setdefault(group_id, []).append((-count, _ANCHOR_KEY(anchors[index]), index))
    ids: list[str | None] = [None] * len(anchors)
    for group_id in sorted(claims):
        for _, _, index in sorted(claims[group_id]):
            if ids[index] is None:
                ids[index] = group_id
                break
    taken = {i for i in ids if i} | set(previous.values())
    for index, anchor in enumerate(anchors):
        if ids[index] is None:
            ids[index] = mint_group_id(anchor.page_id, taken)
            taken.add(ids[index])  # type: ignore[arg-type]
    return [i for i in ids if i is not None]

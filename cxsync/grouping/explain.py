"""Why each entry is in its group: the most similar fellow member, and how similar it is.

Computed from the final groups alone (not from how the merges went), so a rerun that only keeps the
previous groups explains them exactly as the run that formed them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from cxsync.grouping.vectors import Floats, Ints, Vectors
from cxsync.models import Membership, VocEntry

# A member is compared with this many of its group's earliest members at most.
COMPARE_LIMIT = 64
BATCH_ROWS = 1_024


def explain(
    ordered: Sequence[VocEntry], labels: Ints, vectors: Vectors, previous: Mapping[str, str]
) -> dict[str, Membership]:
    """Page id → Membership. Scores are rounded to 4 places so reruns print identically."""
    closest, score = closest_members(labels, vectors)
    result: dict[str, Membership] = {}
    for index, entry in enumerate(ordered):
        prefix = "kept from the previous run; " if entry.page_id in previous else ""
        if closest[index] < 0:
            membership = Membership(page_id=entry.page_id, score=1.0, reason=prefix + "no similar request")
        else:
            other = ordered[int(closest[index])].page_id
            value = round(min(1.0, max(0.0, float(score[index]))), 4)
            membership = Membership(page_id=entry.page_id, score=value, reason=f"{prefix}most similar to {other}")
        result[entry.page_id] = membership
    return result


def closest_members(labels: Ints, vectors: Vectors) -> tuple[Ints, Floats]:
    """For every node, its most similar other member of the same cluster (-1 when alone).

    Small clusters are packed into batches and compared in one product, masked to their own cluster.
    """
    closest = np.full(labels.size, -1, dtype=np.int64)
    score = np.zeros(labels.size, dtype=np.float64)
    for rows, cols in _batches(labels):
        nodes = np.union1d(rows, cols)
        sims = vectors.subset(nodes).cross(np.searchsorted(nodes, rows), np.searchsorted(nodes, cols))
        sims[(labels[rows][:, None] != labels[cols][None, :]) | (rows[:, None] == cols[None, :])] = -np.inf
        best = sims.argmax(axis=1)
        linked = np.isfinite(sims[np.arange(rows.size), best])
        closest[rows[linked]] = cols[best[linked]]
        score[rows[linked]] = sims[np.arange(rows.size), best][linked]
    return closest, score


def _batches(labels: Ints) -> Iterator[tuple[Ints, Ints]]:
    """(rows, columns) to compare: rows of several small clusters at once, large clusters alone."""
    order = np.lexsort((np.arange(labels.size), labels))
    clusters = [c for c in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1) if c.size > 1]
    pending: list[Ints] = []
    pending_rows = 0
    for members in clusters:
        if members.size > COMPARE_LIMIT:
            for start in range(0, members.size, BATCH_ROWS):
                rows = members[start : start + BATCH_ROWS]
                yield rows, members[:COMPARE_LIMIT]
            continue
        pending.append(members)
        pending_rows += members.size
        if pending_rows >= BATCH_ROWS:
            joined = np.sort(np.concatenate(pending))
            yield joined, joined
            pending, pending_rows = [], 0
    if pending:
        joined = np.sort(np.concatenate(pending))
        yield joined, joined

"""Why each entry is in its group: the most similar fellow member, and how similar it is.

Computed from the final groups alone (not from how the merges went), so a rerun that only keeps the
previous groups explains them exactly as the run that formed them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from cxsync.grouping.vectors import Bools, Floats, Ints, Vectors
from cxsync.models import Membership, VocEntry

# A member is compared with this many of its group's earliest members at most.
COMPARE_LIMIT = 64
BATCH_ROWS = 1_024


def explain(
    ordered: Sequence[VocEntry],
    labels: Ints,
    vectors: Vectors,
    previous: Mapping[str, str],
    kept: Bools | None = None,
    fit: Floats | None = None,
    moved: Mapping[str, str] | None = None,
) -> dict[str, Membership]:
    """Page id → Membership. Scores are rounded to 4 places so reruns print identically.

    `kept` marks members that stay in their earlier group: they are explained by their mean similarity
    to the rest of that group (`fit`, already computed), and only the others are searched for their
    closest fellow member, so a run that adds a few requests to many groups stays cheap. `moved` maps
    entries that left their earlier group to that group's id.
    """
    unchanged = np.zeros(labels.size, dtype=bool) if kept is None else kept
    closest, score = closest_members(labels, vectors, ~unchanged)
    sizes = np.unique(labels, return_counts=True)
    size_of = dict(zip(sizes[0].tolist(), sizes[1].tolist(), strict=True))
    moved = moved or {}
    result: dict[str, Membership] = {}
    for index, entry in enumerate(ordered):
        if entry.page_id in moved:
            prefix = f"moved out of group {moved[entry.page_id]}, which its text no longer matches; "
        else:
            prefix = "kept from the previous run; " if entry.page_id in previous else ""
        if unchanged[index] and size_of[int(labels[index])] > 1 and fit is not None:
            value = round(min(1.0, max(0.0, float(fit[index]))), 4)
            membership = Membership(page_id=entry.page_id, score=value, reason=prefix + "similar to the rest of its group")
        elif closest[index] < 0:
            membership = Membership(page_id=entry.page_id, score=1.0, reason=prefix + "no similar request")
        else:
            other = ordered[int(closest[index])].page_id
            value = round(min(1.0, max(0.0, float(score[index]))), 4)
            membership = Membership(page_id=entry.page_id, score=value, reason=f"{prefix}most similar to {other}")
        result[entry.page_id] = membership
    return result


def closest_members(labels: Ints, vectors: Vectors, wanted: Bools | None = None) -> tuple[Ints, Floats]:
    """For every node (or every `wanted` node), its most similar other member of the same cluster (-1
    when alone or not wanted).

    Small clusters are packed into batches and compared in one product, masked to their own cluster.
    """
    closest = np.full(labels.size, -1, dtype=np.int64)
    score = np.zeros(labels.size, dtype=np.float64)
    for rows, cols in _batches(labels, wanted):
        nodes = np.union1d(rows, cols)
        sims = vectors.subset(nodes).cross(np.searchsorted(nodes, rows), np.searchsorted(nodes, cols))
        sims[(labels[rows][:, None] != labels[cols][None, :]) | (rows[:, None] == cols[None, :])] = -np.inf
        best = sims.argmax(axis=1)
        linked = np.isfinite(sims[np.arange(rows.size), best])
        closest[rows[linked]] = cols[best[linked]]
        score[rows[linked]] = sims[np.arange(rows.size), best][linked]
    return closest, score


def _batches(labels: Ints, wanted: Bools | None = None) -> Iterator[tuple[Ints, Ints]]:
    """(rows, columns) to compare: rows of several small clusters at once, large clusters alone."""
    order = np.lexsort((np.arange(labels.size), labels))
    clusters = [c for c in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1) if c.size > 1]
    if wanted is not None:
        clusters = [c for c in clusters if wanted[c].any()]
    pending_rows: list[Ints] = []
    pending_cols: list[Ints] = []
    count = 0
    for members in clusters:
        rows = members if wanted is None else members[wanted[members]]
        if members.size > COMPARE_LIMIT:
            for start in range(0, rows.size, BATCH_ROWS):
                yield rows[start : start + BATCH_ROWS], members[:COMPARE_LIMIT]
            continue
        pending_rows.append(rows)
        pending_cols.append(members)
        count += members.size
        if count >= BATCH_ROWS:
            yield np.sort(np.concatenate(pending_rows)), np.sort(np.concatenate(pending_cols))
            pending_rows, pending_cols, count = [], [], 0
    if pending_rows:
        yield np.sort(np.concatenate(pending_rows)), np.sort(np.concatenate(pending_cols))

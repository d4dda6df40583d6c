"""Why each entry is in its group: the most similar fellow member, and how similar it is.

Computed from the final groups alone (not from how the merges went), so a rerun that only keeps the
previous groups explains them exactly as the run that formed them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # comes with scikit-learn

from cxsync.grouping.vectors import Bools, Dense, Floats, Ints, Vectors
from cxsync.models import Membership, VocEntry

# A member is compared with this many of its group's earliest members at most.
COMPARE_LIMIT = 64
BATCH_ROWS = 1_024
# Rows of the clusters whose dense similarities are computed together (see `closest_members`).
BLOCK_ROWS = 96


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
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    # Plain Python values up front: the loop below runs once per entry.
    by_fit = (unchanged & (counts[inverse.ravel()] > 1)).tolist() if fit is not None else [False] * labels.size
    fits = np.clip(fit, 0.0, 1.0).tolist() if fit is not None else [0.0] * labels.size
    scores = np.clip(score, 0.0, 1.0).tolist()
    moved = moved or {}
    membership = membership_maker()
    result: dict[str, Membership] = {}
    for entry, fitting, fit_score, fellow, fellow_score in zip(
        ordered, by_fit, fits, closest.tolist(), scores, strict=True
    ):
        page_id = entry.page_id
        if page_id in moved:
            prefix = f"moved out of group {moved[page_id]}, which its text no longer matches; "
        else:
            prefix = _KEPT if page_id in previous else ""
        if fitting:
            reason, value = _FITS.get(prefix) or prefix + _FIT, round(fit_score, 4)
        elif fellow < 0:
            reason, value = _ALONE.get(prefix) or prefix + _NO_FELLOW, 1.0
        else:
            reason, value = f"{prefix}most similar to {ordered[fellow].page_id}", round(fellow_score, 4)
        result[page_id] = membership(page_id, value, reason)
    return result


_KEPT = "kept from the previous run; "
_FIT = "similar to the rest of its group"
_NO_FELLOW = "no similar request"
# The reasons most entries share, built once.
_FITS = {prefix: prefix + _FIT for prefix in ("", _KEPT)}
_ALONE = {prefix: prefix + _NO_FELLOW for prefix in ("", _KEPT)}


def membership_maker() -> Callable[[str, float, str], Membership]:
    """Builds a Membership from plain str and float values: `Membership.model_construct`, in about
    half its time (it walks the model's fields for every call; at 100,000 entries that took 0.5 s).

    The instance is restored through pydantic's pickle protocol (`__setstate__`) with the state
    `model_construct` gives, down to the shared set of field names.
    """
    shared = Membership.model_construct(page_id="", score=0.0, reason="").__pydantic_fields_set__
    new = Membership.__new__

    def make(page_id: str, score: float, reason: str) -> Membership:
        made = new(Membership)
        made.__setstate__(
            {
                "__dict__": {"page_id": page_id, "score": score, "reason": reason},
                "__pydantic_fields_set__": shared,
                "__pydantic_extra__": None,
                "__pydantic_private__": None,
            }
        )
        return made

    return make


def closest_members(labels: Ints, vectors: Vectors, wanted: Bools | None = None) -> tuple[Ints, Floats]:
    """For every node (or every `wanted` node), its most similar other member of the same cluster (-1
    when alone or not wanted).

    Small clusters are packed into batches and compared in one sparse product, masked to their own
    cluster; the dense part (BLAS) is computed only in blocks of a few neighbouring clusters along the
    diagonal, since pairs across clusters are masked anyway.
    """
    closest = np.full(labels.size, -1, dtype=np.int64)
    score = np.zeros(labels.size, dtype=np.float64)
    # Small products: BLAS threads cost more than they save (several times more on a busy machine).
    with threadpool_limits(1, user_api="blas"):
        for rows, cols, blocks in _batches(labels, wanted):
            _closest_in_batch(labels, vectors, rows, cols, blocks, closest, score)
    return closest, score


def _closest_in_batch(
    labels: Ints, vectors: Vectors, rows: Ints, cols: Ints, blocks: list[Block], closest: Ints, score: Floats
) -> None:
    nodes = np.union1d(rows, cols)
    subset = vectors.subset(nodes)
    at_rows, at_cols = np.searchsorted(nodes, rows), np.searchsorted(nodes, cols)
    sims: Dense = (subset.sparse[at_rows] @ subset.sparse[at_cols].T).toarray()
    for r0, r1, c0, c1 in blocks:
        sims[r0:r1, c0:c1] += subset.dense[at_rows[r0:r1]] @ subset.dense[at_cols[c0:c1]].T
    sims[(labels[rows][:, None] != labels[cols][None, :]) | (rows[:, None] == cols[None, :])] = -np.inf
    best = sims.argmax(axis=1)
    linked = np.isfinite(sims[np.arange(rows.size), best])
    closest[rows[linked]] = cols[best[linked]]
    score[rows[linked]] = sims[np.arange(rows.size), best][linked]


Block = tuple[int, int, int, int]


def _batches(labels: Ints, wanted: Bools | None = None) -> Iterator[tuple[Ints, Ints, list[Block]]]:
    """(rows, columns, dense blocks) to compare: rows of several small clusters at once, large clusters
    alone. Rows and columns are grouped by cluster, each cluster's in node order; a block (row start,
    row end, column start, column end) covers a few consecutive clusters."""
    order = np.lexsort((np.arange(labels.size), labels))
    clusters = [c for c in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1) if c.size > 1]
    if wanted is not None:
        clusters = [c for c in clusters if wanted[c].any()]
    pending_rows: list[Ints] = []
    pending_cols: list[Ints] = []
    blocks: list[Block] = []
    count = row_end = col_end = block_rows = block_cols = 0
    for members in clusters:
        rows = members if wanted is None else members[wanted[members]]
        if members.size > COMPARE_LIMIT:
            for start in range(0, rows.size, BATCH_ROWS):
                chunk = rows[start : start + BATCH_ROWS]
                yield chunk, members[:COMPARE_LIMIT], [(0, chunk.size, 0, COMPARE_LIMIT)]
            continue
        if row_end - block_rows >= BLOCK_ROWS:
            blocks.append((block_rows, row_end, block_cols, col_end))
            block_rows, block_cols = row_end, col_end
        pending_rows.append(rows)
        pending_cols.append(members)
        row_end += rows.size
        col_end += members.size
        count += members.size
        if count >= BATCH_ROWS:
            blocks.append((block_rows, row_end, block_cols, col_end))
            yield np.concatenate(pending_rows), np.concatenate(pending_cols), blocks
            pending_rows, pending_cols, blocks = [], [], []
            count = row_end = col_end = block_rows = block_cols = 0
    if pending_rows:
        blocks.append((block_rows, row_end, block_cols, col_end))
        yield np.concatenate(pending_rows), np.concatenate(pending_cols), blocks

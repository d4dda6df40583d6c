"""The similarity graph: for every text, its most similar texts above a floor.

Only pairs at or above the floor are kept, and at most `max_neighbours` per text (the most similar),
so memory grows with n, not n². `bound[i]` records the best score text i may have with a text it is
not linked to: the floor, or its weakest kept neighbour when the cap cut some off. Linkage uses it to
estimate the pairs the graph leaves out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxsync.grouping.cells import cells
from cxsync.grouping.vectors import Bools, Dense, Floats, Ints, Vectors

# Node indices and scores of neighbour lists: int32 and float32 while the graph is built.
Nodes = npt.NDArray[np.integer]
Scores = npt.NDArray[np.floating]

# Up to this many texts are compared all against all; larger sets are split into cells first.
EXACT_LIMIT = 20_000
CELL_SIZE = 4_000
# Similarities computed per block of rows (rows × columns), to bound memory.
BLOCK_CELLS = 8_000_000


@dataclass(frozen=True)
class Graph:
    """Undirected edges (left < right) with their similarity, and each node's bound."""

    left: Ints
    right: Ints
    sims: Floats
    bound: Floats

    @property
    def edge_count(self) -> int:
        return int(self.left.size)


@dataclass(frozen=True)
class _Directed:
    """Directed neighbour pairs: int32 nodes and float32 scores while the graph is built (or wider)."""

    rows: Nodes
    cols: Nodes
    sims: Scores


def build_graph(
    vectors: Vectors, partitions: Sequence[Ints], floor: float, max_neighbours: int, active: Bools | None = None
) -> Graph:
    """Neighbours within each partition (texts in different partitions are never linked).

    With `active`, only pairs involving an active text are searched: when most texts already sit in
    groups that cannot merge with each other, only the new texts need neighbours, and a run that
    adds 1,000 requests to 100,000 costs about 1,000 × 100,000 comparisons, not 100,000².
    """
    n = vectors.count
    bound = np.full(n, floor, dtype=np.float64)
    found: list[_Directed] = []
    for members in partitions:
        rows = members if active is None else members[active[members]]
        if members.size <= 1 or rows.size == 0:
            continue
        if rows.size * members.size <= EXACT_LIMIT**2:
            found.append(_neighbours(vectors, rows, members, floor, max_neighbours, bound))
            continue
        per_cell = [
            _neighbours(
                vectors, cell if active is None else cell[active[cell]], cell, floor, max_neighbours, bound, True
            )
            for cell in cells(vectors, members, CELL_SIZE)
        ]
        # `merge_capped` empties the list: each cell's arrays go as soon as they are joined.
        found.append(merge_capped(per_cell, max_neighbours, bound))
        del per_cell
    return symmetric_graph(found, bound, n)


def _neighbours(
    vectors: Vectors,
    rows: Ints,
    cols: Ints,
    floor: float,
    max_neighbours: int,
    bound: Floats,
    rebalance: bool = False,
) -> _Directed:
    """Top neighbours of each of `rows` among `cols` (both sorted, rows ⊆ cols), block by block.

    `rebalance` re-splits dense and sparse columns for `cols` (`Vectors.subset`): used for the cells
    of a large set, where it halves the time; the all-against-all case keeps the corpus-wide split.
    """
    if rows.size == 0:
        return concat([])
    step = max(16, min(4096, BLOCK_CELLS // max(1, cols.size)))
    subset = vectors.subset(cols, rebalance)
    positions = np.searchsorted(cols, rows)
    # Neighbour lists hold int32 nodes and float32 scores (the scores are float32 products anyway).
    nodes = _compact_nodes(cols)
    parts: list[_Directed] = []
    for start in range(0, rows.size, step):
        block = positions[start : start + step]
        scores = subset.similarity(block)
        scores[np.arange(block.size), block] = -1.0
        parts.append(_top_of_block(nodes[block], nodes, scores, floor, max_neighbours, bound))
        del scores
    return concat(parts)


def _compact_nodes(nodes: Ints) -> Nodes:
    """Node indices as int32 when they fit (half the memory of the neighbour lists), else unchanged."""
    if nodes.size and int(nodes.max()) >= 1 << 31:
        return nodes
    return nodes.astype(np.int32)


def _top_of_block(block: Nodes, cols: Nodes, scores: Dense, floor: float, limit: int, bound: Floats) -> _Directed:
    """Each row's `limit` best columns at or above `floor`; rows with more raise their bound.

    Rows with few scores above the floor are read off directly; crowded rows (inside a large group
    within a cell) are cut with a partial sort of the whole row, which is cheaper there than sorting
    pairs.
    """
    above = scores >= floor
    counts = above.sum(axis=1)
    crowded = np.flatnonzero(counts > 4 * limit)
    above[crowded] = False
    row, col = np.nonzero(above)
    del above
    found = top_per_row(block[row], cols[col], scores[row, col], limit, bound)
    if crowded.size == 0:
        return found
    dense = scores[crowded]
    top = np.argpartition(-dense, limit - 1, axis=1)[:, :limit]
    best = np.take_along_axis(dense, top, axis=1)
    np.maximum.at(bound, block[crowded], best.min(axis=1).astype(np.float64))
    extra = _Directed(np.repeat(block[crowded], limit), cols[top.ravel()], best.ravel())
    return concat([found, extra])


def top_per_row(rows: Nodes, cols: Nodes, sims: Scores, limit: int, bound: Floats) -> _Directed:
    """Keep each row's `limit` best (ties: lower column first) and record the cut in `bound`.

    The pairs come sorted by row, then column (as `np.nonzero` gives them).
    """
    order = _by_row_then_score(rows, cols, sims)
    rows, cols, sims = rows[order], cols[order], sims[order]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows, side="left")
    overflow = np.zeros(rows.size, dtype=bool)
    overflow[:-1] = (rank[:-1] == limit - 1) & (rows[1:] == rows[:-1])
    np.maximum.at(bound, rows[overflow], sims[overflow])
    keep = rank < limit
    return _Directed(rows[keep], cols[keep], sims[keep])


def _by_row_then_score(rows: Nodes, cols: Nodes, sims: Scores) -> Ints:
    """The order (row, highest score first, lower column first) of pairs sorted by (row, column).

    Scores computed in float32 sort by one 64-bit key, (row, descending float32 bits), with a stable
    sort that keeps the column order among ties: several times faster than a three-key lexsort.
    """
    single = sims.astype(np.float32) + np.float32(0.0)  # + 0.0: -0.0 becomes 0.0, which ties with it
    if rows.size == 0 or int(rows.max()) >= 1 << 31 or int(rows.min()) < 0 or not np.array_equal(single, sims):
        return np.lexsort((cols, -sims, rows))
    bits = single.view(np.uint32)
    ascending = np.where(bits >> np.uint32(31), ~bits, bits | np.uint32(0x80000000))
    key = (rows.astype(np.uint64) << np.uint64(32)) | (~ascending).astype(np.uint64)
    order: Ints = np.argsort(key, kind="stable")
    return order


def merge_capped(parts: Sequence[_Directed], limit: int, bound: Floats) -> _Directed:
    """Union of neighbour lists found in overlapping cells, re-capped to each row's `limit` best.

    A pair found in two cells keeps its higher score (the two differ at most in the last bits).
    A list of parts is emptied once they are joined, which frees their arrays early.
    """
    edges = concat(parts)
    if isinstance(parts, list):
        parts.clear()
    if edges.rows.size == 0:
        return edges
    rows, cols, sims = edges.rows, edges.cols, edges.sims
    del edges
    # Stable by (row, column), as a stable argsort of row × width + column (without the 8-byte keys).
    order = np.lexsort((cols, rows))
    rows = rows[order]
    cols = cols[order]
    sims = sims[order]
    del order
    fresh = np.ones(rows.size, dtype=bool)
    fresh[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    starts = np.flatnonzero(fresh)
    del fresh
    best = np.maximum.reduceat(sims, starts)
    del sims
    return top_per_row(rows[starts], cols[starts], best, limit, bound)


def concat(parts: Sequence[_Directed]) -> _Directed:
    """The parts one after the other, in the narrowest of their dtypes that holds them all."""
    if not parts:
        empty = np.zeros(0, dtype=np.int32)
        return _Directed(empty, empty, np.zeros(0, dtype=np.float32))
    if len(parts) == 1:
        return parts[0]
    return _Directed(
        np.concatenate([p.rows for p in parts]),
        np.concatenate([p.cols for p in parts]),
        np.concatenate([p.sims for p in parts]),
    )


def symmetric_graph(found: Sequence[_Directed], bound: Floats, n: int) -> Graph:
    """One undirected edge per linked pair, sorted, whichever side found it."""
    edges = concat(found)
    left = np.minimum(edges.rows, edges.cols).astype(np.int64)
    right = np.maximum(edges.rows, edges.cols)
    keys, first = np.unique(left * max(n, 1) + right, return_index=True)
    del left, right
    sims = np.asarray(edges.sims[first], dtype=np.float64)
    return Graph(keys // max(n, 1), keys % max(n, 1), sims, bound)

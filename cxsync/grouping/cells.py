"""Split a large set of texts into overlapping cells of similar texts, so neighbours are searched
within cells instead of across all n² pairs.

Spherical k-means with a deterministic start (evenly spaced texts in processing order) and a fixed
number of rounds; each text joins its `spread` nearest cells, so a text near a border is compared
with both sides. Texts very similar to each other land in the same cell, so pairs above the
threshold are found with high recall; the benchmark measures what is lost.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from cxsync.grouping.vectors import Dense, Ints, Vectors

ROUNDS = 6


def cells(vectors: Vectors, members: Ints, max_size: int, spread: int = 2) -> list[Ints]:
    """Cells (arrays of node indices, each sorted) that together cover `members`."""
    if members.size <= max_size:
        return [members]
    count = max(2, math.ceil(members.size * spread / (max_size * 0.6)))
    sims = _kmeans_similarities(vectors, members, count)
    nearest = np.argpartition(-sims, spread - 1, axis=1)[:, :spread] if spread < count else None
    found: list[Ints] = []
    for cell in range(count):
        inside = members[(nearest == cell).any(axis=1)] if nearest is not None else members
        if inside.size == 0:
            continue
        if inside.size > max_size and inside.size < members.size:
            found.extend(cells(vectors, inside, max_size, spread=1))
        elif inside.size > max_size:
            found.extend(np.array_split(inside, math.ceil(inside.size / max_size)))
        else:
            found.append(inside)
    return found


def _kmeans_similarities(vectors: Vectors, members: Ints, count: int) -> Dense:
    # `members` is sorted: all of them is every node, and needs no copy.
    whole = members.size == vectors.count
    sparse = vectors.sparse if whole else vectors.sparse[members]
    dense = Vectors(sparse, vectors.dense if whole else vectors.dense[members])
    seeds = np.linspace(0, members.size - 1, count).round().astype(np.int64)
    centre_sparse = sparse[seeds].toarray()
    centre_dense = dense.dense_rows(seeds)
    sims = _similarities(sparse, dense, centre_sparse, centre_dense)
    for _ in range(ROUNDS):
        assignment = sims.argmax(axis=1)
        centre_sparse, centre_dense = _centres(sparse, dense, assignment, count, centre_sparse, centre_dense)
        sims = _similarities(sparse, dense, centre_sparse, centre_dense)
    return sims


# Rows whose dense part is made at a time (`Vectors.dense_rows`).
_ROWS = 8192


def _similarities(sparse: sp.csr_matrix, dense: Vectors, centre_sparse: Dense, centre_dense: Dense) -> Dense:
    result: Dense = np.asarray(sparse @ centre_sparse.T, dtype=np.float32)
    for first in range(0, result.shape[0], _ROWS):
        result[first : first + _ROWS] += dense.dense_rows(slice(first, first + _ROWS)) @ centre_dense.T
    return result


def _centres(
    sparse: sp.csr_matrix, dense: Vectors, assignment: Ints, count: int, old_sparse: Dense, old_dense: Dense
) -> tuple[Dense, Dense]:
    """Unit-length mean of each cell; an empty cell keeps its old centre."""
    indicator = sp.csr_matrix(
        (np.ones(assignment.size, dtype=np.float32), (assignment, np.arange(assignment.size))),
        shape=(count, assignment.size),
    )
    centre_sparse = np.asarray((indicator @ sparse).toarray(), dtype=np.float32)
    # A CSR dense part gives a sparse product: the same float32 sums in the same order, zeros skipped.
    product = indicator @ dense.dense
    centre_dense = np.asarray(product.toarray() if sp.issparse(product) else product, dtype=np.float32)
    norms = np.sqrt((centre_sparse**2).sum(axis=1) + (centre_dense**2).sum(axis=1))
    empty = norms == 0
    centre_sparse[empty], centre_dense[empty] = old_sparse[empty], old_dense[empty]
    norms[empty] = 1.0
    return centre_sparse / norms[:, None], centre_dense / norms[:, None]

"""Text vectors and block-wise similarity, without ever holding an n×n matrix.

A similarity is `sparse·sparseᵀ + dense·denseᵀ`. Frequent n-grams sit in the dense part: they are few
but appear in most texts, so a sparse product would spend nearly all its time on them, while a dense
product (BLAS) handles them fast. Rare n-grams stay sparse. Embeddings, when used, join the dense part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Dense = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Subset:
    """Some texts' vectors with the sparse columns narrowed to the n-grams they use.

    Narrowing matters: a product with a transposed matrix costs time in proportion to its column
    count, and the whole corpus has hundreds of thousands of n-grams while a cell uses a fraction.
    """

    nodes: Ints
    sparse: sp.csr_matrix
    sparse_t: sp.csr_matrix
    dense: Dense

    def similarity(self, positions: Ints) -> Dense:
        """Similarities of the texts at `positions` (indices into `nodes`) with every text of the subset."""
        scores: Dense = self.dense[positions] @ self.dense.T
        scores += (self.sparse[positions] @ self.sparse_t).toarray()
        return scores

    def cross(self, rows: Ints, cols: Ints) -> Dense:
        """Similarities of the texts at positions `rows` with those at positions `cols`."""
        scores: Dense = self.dense[rows] @ self.dense[cols].T
        scores += (self.sparse[rows] @ self.sparse[cols].T).toarray()
        return scores


@dataclass(frozen=True)
class Vectors:
    """Rows whose squared norms (sparse and dense parts together) are 1, or 0 for an empty text.

    The dense part may be stored as a float32 CSR matrix (the n-gram encoder does: most of a text's
    common n-gram columns are zero, and 100,000 × 1,024 floats would take 400 MB for the whole run);
    `dense_rows` gives rows of it as an array, the same numbers either way.
    """

    sparse: sp.csr_matrix
    dense: Dense | sp.csr_matrix

    @property
    def count(self) -> int:
        return int(self.sparse.shape[0])

    @property
    def dense_width(self) -> int:
        return int(self.dense.shape[1])

    def dense_rows(self, nodes: Ints | slice) -> Dense:
        """The dense part of the texts at `nodes`, as a C-contiguous float32 array."""
        if isinstance(self.dense, np.ndarray):
            return np.ascontiguousarray(self.dense[nodes], dtype=np.float32)
        rows: Dense = np.ascontiguousarray(self.dense[nodes].toarray(), dtype=np.float32)
        return rows

    def subset(self, nodes: Ints, rebalance: bool = False) -> Subset:
        """The texts at `nodes`; with `rebalance`, dense and sparse columns re-split for them (`rebalanced`)."""
        rows = self.sparse[nodes]
        dense = self.dense_rows(nodes)
        if rebalance:
            rows, dense = rebalanced(rows, dense)
        used, narrowed = _narrow(rows.indices, int(rows.shape[1]))
        sparse = sp.csr_matrix((rows.data, narrowed, rows.indptr), shape=(nodes.size, max(1, used.size)))
        return Subset(nodes, sparse, sp.csr_matrix(sparse.T), dense)


# In a rebalanced subset, columns used by more than this share of its texts are multiplied densely.
DENSE_SHARE = 0.05


def rebalanced(sparse: sp.csr_matrix, dense: Dense, share: float = DENSE_SHARE) -> tuple[sp.csr_matrix, Dense]:
    """The same vectors with the columns re-split by how often *these* texts use them.

    The corpus-wide split (`split_common`) suits the whole corpus, but a cell of similar texts uses
    other n-grams often: a column pays off densely (one BLAS pass over every pair) once more than a
    few per cent of the texts use it, and sparsely (work per co-occurring pair) below. Re-splitting
    halves the time of a cell's similarities. Only the order of the floating-point additions changes.
    """
    n = int(sparse.shape[0])
    limit = share * n
    hot = np.bincount(sparse.indices, minlength=int(sparse.shape[1])) > limit
    warm = np.count_nonzero(dense, axis=0) > limit
    stays = ~hot[sparse.indices]
    lengths = np.bincount(np.repeat(np.arange(n, dtype=np.int64), np.diff(sparse.indptr))[stays], minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    kept = sp.csr_matrix((sparse.data[stays], sparse.indices[stays], indptr), shape=sparse.shape)
    kept.has_sorted_indices = bool(sparse.has_sorted_indices)
    cold = sp.csr_matrix(dense[:, ~warm], dtype=np.float32)
    cold.sort_indices()
    moved = sparse[:, np.flatnonzero(hot)].toarray() if hot.any() else np.zeros((n, 0), dtype=np.float32)
    both_dense = np.ascontiguousarray(np.hstack([dense[:, warm], moved]), dtype=np.float32)
    if both_dense.shape[1] == 0:
        both_dense = np.zeros((n, 1), dtype=np.float32)
    return side_by_side(kept, cold), both_dense


def side_by_side(left: sp.csr_matrix, right: sp.csr_matrix) -> sp.csr_matrix:
    """[left | right] as float32 for two CSR matrices with sorted indices and the same rows (indices stay sorted)."""
    rows = int(left.shape[0])
    lengths_left, lengths_right = np.diff(left.indptr), np.diff(right.indptr)
    indptr = np.asarray(left.indptr, dtype=np.int64) + np.asarray(right.indptr, dtype=np.int64)
    # Each row holds its left entries, then its right ones.
    kind = np.int32 if indptr[-1] < 2**31 else np.int64  # half the memory for the positions
    to_left = np.arange(left.nnz, dtype=kind) + np.repeat(right.indptr[:-1].astype(kind), lengths_left)
    data = np.empty(indptr[-1], dtype=np.float32)
    indices = np.empty(indptr[-1], dtype=np.int32)
    data[to_left], indices[to_left] = left.data, left.indices
    del to_left
    to_right = np.arange(right.nnz, dtype=kind) + np.repeat(left.indptr[1:].astype(kind), lengths_right)
    data[to_right], indices[to_right] = right.data, right.indices + np.int32(left.shape[1])
    both = sp.csr_matrix((data, indices, indptr), shape=(rows, int(left.shape[1]) + int(right.shape[1])))
    both.has_sorted_indices = True
    return both


def _narrow(indices: Ints, width: int) -> tuple[Ints, Ints]:
    """(used columns, each index renumbered among them); a sort for few indices, a lookup for many."""
    if indices.size * 8 < width:
        used, narrowed = np.unique(indices, return_inverse=True)
        return used, narrowed.ravel()
    used = np.flatnonzero(np.bincount(indices, minlength=width))
    lookup = np.zeros(width, dtype=np.int64)
    lookup[used] = np.arange(used.size)
    return used, lookup[indices]


# Non-zeros handled at once by `split_common` and `member_dots`.
_SLICE = 1 << 20


def split_common(matrix: sp.csr_matrix, common: int) -> tuple[sp.csr_matrix, Dense]:
    """Move the `common` most frequent columns (ties: lower column) into a dense float32 block."""
    rare, block = split_columns(matrix, common)
    dense: Dense = block.toarray()
    return rare, dense


def split_columns(matrix: sp.csr_matrix, common: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """`split_common` with the common block kept as a float32 CSR matrix (`Vectors.dense` takes either)."""
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    order = np.lexsort((np.arange(df.size), -df))
    slot = np.full(df.size, -1, dtype=np.int32)
    chosen = np.sort(order[: min(common, df.size)])
    slot[chosen] = np.arange(chosen.size, dtype=np.int32)
    width = max(1, chosen.size)
    n = int(matrix.shape[0])
    indptr = np.zeros(n + 1, dtype=np.int64)
    common_indptr = np.zeros(n + 1, dtype=np.int64)
    data_parts: list[npt.NDArray[np.float32]] = []
    index_parts: list[npt.NDArray[np.int32]] = []
    common_data: list[npt.NDArray[np.float32]] = []
    common_index: list[npt.NDArray[np.int32]] = []
    # Rows in slices of about a million entries, so the temporaries stay small.
    step = max(1, int(n * _SLICE // max(1, matrix.nnz)))
    for first in range(0, n, step):
        last = min(n, first + step)
        low, high = int(matrix.indptr[first]), int(matrix.indptr[last])
        where = slot[matrix.indices[low:high]]
        in_common = where >= 0
        # Common entries per row, from a running count (one pass; empty rows need no special case).
        running = np.zeros(high - low + 1, dtype=np.int64)
        np.cumsum(in_common, out=running[1:])
        bounds = np.asarray(matrix.indptr[first : last + 1], dtype=np.int64) - low
        per_row = running[bounds[1:]] - running[bounds[:-1]]
        common_data.append(np.asarray(matrix.data[low:high][in_common], dtype=np.float32))
        common_index.append(where[in_common])
        common_indptr[first + 1 : last + 1] = common_indptr[first] + np.cumsum(per_row)
        rare = ~in_common
        data_parts.append(np.asarray(matrix.data[low:high][rare], dtype=np.float32))
        index_parts.append(np.asarray(matrix.indices[low:high][rare], dtype=np.int32))
        indptr[first + 1 : last + 1] = indptr[first] + (bounds[1:] - running[bounds[1:]])
    data = np.concatenate(data_parts) if data_parts else np.zeros(0, dtype=np.float32)
    indices = np.concatenate(index_parts) if index_parts else np.zeros(0, dtype=np.int32)
    rare_part = sp.csr_matrix((data, indices, indptr), shape=matrix.shape)
    rare_part.has_sorted_indices = bool(matrix.has_sorted_indices)
    del data, indices, data_parts, index_parts
    block = sp.csr_matrix(
        (_joined(common_data, np.float32), _joined(common_index, np.int32), common_indptr), shape=(n, width)
    )
    block.has_sorted_indices = True  # slots follow the column order
    return rare_part, block


def _joined(parts: Sequence[npt.NDArray[Any]], kind: type[np.generic]) -> npt.NDArray[np.generic]:
    return np.concatenate(parts).astype(kind, copy=False) if parts else np.zeros(0, dtype=kind)


def with_embedding(vectors: Vectors, embedding: Dense, embedding_weight: float) -> Vectors:
    """Mix in unit-length embeddings: similarity = (1 - w)·n-gram cosine + w·embedding cosine."""
    keep = np.float32(np.sqrt(1.0 - embedding_weight))
    add = np.float32(np.sqrt(embedding_weight))
    dense = np.hstack([vectors.dense_rows(slice(None)) * keep, embedding * add]).astype(np.float32)
    return Vectors(sp.csr_matrix(vectors.sparse * keep, dtype=np.float32), dense)


def cluster_sums(vectors: Vectors, cluster: Ints, count: int) -> Vectors:
    """Per cluster 0..count-1, the sum of its members' vectors (nodes with cluster -1 count for none).

    A text's mean similarity to a cluster is its dot product with the sum divided by the cluster's size:
    average linkage against a whole group needs one product per group, not one per member.
    """
    nodes = np.flatnonzero(cluster >= 0)
    indicator = sp.csr_matrix(
        (np.ones(nodes.size, dtype=np.float32), (cluster[nodes], nodes)), shape=(count, vectors.count)
    )
    sparse: sp.csr_matrix = sp.csr_matrix(indicator @ vectors.sparse, dtype=np.float32)
    sparse.sort_indices()
    # With a CSR dense part, a sparse product: the same float32 sums in the same order, zeros skipped.
    product = indicator @ vectors.dense
    dense: Dense = np.asarray(product.toarray() if sp.issparse(product) else product, dtype=np.float32)
    return Vectors(sparse, dense)


def member_dots(vectors: Vectors, cluster: Ints, count: int) -> Floats:
    """For every node i with cluster[i] >= 0: v_i · (sum of the vectors of i's cluster, i included).

    One sort of (cluster, column) keys finds, for each non-zero of each text, the cluster's total in
    that column, so the cost grows with the non-zeros, never with cluster size squared. Clusters are
    taken a few at a time (about a million non-zeros), which keeps the temporaries small.
    """
    matrix = vectors.sparse
    n = vectors.count
    dots = np.zeros(n, dtype=np.float64)
    members = np.flatnonzero(cluster >= 0)
    by_cluster = members[np.argsort(cluster[members], kind="stable")]
    if by_cluster.size:
        lengths = np.diff(matrix.indptr)[by_cluster]
        # A slice ends where a cluster ends, once it holds about _SLICE non-zeros.
        slice_of = (np.cumsum(lengths) - lengths) // _SLICE
        ends = np.flatnonzero(np.diff(cluster[by_cluster]))
        cuts = ends[np.diff(slice_of)[ends] > 0] + 1
        for nodes in np.split(by_cluster, cuts):
            nodes = np.sort(nodes)
            dots[nodes] = _sparse_member_dots(matrix[nodes], cluster[nodes], int(matrix.shape[1]))
    if vectors.dense_width:
        only_dense = Vectors(sp.csr_matrix((n, 1), dtype=np.float32), vectors.dense)
        sums = cluster_sums(only_dense, cluster, count).dense_rows(slice(None))
        for start in range(0, members.size, 8192):
            chunk = members[start : start + 8192]
            dots[chunk] += np.einsum("ij,ij->i", vectors.dense_rows(chunk), sums[cluster[chunk]], dtype=np.float64)
    return dots


def _sparse_member_dots(matrix: sp.csr_matrix, owner_of_row: Ints, width: int) -> Floats:
    """`member_dots`' sparse part for rows (in node order) whose clusters lie wholly among them.

    Each cluster's total in each column is summed over its members in node order; a column-major copy
    (rows ordered by cluster, then node) lists every (cluster, column) run contiguously, with no sort.
    Each row's dot then adds its columns in increasing order.
    """
    n = int(matrix.shape[0])
    if not matrix.nnz:
        return np.zeros(n, dtype=np.float64)
    by_owner = np.argsort(owner_of_row, kind="stable")
    columns = sp.csc_matrix(matrix[by_owner])  # per column, rows in (cluster, node) order
    rows = by_owner[columns.indices]
    owner = owner_of_row[rows]
    data = columns.data.astype(np.float64)
    fresh = np.ones(data.size, dtype=bool)
    fresh[1:] = owner[1:] != owner[:-1]
    fresh[columns.indptr[1:-1][np.diff(columns.indptr)[1:] > 0]] = True  # a new column starts a run
    starts = np.flatnonzero(fresh)
    totals = np.add.reduceat(data, starts)
    column_total = np.repeat(totals, np.diff(np.append(starts, data.size)))
    return np.asarray(np.bincount(rows, weights=data * column_total, minlength=n), dtype=np.float64)

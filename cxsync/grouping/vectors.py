"""Text vectors and block-wise similarity, without ever holding an n×n matrix.

A similarity is `sparse·sparseᵀ + dense·denseᵀ`. Frequent n-grams sit in the dense part: they are few
but appear in most texts, so a sparse product would spend nearly all its time on them, while a dense
product (BLAS) handles them fast. Rare n-grams stay sparse. Embeddings, when used, join the dense part.
"""

from __future__ import annotations

from dataclasses import dataclass

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


# Non-zeros handled at once by the passes taken in slices (`slices`).
_SLICE = 1 << 20


def side_by_side(left: sp.csr_matrix, right: sp.csr_matrix) -> sp.csr_matrix:
    """[left | right] as float32 for two CSR matrices with sorted indices and the same rows (indices stay sorted)."""
    rows = int(left.shape[0])
    left_ptr = np.asarray(left.indptr, dtype=np.int64)
    right_ptr = np.asarray(right.indptr, dtype=np.int64)
    indptr = left_ptr + right_ptr
    data = np.empty(indptr[-1], dtype=np.float32)
    indices = np.empty(indptr[-1], dtype=np.int32)
    # Each row holds its left entries, then its right ones. Rows are placed about a million entries at a
    # time, so the position arrays stay small.
    for first, last in slices(indptr):
        rows_at = slice(first, last + 1)
        _place(data, indices, left, left_ptr[rows_at], right_ptr[first:last], 0)
        _place(data, indices, right, right_ptr[rows_at], left_ptr[first + 1 : last + 1], int(left.shape[1]))
    both = sp.csr_matrix((data, indices, indptr), shape=(rows, int(left.shape[1]) + int(right.shape[1])))
    both.has_sorted_indices = True
    return both


def slices(indptr: Ints) -> list[tuple[int, int]]:
    """(first, last) row ranges of a CSR (or column ranges of a CSC) matrix holding about `_SLICE`
    entries each, every entry in one; a row with more entries makes a range of its own."""
    starts = np.unique(np.searchsorted(indptr, np.arange(0, int(indptr[-1]), _SLICE), side="right") - 1).tolist()
    return list(zip(starts, [*starts[1:], int(indptr.size) - 1][: len(starts)], strict=True))


def _place(
    data: Dense, indices: npt.NDArray[np.int32], part: sp.csr_matrix, ptr: Ints, shift_per_row: Ints, column: int
) -> None:
    """Copy the entries of `part`'s rows (bounded by `ptr`) into the joined arrays: each moves by its row's
    `shift_per_row` (the other matrix's entries before it) and its column by `column`."""
    low, high = int(ptr[0]), int(ptr[-1])
    target = np.arange(low, high, dtype=np.int64) + np.repeat(shift_per_row, np.diff(ptr))
    data[target] = part.data[low:high]
    indices[target] = part.indices[low:high] + np.int32(column)


def _narrow(indices: Ints, width: int) -> tuple[Ints, Ints]:
    """(used columns, each index renumbered among them); a sort for few indices, a lookup for many."""
    if indices.size * 8 < width:
        used, narrowed = np.unique(indices, return_inverse=True)
        return used, narrowed.ravel()
    used = np.flatnonzero(np.bincount(indices, minlength=width))
    lookup = np.zeros(width, dtype=np.int64)
    lookup[used] = np.arange(used.size)
    return used, lookup[indices]


def split_common(matrix: sp.csr_matrix, common: int) -> tuple[sp.csr_matrix, Dense]:
    """Move the `common` most frequent columns (ties: lower column) into a dense float32 block."""
    rare, block = split_columns(matrix, common)
    dense: Dense = block.toarray()
    return rare, dense


def split_columns(
    matrix: sp.csr_matrix, common: int, document_counts: Ints | None = None
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """`split_common` with the common block kept as a float32 CSR matrix (`Vectors.dense` takes either).

    `document_counts`, if given, are the column counts to rank by instead of the matrix's own.
    """
    df = np.bincount(matrix.indices, minlength=matrix.shape[1]) if document_counts is None else document_counts
    rare, block = split_at(matrix, common_columns(df, common))
    if block.shape[1] == 0:
        block = sp.csr_matrix((int(matrix.shape[0]), 1), dtype=np.float32)
    return rare, block


def common_columns(document_counts: Ints, common: int) -> Ints:
    """The `common` columns the most texts use (ties: the lower column), in column order."""
    order = np.lexsort((np.arange(document_counts.size), -document_counts))
    chosen: Ints = np.sort(order[: min(common, document_counts.size)])
    return chosen


def split_at(matrix: sp.csr_matrix, chosen: Ints) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(`matrix` without the `chosen` columns, which keep their numbers; the chosen columns, numbered
    0.. in order), both float32. scipy's column selection keeps each row's entries in order."""
    others = np.ones(int(matrix.shape[1]), dtype=bool)
    others[chosen] = False
    rest = np.flatnonzero(others).astype(np.int32)
    picked = _columns(matrix, rest)
    rare = sp.csr_matrix((picked.data, rest[picked.indices], picked.indptr), shape=matrix.shape)
    rare.has_sorted_indices = bool(matrix.has_sorted_indices)
    del picked
    block = _columns(matrix, chosen)
    block.has_sorted_indices = True  # the chosen columns keep their order
    return rare, block


def _columns(matrix: sp.csr_matrix, columns: npt.NDArray[np.integer]) -> sp.csr_matrix:
    """The given (increasing) columns of `matrix` as float32, numbered 0.. in that order."""
    picked: sp.csr_matrix = sp.csr_matrix(matrix[:, columns], dtype=np.float32)
    return picked


def joined_rows(left: sp.csr_matrix, right: sp.csr_matrix, rows: Ints) -> sp.csr_matrix:
    """`side_by_side(left[rows], right[rows])`, built a slice of rows at a time (small temporaries)."""
    lengths = np.diff(left.indptr)[rows] + np.diff(right.indptr)[rows]
    indptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    data = np.empty(indptr[-1], dtype=np.float32)
    indices = np.empty(indptr[-1], dtype=np.int32)
    for first, last in slices(indptr):
        part = side_by_side(left[rows[first:last]], right[rows[first:last]])
        data[indptr[first] : indptr[last]] = part.data
        indices[indptr[first] : indptr[last]] = part.indices
    both = sp.csr_matrix((data, indices, indptr), shape=(rows.size, int(left.shape[1]) + int(right.shape[1])))
    both.has_sorted_indices = True
    return both


def with_embedding(vectors: Vectors, embedding: Dense, embedding_weight: float) -> Vectors:
    """Mix in unit-length embeddings: similarity = (1 - w)·n-gram cosine + w·embedding cosine."""
    keep = np.float32(np.sqrt(1.0 - embedding_weight))
    add = np.float32(np.sqrt(embedding_weight))
    n, width = vectors.count, vectors.dense_width
    # Filled a slice of rows at a time: no full-size copy of either part is made on the way.
    dense = np.empty((n, width + int(embedding.shape[1])), dtype=np.float32)
    for first in range(0, n, _WEIGH_ROWS):
        rows = slice(first, first + _WEIGH_ROWS)
        np.multiply(vectors.dense_rows(rows), keep, out=dense[rows, :width])
        np.multiply(embedding[rows], add, out=dense[rows, width:])
    return Vectors(sp.csr_matrix(vectors.sparse * keep, dtype=np.float32), dense)


# Rows weighed at a time by `with_embedding`.
_WEIGH_ROWS = 8192


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
    # With a CSR dense part, a sparse product: the same float32 sums in the same order, zeros skipped;
    # the sums stay a CSR matrix then.
    product = indicator @ vectors.dense
    if not sp.issparse(product):
        return Vectors(sparse, np.asarray(product, dtype=np.float32))
    dense = sp.csr_matrix(product, dtype=np.float32)
    dense.sort_indices()
    return Vectors(sparse, dense)


def member_dots(vectors: Vectors, cluster: Ints, count: int) -> Floats:
    """For every node i with cluster[i] >= 0: v_i · (sum of the vectors of i's cluster, i included).

    The cost grows with the non-zeros, never with cluster size squared (`_sparse_member_dots`).
    """
    n = vectors.count
    dots = np.zeros(n, dtype=np.float64)
    members = np.flatnonzero(cluster >= 0)
    by_cluster = members[np.argsort(cluster[members], kind="stable")]
    if by_cluster.size and vectors.sparse.nnz:
        dots[by_cluster] = _sparse_member_dots(vectors.sparse[by_cluster], cluster[by_cluster])
    if vectors.dense_width:
        only_dense = Vectors(sp.csr_matrix((n, 1), dtype=np.float32), vectors.dense)
        # The sums stay as `cluster_sums` makes them (CSR for a CSR dense part): made dense a chunk at a
        # time, they never take count × width floats at once (118 MB for 28,907 groups). This is where a
        # sync's memory peaks at 100,000 entries, so the chunks are small (2 × 8 MB).
        sums = cluster_sums(only_dense, cluster, count)
        for start in range(0, members.size, _DOT_ROWS):
            chunk = members[start : start + _DOT_ROWS]
            summed = sums.dense_rows(cluster[chunk])
            dots[chunk] += np.einsum("ij,ij->i", vectors.dense_rows(chunk), summed, dtype=np.float64)
    return dots


# Members whose dense dot products `member_dots` takes at a time.
_DOT_ROWS = 2048


def _sparse_member_dots(rows: sp.csr_matrix, owner: Ints) -> Floats:
    """`member_dots`' sparse part for rows ordered by cluster (`owner`, each cluster's rows in node order).

    A column-major copy lists every (column, cluster) run contiguously, members in node order, with no
    sort: a cluster's total in a column is its run's float64 sum. Each row's dot then adds its columns in
    increasing order. Columns are taken about a million non-zeros at a time (a cluster may hold most of
    them); each row's sum so far goes into the next slice's `bincount` as the row's first term, which
    continues the same additions in the same order.
    """
    n = int(rows.shape[0])
    columns = sp.csc_matrix(rows)  # per column, rows in (cluster, node) order
    del rows  # the caller passed the only reference: freed now, not at return
    everyone = np.arange(n, dtype=np.int64)
    carried = np.zeros(n, dtype=np.float64)
    indptr = np.asarray(columns.indptr, dtype=np.int64)
    for first, last in slices(indptr):
        low, high = int(indptr[first]), int(indptr[last])
        position = np.asarray(columns.indices[low:high], dtype=np.int64)
        run_owner = owner[position]
        data = columns.data[low:high].astype(np.float64)
        fresh = np.ones(data.size, dtype=bool)
        fresh[1:] = run_owner[1:] != run_owner[:-1]
        local = indptr[first : last + 1] - low
        fresh[local[:-1][np.diff(local) > 0]] = True  # a new column starts a run
        starts = np.flatnonzero(fresh)
        products = np.repeat(np.add.reduceat(data, starts), np.diff(np.append(starts, data.size)))
        products *= data
        terms = np.concatenate([carried, products])
        carried = np.asarray(np.bincount(np.concatenate([everyone, position]), weights=terms, minlength=n))
    return carried

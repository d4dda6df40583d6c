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
    """Rows whose squared norms (sparse and dense parts together) are 1, or 0 for an empty text."""

    sparse: sp.csr_matrix
    dense: Dense

    @property
    def count(self) -> int:
        return int(self.sparse.shape[0])

    def subset(self, nodes: Ints) -> Subset:
        rows = self.sparse[nodes]
        used, narrowed = _narrow(rows.indices, int(self.sparse.shape[1]))
        sparse = sp.csr_matrix((rows.data, narrowed, rows.indptr), shape=(nodes.size, max(1, used.size)))
        return Subset(nodes, sparse, sp.csr_matrix(sparse.T), np.ascontiguousarray(self.dense[nodes]))


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
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    order = np.lexsort((np.arange(df.size), -df))
    slot = np.full(df.size, -1, dtype=np.int64)
    chosen = np.sort(order[: min(common, df.size)])
    slot[chosen] = np.arange(chosen.size)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    in_common = slot[matrix.indices] >= 0
    dense = np.zeros((matrix.shape[0], max(1, chosen.size)), dtype=np.float32)
    dense[rows[in_common], slot[matrix.indices[in_common]]] = matrix.data[in_common]
    rare = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    rare.data[in_common] = 0.0
    rare.eliminate_zeros()
    return rare, dense


def with_embedding(vectors: Vectors, embedding: Dense, embedding_weight: float) -> Vectors:
    """Mix in unit-length embeddings: similarity = (1 - w)·n-gram cosine + w·embedding cosine."""
    keep = np.float32(np.sqrt(1.0 - embedding_weight))
    add = np.float32(np.sqrt(embedding_weight))
    dense = np.hstack([vectors.dense * keep, embedding * add]).astype(np.float32)
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
    dense: Dense = np.asarray(indicator @ vectors.dense, dtype=np.float32)
    return Vectors(sparse, dense)


def member_dots(vectors: Vectors, cluster: Ints, count: int) -> Floats:
    """For every node i with cluster[i] >= 0: v_i · (sum of the vectors of i's cluster, i included).

    One sort of (cluster, column) keys finds, for each non-zero of each text, the cluster's total in
    that column, so the cost grows with the non-zeros, never with cluster size squared.
    """
    matrix = vectors.sparse
    n = vectors.count
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr))
    owner = cluster[rows]
    keep = owner >= 0
    width = max(1, int(matrix.shape[1]))
    keys = owner[keep] * width + matrix.indices[keep].astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys, data, rows = keys[order], matrix.data[keep][order].astype(np.float64), rows[keep][order]
    dots = np.zeros(n, dtype=np.float64)
    if keys.size:
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        totals = np.add.reduceat(data, starts)
        column_total = np.repeat(totals, np.diff(np.append(starts, keys.size)))
        dots += np.bincount(rows, weights=data * column_total, minlength=n)
    if vectors.dense.shape[1]:
        sums = cluster_sums(Vectors(sp.csr_matrix((n, 1), dtype=np.float32), vectors.dense), cluster, count).dense
        members = np.flatnonzero(cluster >= 0)
        for start in range(0, members.size, 8192):
            chunk = members[start : start + 8192]
            dots[chunk] += np.einsum("ij,ij->i", vectors.dense[chunk], sums[cluster[chunk]], dtype=np.float64)
    return dots

"""Grouping v1: similar requests (any wording, Korean or English) form one group, stably.

Texts become vectors (`encoders`), each text is linked to its most similar texts (`graph`), and
average linkage cuts the graph at one similarity threshold (`linkage`). The previous assignment
seeds the clusters: its groups stay together and keep their ids, and new requests join them or
form new groups. Entries are processed in (created time, page id) order, so input order never
matters.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from cxsync.grouping.encoders import Encoder
from cxsync.grouping.explain import explain
from cxsync.grouping.graph import Graph, build_graph
from cxsync.grouping.ids import Vote, ids_from_votes
from cxsync.grouping.linkage import average_linkage
from cxsync.grouping.vectors import Bools, Dense, Floats, Ints, Vectors, cluster_sums, member_dots, slices
from cxsync.models import Group, VocEntry

Scope = Literal["need_tag", "soft", "all"]
_PROCESSING_ORDER = attrgetter("created_time", "page_id")


@dataclass(frozen=True)
class Tuning:
    """Knobs below the threshold; the defaults were chosen on the tuning halves of the benchmark sets."""

    max_neighbours: int = 30
    floor_ratio: float = 0.8
    prior: float = 0.5
    tag_bonus: float = 0.05
    pair_margin: float = 0.35
    # An earlier member is re-grouped when its mean similarity to the rest of its group falls below
    # this share of the threshold and another group is as close to it as a new pair must be (its text
    # was edited into another request). Far below 1, so a group never sheds members because new data
    # shifted the weights a little (0.5 moved 2 of 100,000 unedited entries in the benchmark; 0.3, none).
    release_ratio: float = 0.3
    # Previous groups each new request is compared with (the nearest by cosine to the group's centroid).
    group_candidates: int = 20


class SimilarityGrouper:
    def __init__(
        self, encoder: Encoder, threshold: float, scope: Scope = "need_tag", tuning: Tuning = Tuning()
    ) -> None:
        self.encoder = encoder
        self.threshold = threshold
        self.scope = scope
        self.tuning = tuning

    def group(self, entries: Sequence[VocEntry], previous: Mapping[str, str]) -> list[Group]:
        with _collector_paused():
            return self._group(entries, previous)

    def _group(self, entries: Sequence[VocEntry], previous: Mapping[str, str]) -> list[Group]:
        ordered = sorted(entries, key=_PROCESSING_ORDER)
        if not ordered:
            return []
        olds, names = _previous_groups(ordered, previous)
        start, locked = seed_clusters(olds, len(names))
        vectors = self.encoder.vectors([e.text for e in ordered])
        tags = [e.need_tag or "" for e in ordered]
        texts = text_ids(vectors)
        if any(locked):
            # Earlier groups stay whole and keep their ids; only new (or re-grouped) requests are placed,
            # each against whole groups at once, so a run costs new × groups, not everything × everything.
            fit, released = self._recheck(vectors, start, locked)
            # Members that stay in an earlier group of two or more are explained by how well they fit it.
            sizes = np.bincount(start, minlength=len(locked))
            kept = np.asarray(locked, dtype=bool)[start] & (sizes[start] > 1) & ~released
            start, locked = _release(start, locked, released)
            labels = self._join(vectors, tags, start, locked, texts)
        else:
            graph = self._graph(vectors, tags, None)
            labels = average_linkage(
                graph, start, locked, self.threshold, self.tuning.prior, self.tuning.pair_margin, texts
            )
            fit, kept = np.ones(len(ordered)), np.zeros(len(ordered), dtype=bool)
        bucket_of, buckets = _buckets(ordered, labels)
        # Entries come in processing order, so a bucket's first member is its anchor.
        ids = ids_from_votes(_votes(bucket_of, olds, names), [bucket[0] for bucket in buckets], previous)
        moved = _moved(ordered, bucket_of, olds, names, ids)
        why = explain(ordered, labels, vectors, previous, kept=kept, fit=fit, moved=moved)
        # Values already typed (entries, memberships, ids): built without validating each again.
        groups = [
            Group.model_construct(
                id=group_id,
                need_tag=bucket[0].need_tag,
                members=tuple(bucket),
                memberships=tuple([why[e.page_id] for e in bucket]),
            )
            for group_id, bucket in zip(ids, buckets, strict=True)
        ]
        return sorted(groups, key=lambda g: g.id)

    @property
    def _floor(self) -> float:
        bonus = self.tuning.tag_bonus if self.scope == "soft" else 0.0
        return max(1e-6, self.threshold * self.tuning.floor_ratio - bonus)

    def _graph(self, vectors: Vectors, tags: Sequence[str], free: Bools | None) -> Graph:
        bonus = self.tuning.tag_bonus if self.scope == "soft" else 0.0
        floor = self._floor
        parts = partitions(tags, self.scope == "need_tag")
        if free is not None:
            parts = [p[free[p]] for p in parts]
        graph = build_graph(vectors, parts, floor, self.tuning.max_neighbours)
        # Estimate left-out pairs from the floor, not from a crowded text's weakest kept neighbour:
        # in dense regions that bound nears the threshold, and estimates that high let clusters merge
        # on no evidence (measured: one 27,000-text group of 139 intents at 100k). Large true groups
        # may split into a few instead; a wrong merge costs more than a missed one.
        bound = np.minimum(graph.bound, floor)
        if free is not None:
            bound = np.where(free, bound, 0.0)  # pairs with earlier groups are all known (`_group_edges`)
        capped = Graph(graph.left, graph.right, graph.sims, bound)
        return with_tag_bonus(capped, tags, bonus) if bonus else capped

    def _recheck(self, vectors: Vectors, start: Ints, locked: Sequence[bool]) -> tuple[Floats, Bools]:
        """(mean similarity of each earlier member to the rest of its group, members to re-group).

        A member whose text no longer resembles its group (edited into another request) is released
        when its mean similarity to the rest falls below `release_ratio` × the threshold and another
        earlier group is as close to it as a new pair must be to start a group. The group's earliest
        member, which anchors the group and its id, always stays. An edit that keeps much of the old
        wording stays put: a missed move leaves a request in a group a human can fix, a wrong one
        would move requests nobody edited.
        """
        count = len(locked)
        is_locked = np.asarray(locked, dtype=bool)
        cluster = np.where(is_locked[start], start, -1)
        dots = member_dots(vectors, cluster, count)
        own = np.asarray(vectors.sparse.multiply(vectors.sparse).sum(axis=1)).ravel().astype(np.float64)
        for first in range(0, own.size, _ROWS):
            block = vectors.dense_rows(slice(first, first + _ROWS))
            own[first : first + _ROWS] += np.einsum("ij,ij->i", block, block, dtype=np.float64)
        sizes = np.bincount(start, minlength=count)
        rest = sizes[start] - 1
        fit = np.where(rest > 0, (dots - own) / np.maximum(rest, 1), 1.0)
        anchor = np.full(count, start.size, dtype=np.int64)
        np.minimum.at(anchor, start, np.arange(start.size))
        loose = (cluster >= 0) & (rest > 0) & (fit < self.tuning.release_ratio * self.threshold)
        loose &= anchor[start] != np.arange(start.size)
        release = np.zeros(start.size, dtype=bool)
        candidates = np.flatnonzero(loose)
        if candidates.size:
            groups = np.flatnonzero(is_locked & (sizes > 0))
            local = np.full(count, -1, dtype=np.int64)
            local[groups] = np.arange(groups.size)
            sums = cluster_sums(vectors, np.where(cluster >= 0, local[np.maximum(cluster, 0)], -1), groups.size)
            a, b, summed = _nearest_groups(vectors, candidates, sums, self.tuning.group_candidates)
            elsewhere = (groups[b] != start[a]) & (summed / sizes[groups[b]] >= self._pair_bar)
            release[a[elsewhere]] = True
        return fit, release

    @property
    def _pair_bar(self) -> float:
        return self.threshold + self.tuning.pair_margin * (1.0 - self.threshold)

    def _join(self, vectors: Vectors, tags: Sequence[str], start: Ints, locked: Sequence[bool], texts: Ints) -> Ints:
        is_locked = np.asarray(locked, dtype=bool)
        free = ~is_locked[start]
        graph = self._graph(vectors, tags, free)
        extra = self._group_edges(vectors, tags, start, is_locked, free)
        return average_linkage(
            graph, start, locked, self.threshold, self.tuning.prior, self.tuning.pair_margin, texts, extra
        )

    def _group_edges(
        self, vectors: Vectors, tags: Sequence[str], start: Ints, is_locked: Bools, free: Bools
    ) -> tuple[Ints, Ints, Floats]:
        """(new request's cluster, earlier group, summed similarity to all the group's members in scope).

        `cosine_nearest` (brute force over the sparse centroids, cosine) picks each new
        request's nearest groups; the exact summed similarity follows from the cosine and the norms.
        """
        bonus = self.tuning.tag_bonus if self.scope == "soft" else 0.0
        found: list[tuple[Ints, Ints, Floats]] = []
        for part in partitions(tags, self.scope == "need_tag"):
            rows = part[free[part]]
            members = part[~free[part]]
            if rows.size == 0 or members.size == 0:
                continue
            groups, local = np.unique(start[members], return_inverse=True)
            cluster = np.full(start.size, -1, dtype=np.int64)
            cluster[members] = local
            sums = cluster_sums(vectors, cluster, groups.size)
            a, b, summed = _nearest_groups(vectors, rows, sums, self.tuning.group_candidates)
            size = np.bincount(start, minlength=is_locked.size)[groups[b]]
            if bonus:
                summed = summed + bonus * _same_tag_counts(tags, members, local, a, b)
            keep = summed / size >= self._floor
            found.append((start[a[keep]], groups[b[keep]], summed[keep]))
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float64)
        return (
            np.concatenate([f[0] for f in found]),
            np.concatenate([f[1] for f in found]),
            np.concatenate([f[2] for f in found]),
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while (as it was before, after).

    Grouping 100,000 entries builds a few hundred thousand objects (memberships, reasons, groups), all
    alive until it returns and none in a reference cycle; meanwhile the collector kept walking every
    object of the process (two full passes, ≈ 0.2 s at 100,000 entries) and found nothing to free.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Rows made dense at a time where a whole-corpus pass needs the dense part.
_ROWS = 8192


def _nearest_groups(vectors: Vectors, rows: Ints, sums: Vectors, limit: int) -> tuple[Ints, Ints, Floats]:
    """(row node, group index, dot product with the group's summed vector) for each row's nearest groups."""
    if isinstance(vectors.dense, np.ndarray) and isinstance(sums.dense, np.ndarray):
        return _nearest_groups_blas(vectors, rows, sums, limit)
    queries = _joined(vectors.sparse[rows], vectors.dense[rows])
    centroids = _joined(sums.sparse, sums.dense)
    k = min(limit, centroids.shape[0])
    distance, nearest = cosine_nearest(queries, centroids, k)
    query_norm = np.sqrt(np.asarray(queries.multiply(queries).sum(axis=1)).ravel())
    centroid_norm = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1)).ravel())
    dots = (1.0 - distance) * query_norm[:, None] * centroid_norm[nearest]
    return np.repeat(rows, k), nearest.ravel().astype(np.int64), dots.ravel().astype(np.float64)


def _nearest_groups_blas(vectors: Vectors, rows: Ints, sums: Vectors, limit: int) -> tuple[Ints, Ints, Floats]:
    """`_nearest_groups` for vectors whose dense part is an array (embeddings): every query has a value in
    each of its columns, so their products go to BLAS, not through a sparse product (10× faster)."""
    k = min(limit, int(sums.sparse.shape[0]))
    query_sparse, query_dense = vectors.sparse[rows], vectors.dense_rows(rows)
    centroid_sparse_t, centroid_dense = sp.csr_matrix(sums.sparse.T), np.asarray(sums.dense, dtype=np.float32)
    query_norm, centroid_norm = _norms(query_sparse, query_dense), _norms(sums.sparse, centroid_dense)
    centroid_norm[centroid_norm == 0.0] = 1.0
    found, dots = [], []
    for first in range(0, rows.size, _QUERY_ROWS):
        block = slice(first, first + _QUERY_ROWS)
        dot = (query_sparse[block] @ centroid_sparse_t).toarray().astype(np.float64)
        dot += query_dense[block] @ centroid_dense.T
        norms = np.where(query_norm[block] == 0.0, 1.0, query_norm[block])
        distances = np.clip(1.0 - dot / norms[:, None] / centroid_norm[None, :], 0.0, 2.0)
        nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
        at = np.arange(nearest.shape[0])[:, None]
        nearest = nearest[at, np.argsort(distances[at, nearest], kind="stable")]
        found.append(nearest.astype(np.int64))
        dots.append(dot[at, nearest])
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.repeat(rows, k), np.concatenate(found).ravel(), np.concatenate(dots).ravel()


def _norms(sparse: sp.csr_matrix, dense: Dense) -> Floats:
    squares = np.asarray(sparse.multiply(sparse).sum(axis=1), dtype=np.float64).ravel()
    squares += np.einsum("ij,ij->i", dense, dense, dtype=np.float64)
    norms: Floats = np.sqrt(squares)
    return norms


def cosine_nearest(queries: sp.csr_matrix, points: sp.csr_matrix, k: int) -> tuple[Floats, Ints]:
    """(cosine distances, indices) of each query's `k` nearest points, nearest first.

    The same numbers, bit for bit, as scikit-learn's `NearestNeighbors(metric="cosine",
    algorithm="brute").kneighbors`, which this replaced: importing scikit-learn took 0.7–2.5 s of
    every run that adds requests. Rows are normalised with a sequential float64 sum of squares, the
    products accumulate in the queries' column order (scipy's and scikit-learn's sparse products
    both do), and ties are cut by the same `argpartition` and `argsort` calls.
    """
    unit_queries, unit_points = _unit_rows(queries), sp.csr_matrix(_unit_rows(points).T)
    # A block of queries at a time (each row's numbers depend on that row alone): the dense similarity
    # rows stay small.
    parts = [
        _nearest_of(unit_queries[first : first + _QUERY_ROWS], unit_points, k)
        for first in range(0, int(queries.shape[0]), _QUERY_ROWS)
    ]
    if not parts:
        return np.zeros((0, k), dtype=np.float64), np.zeros((0, k), dtype=np.int64)
    return np.concatenate([distances for distances, _ in parts]), np.concatenate([found for _, found in parts])


# Queries compared with all points at once by `cosine_nearest`.
_QUERY_ROWS = 128


def _nearest_of(unit_queries: sp.csr_matrix, unit_points_t: sp.csr_matrix, k: int) -> tuple[Floats, Ints]:
    similarity = (unit_queries @ unit_points_t).toarray()
    similarity *= -1
    similarity += 1
    distances = np.clip(similarity, 0.0, 2.0)
    nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
    rows = np.arange(distances.shape[0])[:, None]
    nearest = nearest[rows, np.argsort(distances[rows, nearest])]
    found: Ints = nearest.astype(np.int64)
    return distances[rows, nearest], found


def _unit_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Float64 rows divided by their L2 norms (all-zero rows unchanged), each norm's sum of squares
    accumulated left to right, as scikit-learn's `normalize` does (`bincount` adds each row's
    weights one by one in order, from 0)."""
    data = np.asarray(matrix.data, dtype=np.float64)
    indptr = np.asarray(matrix.indptr, dtype=np.int64)
    lengths = np.diff(indptr)
    rows = int(matrix.shape[0])
    totals = np.bincount(np.repeat(np.arange(rows), lengths), weights=data * data, minlength=rows)
    norms = np.where(totals != 0.0, np.sqrt(totals), 1.0)
    unit = sp.csr_matrix((data / np.repeat(norms, lengths), matrix.indices, indptr), shape=matrix.shape)
    return unit


def _joined(sparse: sp.csr_matrix, dense: Dense | sp.csr_matrix) -> sp.csr_matrix:
    """[sparse | dense] in float64. A CSR dense part (rows of the encoder's common block, or the sums of
    `cluster_sums`) is used as it is: sorted, no duplicates, no stored zeros, which is what `csr_matrix`
    makes of its array."""
    block = dense if sp.issparse(dense) else sp.csr_matrix(dense)
    both: sp.csr_matrix = sp.hstack([sparse, block], format="csr", dtype=np.float64)
    return both


def _same_tag_counts(tags: Sequence[str], members: Ints, local: Ints, a: Ints, b: Ints) -> Floats:
    """For each (row node a, group b): how many of the group's members share a's need tag."""
    codes = _tag_codes(tags)
    width = int(codes.max()) + 2
    counts = np.bincount(local * width + codes[members] + 1, minlength=(int(local.max()) + 1) * width)
    same = counts[b * width + codes[a] + 1].astype(np.float64)
    return np.where(codes[a] >= 0, same, 0.0)


def text_ids(vectors: Vectors) -> Ints:
    """A number per distinct text as the encoder sees it (copies share one: same vector, bit for bit).

    Rows are compared through a 64-bit hash of their non-zeros, which costs one pass over them.
    """
    matrix = vectors.sparse
    indptr = np.asarray(matrix.indptr, dtype=np.int64)
    mixed = np.empty(int(indptr[-1]), dtype=np.uint64)
    # Each entry's hash, a slice at a time (small temporaries).
    for low, high in ((int(indptr[first]), int(indptr[last])) for first, last in slices(indptr)):
        with np.errstate(over="ignore"):
            mixed[low:high] = matrix.indices[low:high].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            bits = matrix.data[low:high].astype(np.float32).view(np.uint32).astype(np.uint64)
            mixed[low:high] ^= bits * np.uint64(0xBF58476D1CE4E5B9)
            mixed[low:high] ^= mixed[low:high] >> np.uint64(31)
    digest = np.zeros(vectors.count, dtype=np.uint64)
    if mixed.size:
        sums = np.add.reduceat(mixed, np.minimum(indptr[:-1], mixed.size - 1))
        digest = np.where(np.diff(indptr) > 0, sums, np.uint64(0))
    del mixed
    if vectors.dense_width:
        with np.errstate(over="ignore"):
            digest += _dense_digest(vectors)
    _, first, inverse = np.unique(digest, return_index=True, return_inverse=True)
    # Number the distinct texts by first appearance, so ids follow processing order.
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    ids: Ints = rank[inverse.ravel()]
    return ids


def _dense_digest(vectors: Vectors) -> npt.NDArray[np.uint64]:
    """Per row, the sum over the dense part's columns j of (the float32 bits of v_j) × a weight per j.

    A zero (bits 0) adds nothing and sums modulo 2^64 do not depend on their order, so a CSR dense
    part is hashed through its stored entries only, with the value the array's rows would give.
    """
    weights = (np.arange(1, vectors.dense_width + 1, dtype=np.uint64) * np.uint64(0x94D049BB133111EB)) | np.uint64(1)
    block = vectors.dense
    digest = np.zeros(vectors.count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        if isinstance(block, np.ndarray) or not block.has_canonical_format:
            for start in range(0, vectors.count, 2048):
                chunk = vectors.dense_rows(slice(start, start + 2048)).view(np.uint32).astype(np.uint64)
                digest[start : start + 2048] = (chunk * weights).sum(axis=1, dtype=np.uint64)
            return digest
        indptr = np.asarray(block.indptr, dtype=np.int64)
        for first, last in slices(indptr):
            low, high = int(indptr[first]), int(indptr[last])
            bits = block.data[low:high].astype(np.float32).view(np.uint32).astype(np.uint64)
            bits *= weights[block.indices[low:high]]
            starts = indptr[first:last]
            filled = np.diff(indptr[first : last + 1]) > 0
            # The filled rows' starts increase, and the last filled row's entries end the slice.
            digest[first:last][filled] = np.add.reduceat(bits, starts[filled] - low)
    return digest


def _release(start: Ints, locked: Sequence[bool], released: Bools) -> tuple[Ints, list[bool]]:
    """Released members leave their group: each becomes a free cluster of its own."""
    if not released.any():
        return start, list(locked)
    moved = np.flatnonzero(released)
    start = start.copy()
    start[moved] = len(locked) + np.arange(moved.size)
    return start, [*locked, *([False] * moved.size)]


def partitions(tags: Sequence[str], by_tag: bool) -> list[Ints]:
    """Node indices per need tag (untagged entries share one partition), or all in one."""
    if not by_tag:
        return [np.arange(len(tags), dtype=np.int64)]
    members: dict[str, list[int]] = {}
    for index, tag in enumerate(tags):
        members.setdefault(tag, []).append(index)
    return [np.asarray(members[tag], dtype=np.int64) for tag in sorted(members)]


def with_tag_bonus(graph: Graph, tags: Sequence[str], bonus: float) -> Graph:
    """Requests under the same need tag count as a little more alike (a soft signal, not a wall)."""
    codes = _tag_codes(tags)
    same = (codes[graph.left] == codes[graph.right]) & (codes[graph.left] >= 0)
    return Graph(graph.left, graph.right, graph.sims + bonus * same, graph.bound)


def _tag_codes(tags: Sequence[str]) -> Ints:
    names = {tag: code for code, tag in enumerate(sorted(set(tags) - {""}))}
    return np.fromiter((names.get(tag, -1) for tag in tags), dtype=np.int64, count=len(tags))


def _previous_groups(ordered: Sequence[VocEntry], previous: Mapping[str, str]) -> tuple[Ints, list[str]]:
    """(each entry's previous group as a number, -1 for a new entry; the group ids by number, in order
    of their first entry)."""
    numbers: dict[str, int] = {}
    found = map(previous.get, [e.page_id for e in ordered])
    olds = np.array([-1 if old is None else numbers.setdefault(old, len(numbers)) for old in found], dtype=np.int64)
    return olds, list(numbers)


def seed_clusters(olds: Ints, groups: int) -> tuple[Ints, list[bool]]:
    """One locked starting cluster per previous group present, one free cluster per other entry.

    `olds[i]` is entry i's previous group (0..groups-1, numbered in order of first entry) or -1.
    Clusters are numbered in order of their first entry.
    """
    known = np.flatnonzero(olds >= 0)
    first_of_group = np.full(groups, olds.size, dtype=np.int64)
    np.minimum.at(first_of_group, olds[known], known)
    opens = olds < 0
    opens[first_of_group] = True
    start: Ints = np.cumsum(opens) - 1
    start[known] = start[first_of_group[olds[known]]]
    locked: list[bool] = (olds[opens] >= 0).tolist()
    return start, locked


def _buckets(ordered: Sequence[VocEntry], labels: Ints) -> tuple[Ints, list[list[VocEntry]]]:
    """(each entry's bucket, the members per bucket): a bucket per final cluster, in order of their first
    member, each in processing order."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    bucket_of: Ints = rank[inverse.ravel()]
    buckets: list[list[VocEntry]] = [[] for _ in range(first.size)]
    for entry, bucket in zip(ordered, bucket_of.tolist(), strict=True):
        buckets[bucket].append(entry)
    return bucket_of, buckets


def _votes(bucket_of: Ints, olds: Ints, names: Sequence[str]) -> list[Vote]:
    """(bucket, previous group id, how many of its members had it) for every such pair."""
    known = olds >= 0
    width = max(1, len(names))
    pairs, counts = np.unique(bucket_of[known] * width + olds[known], return_counts=True)
    return [
        (pair // width, names[pair % width], count) for pair, count in zip(pairs.tolist(), counts.tolist(), strict=True)
    ]


def _moved(
    ordered: Sequence[VocEntry], bucket_of: Ints, olds: Ints, names: Sequence[str], ids: Sequence[str]
) -> dict[str, str]:
    """Page id → previous group id, for entries whose group now has another id."""
    number = {name: index for index, name in enumerate(names)}
    now = np.array([number.get(group_id, -1) for group_id in ids], dtype=np.int64)[bucket_of]
    moved = np.flatnonzero((olds >= 0) & (olds != now))
    return {ordered[index].page_id: names[olds[index]] for index in moved.tolist()}

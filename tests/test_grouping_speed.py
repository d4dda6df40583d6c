"""The speed-ups of the grouping engine change no result: the n-gram count cache, re-split cells, the
faster neighbour sorts and the block-wise explanations give what the plain computations give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_entry

from cxsync.config import GroupingSettings
from cxsync.grouping import explain as explain_module
from cxsync.grouping import graph as graph_module
from cxsync.grouping.countcache import NAME, CountCache, FileBlobStore
from cxsync.grouping.encoders import NgramEncoder
from cxsync.grouping.explain import closest_members
from cxsync.grouping.graph import _Directed, merge_capped, top_per_row
from cxsync.grouping.methods import build_grouper
from cxsync.grouping.vectorize import text_features
from cxsync.models import Group

TEXTS = [
    "결제 내역을 엑셀로 받고 싶어요",
    "결제내역을 엑셀로 받고 싶습니다",
    "슬랙 연동으로 티켓 알림",
    "Dark mode for the mobile app, please",
    "Please add dark mode to the mobile app",
    "SSO 로그인 지원 계획이 있나요?",
    "결제 내역을 엑셀로 받고 싶어요",  # a copy
    "30분 전에 알림 주세요 😊",
]


def same_matrix(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return (
        a.shape == b.shape
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


def test_cached_counts_give_the_same_vectors_bit_for_bit() -> None:
    cache = CountCache()
    first = text_features(TEXTS[:5], cache)
    assert same_matrix(first, text_features(TEXTS[:5]))
    assert cache.changed and sorted(cache.texts) == sorted(set(TEXTS[:5]))
    text_features(TEXTS[:5], cache)
    assert not cache.changed
    grown = text_features([*TEXTS, "API 권한 문의"], CountCache.from_bytes(cache.to_bytes()))
    assert same_matrix(grown, text_features([*TEXTS, "API 권한 문의"]))
    # Texts that left the corpus leave the cache.
    text_features(TEXTS[2:4], cache)
    assert sorted(cache.texts) == sorted(TEXTS[2:4])


def test_a_text_without_ngrams_may_come_last() -> None:
    assert text_features(["abc 가나", "!!!"]).shape[0] == 2


def test_a_stale_or_broken_stored_cache_is_ignored() -> None:
    cache = CountCache()
    text_features(TEXTS, cache)
    assert CountCache.from_bytes(b"not a cache") is None
    assert CountCache.from_bytes(cache.to_bytes()[:-10]) is None
    counts, vocabulary = cache.views[0]
    tampered = counts.copy()
    tampered.data = tampered.data + 1  # as if the counting code had changed since it was stored
    cache.views[0] = (tampered, vocabulary)
    assert CountCache.from_bytes(cache.to_bytes()) is None


def snapshot(groups: list[Group]) -> str:
    return "\n".join(g.model_dump_json() for g in groups)


def test_groups_are_the_same_with_and_without_a_count_store(tmp_path: Path) -> None:
    settings = GroupingSettings(method="tfidf", scope="all")
    first = [make_entry(i, t) for i, t in enumerate(TEXTS)]
    more = [*first, make_entry(50, "결제 내역 엑셀로 받을 수 있나요"), make_entry(51, "mobile app dark mode?")]
    store = FileBlobStore(tmp_path)
    before = build_grouper(settings, counts=store).group(first, {})
    assert (tmp_path / f"{NAME}.bin").exists()
    assert snapshot(before) == snapshot(build_grouper(settings).group(first, {}))
    previous = {e.page_id: g.id for g in before for e in g.members}
    after = build_grouper(settings, counts=FileBlobStore(tmp_path)).group(more, previous)
    assert snapshot(after) == snapshot(build_grouper(settings).group(more, previous))
    (tmp_path / f"{NAME}.bin").write_bytes(b"garbage")
    assert snapshot(build_grouper(settings, counts=store).group(more, previous)) == snapshot(after)


def test_rebalanced_subsets_give_the_same_similarities() -> None:
    vectors = NgramEncoder().vectors(TEXTS * 3)
    nodes = np.arange(0, vectors.count, 2)
    plain, rebalanced = vectors.subset(nodes), vectors.subset(nodes, rebalance=True)
    positions = np.arange(nodes.size)
    assert np.allclose(plain.similarity(positions), rebalanced.similarity(positions), atol=1e-6)
    assert rebalanced.dense.shape[1] != plain.dense.shape[1]


def test_neighbour_lists_sort_and_merge_like_the_three_key_sort() -> None:
    rng = np.random.default_rng(7)
    levels = np.linspace(-0.25, 1.0, 40).astype(np.float32).astype(np.float64)
    rows, cols = rng.integers(0, 300, 6000), rng.integers(0, 300, 6000)
    sims = levels[(rows * 31 + cols * 17) % levels.size]  # a pair found twice has one score
    parts = [_Directed(rows[k::3], cols[k::3], sims[k::3]) for k in range(3)]
    bound = np.zeros(300)
    merged = merge_capped(parts, 5, bound)
    # Reference: unique pairs, then (row, best score, lower column), the first 5 per row.
    pairs = sorted({(int(r), int(c)): float(s) for r, c, s in zip(rows, cols, sims, strict=True)}.items())
    expected: dict[int, list[tuple[float, int]]] = {}
    for (r, c), s in pairs:
        expected.setdefault(r, []).append((-s, c))
    want = [(r, c, -s) for r in sorted(expected) for s, c in sorted(expected[r])[:5]]
    assert list(zip(merged.rows.tolist(), merged.cols.tolist(), merged.sims.tolist(), strict=True)) == want
    for r, found in expected.items():
        assert bound[r] == (max(0.0, -sorted(found)[4][0]) if len(found) > 5 else 0.0)
    # Scores that are not float32 values take the three-key sort, with the same order.
    r, c = np.array([0, 0, 0]), np.array([1, 2, 3])
    picked = top_per_row(r, c, np.array([0.1, 0.3000000001, 0.3000000001]), 2, np.zeros(4))
    assert picked.cols.tolist() == [2, 3]


def test_block_wise_explanations_match_the_full_products(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = NgramEncoder().vectors(TEXTS * 4)
    labels = np.arange(vectors.count) % 5
    labels[labels == 4] = np.arange((labels == 4).sum()) + 10  # some singletons
    monkeypatch.setattr(explain_module, "BATCH_ROWS", 9)
    monkeypatch.setattr(explain_module, "BLOCK_ROWS", 3)
    monkeypatch.setattr(explain_module, "COMPARE_LIMIT", 5)
    closest, score = closest_members(labels, vectors)
    sims = vectors.subset(np.arange(vectors.count)).similarity(np.arange(vectors.count))
    for i in range(vectors.count):
        fellows = [j for j in np.flatnonzero(labels == labels[i])[:5] if j != i]
        if not fellows or (labels == labels[i]).sum() < 2:
            assert closest[i] == -1
            continue
        best = max(fellows, key=lambda j: (sims[i, j], -j))
        assert closest[i] == best and abs(score[i] - sims[i, best]) < 1e-6


def test_cells_use_rebalanced_subsets_deterministically(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_module, "EXACT_LIMIT", 4)
    monkeypatch.setattr(graph_module, "CELL_SIZE", 10)
    settings = GroupingSettings(method="tfidf", scope="all")
    entries = [make_entry(i, t) for i, t in enumerate(TEXTS * 3)]
    first = build_grouper(settings).group(entries, {})
    assert snapshot(first) == snapshot(build_grouper(settings).group(list(reversed(entries)), {}))


def test_split_and_side_by_side_in_slices_match_the_one_piece_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from cxsync.grouping import vectors as vectors_module

    matrix = text_features(["", *TEXTS, "!!", "API 권한", ""])
    whole_rare, whole_dense = vectors_module.split_common(matrix, 16)
    monkeypatch.setattr(vectors_module, "_SLICE", 5)
    rare, dense = vectors_module.split_common(matrix, 16)
    assert same_matrix(rare, whole_rare) and np.array_equal(dense, whole_dense)
    assert np.allclose((rare @ rare.T).toarray() + dense @ dense.T, (matrix @ matrix.T).toarray(), atol=1e-6)
    joined = vectors_module.side_by_side(rare, sp.csr_matrix(dense))
    assert same_matrix(joined, sp.csr_matrix(sp.hstack([rare, sp.csr_matrix(dense)], format="csr", dtype=np.float32)))


def test_weighing_distinct_texts_once_matches_weighing_every_copy() -> None:
    from cxsync.grouping.vectorize import text_counts, tfidf_from_counts

    texts = [*TEXTS, TEXTS[2], TEXTS[2], "", "!!", ""]
    syllables, _ = text_counts(texts)
    distinct = list(dict.fromkeys(texts))
    rows = np.array([distinct.index(t) for t in texts])
    once, _ = text_counts(distinct)
    copies = np.bincount(rows, minlength=len(distinct))
    for scale in (1.0, 0.5**0.5):
        assert same_matrix(tfidf_from_counts(once, scale, copies)[rows], tfidf_from_counts(syllables, scale))
    # A cache that only grows keeps its rows and gives the same vectors.
    cache = CountCache()
    text_features(texts[:6], cache)
    assert same_matrix(text_features(texts, cache), text_features(texts))
    assert cache.texts == distinct


def member_dots_by_sorting(matrix: sp.csr_matrix, cluster: np.ndarray) -> np.ndarray:
    """The earlier sparse member dots: one stable sort of (cluster, column) keys."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    inside = cluster[rows] >= 0
    keys = cluster[rows] * matrix.shape[1] + matrix.indices
    order = np.flatnonzero(inside)[np.argsort(keys[inside], kind="stable")]
    keys, data, rows = keys[order], matrix.data[order].astype(np.float64), rows[order]
    if not keys.size:
        return np.zeros(matrix.shape[0])
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    totals = np.repeat(np.add.reduceat(data, starts), np.diff(np.append(starts, keys.size)))
    return np.asarray(np.bincount(rows, weights=data * totals, minlength=matrix.shape[0]))


def test_member_dots_match_the_sorting_computation_bit_for_bit() -> None:
    from cxsync.grouping.vectors import Vectors, member_dots

    rng = np.random.default_rng(3)
    for trial in range(30):
        n = int(rng.integers(1, 120))
        sparse = sp.random(n, 30, density=0.3, format="csr", dtype=np.float32, random_state=trial)
        cluster = rng.integers(-1, 6, n)
        dots = member_dots(Vectors(sparse, np.zeros((n, 0), dtype=np.float32)), cluster, 6)
        assert np.array_equal(dots, member_dots_by_sorting(sparse, cluster))
        dense = rng.random((n, 4)).astype(np.float32) * (rng.random((n, 4)) < 0.5)
        with_dense = member_dots(Vectors(sparse, dense), cluster, 6)
        full = np.hstack([sparse.toarray(), dense]).astype(np.float64)
        for i in np.flatnonzero(cluster >= 0):
            assert with_dense[i] == pytest.approx(full[i] @ full[cluster == cluster[i]].sum(axis=0), rel=1e-5)


def test_nearest_groups_match_scikit_learn_bit_for_bit() -> None:
    from sklearn.neighbors import NearestNeighbors

    from cxsync.grouping.similarity import cosine_nearest

    rng = np.random.default_rng(5)
    for trial in range(40):
        queries = sp.random(int(rng.integers(1, 30)), 25, density=0.3, format="csr", random_state=trial)
        points = sp.random(int(rng.integers(1, 40)), 25, density=0.3, format="csr", random_state=trial + 99)
        if trial % 2:  # ties: whole numbers, a scaled copy of some points, an empty row
            queries.data, points.data = np.ceil(queries.data * 2), np.ceil(points.data * 2)
            points = sp.vstack([points, points[: points.shape[0] // 2] * 3.0, sp.csr_matrix((1, 25))], format="csr")
        k = min(int(rng.integers(1, 20)), points.shape[0])
        index = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(points)
        expected_distance, expected_nearest = index.kneighbors(queries)
        distance, nearest = cosine_nearest(queries, points, k)
        assert np.array_equal(nearest, expected_nearest)
        assert np.array_equal(distance.view(np.int64), expected_distance.view(np.int64))


def test_counting_in_slices_and_a_sparse_common_block_change_no_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory savings: n-grams counted a few texts at a time, and the common (dense) columns kept as a
    CSR block made dense only row by row, give the numbers of the one-piece, all-dense computations."""
    from cxsync.grouping import vectorize as vectorize_module
    from cxsync.grouping import vectors as vectors_module
    from cxsync.grouping.similarity import text_ids

    texts = ["", *TEXTS, "!!", "API 권한", ""]
    whole = vectorize_module.ngram_counts(texts, 1, 3)
    monkeypatch.setattr(vectorize_module, "_COUNT_TEXTS", 3)
    assert same_matrix(vectorize_module.ngram_counts(texts, 1, 3), whole)
    assert whole.indices.dtype == vectorize_module.ngram_counts(texts, 1, 3).indices.dtype

    lazy = NgramEncoder().vectors(TEXTS * 3)
    assert sp.issparse(lazy.dense)
    eager = vectors_module.Vectors(lazy.sparse, lazy.dense.toarray())
    nodes = np.arange(1, lazy.count, 2)
    for rebalance in (False, True):
        a, b = lazy.subset(nodes, rebalance), eager.subset(nodes, rebalance)
        assert np.array_equal(a.dense, b.dense) and same_matrix(a.sparse, b.sparse)
    cluster = np.arange(lazy.count) % 4
    cluster[::5] = -1
    assert np.array_equal(vectors_module.member_dots(lazy, cluster, 4), vectors_module.member_dots(eager, cluster, 4))
    lazy_sums, eager_sums = (
        vectors_module.cluster_sums(lazy, cluster, 4),
        vectors_module.cluster_sums(eager, cluster, 4),
    )
    assert sp.issparse(lazy_sums.dense) and lazy_sums.dense.has_canonical_format
    assert np.array_equal(lazy_sums.dense_rows(slice(None)), eager_sums.dense)
    assert same_matrix(lazy_sums.dense, sp.csr_matrix(eager_sums.dense))
    assert np.array_equal(text_ids(lazy), text_ids(eager))
    # The cells' k-means gives the same cells from either form.
    from cxsync.grouping.cells import cells

    members = np.arange(lazy.count)
    assert [c.tolist() for c in cells(lazy, members, 6)] == [c.tolist() for c in cells(eager, members, 6)]

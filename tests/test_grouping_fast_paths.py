"""The +1,000-entries speed-ups change no number: each fast path gives, bit for bit, what the plain
computation it replaced gives (sliced passes, the split before copying rows out, the id votes counted
with arrays, the memberships restored without `model_construct`, the paused garbage collector)."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_entry
from test_grouping_speed import TEXTS as SPEED_TEXTS
from test_grouping_speed import member_dots_by_sorting

from cxsync.config import GroupingSettings
from cxsync.grouping import similarity as similarity_module
from cxsync.grouping import vectors as vectors_module
from cxsync.grouping.countcache import CountCache, FileBlobStore, stored_counts
from cxsync.grouping.encoders import NgramEncoder
from cxsync.grouping.explain import membership_maker
from cxsync.grouping.ids import assign_ids
from cxsync.grouping.methods import build_grouper
from cxsync.grouping.similarity import cosine_nearest, text_ids
from cxsync.grouping.vectorize import split_text_features, text_features
from cxsync.grouping.vectors import Vectors, member_dots, split_columns
from cxsync.models import Membership

TEXTS = [*SPEED_TEXTS, "", "!!", "API 권한"]


def same_matrix(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data.view(np.uint8), b.data.view(np.uint8))
    )


@pytest.fixture(params=[1 << 20, 7], ids=["one slice", "many slices"])
def slice_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Every sliced pass of `vectors` run in one piece and in slices of a few entries."""
    monkeypatch.setattr(vectors_module, "_SLICE", request.param)
    yield request.param


def test_splitting_before_copying_rows_out_gives_the_split_of_the_features(slice_size: int) -> None:
    texts = [*TEXTS, *TEXTS[:4], "dark mode"]
    for common in (0, 1, 16, 10_000):
        rare, block = split_text_features(texts, common)
        whole_rare, whole_block = split_columns(text_features(texts), common)
        assert same_matrix(rare, whole_rare) and same_matrix(block, whole_block)
    cache = CountCache()
    text_features(texts[:6], cache)
    cached = split_text_features(texts, 16, lambda some: cache.distinct_counts(some))
    assert all(same_matrix(a, b) for a, b in zip(cached, split_text_features(texts, 16), strict=True))


def test_counts_through_a_store_are_the_counts_and_update_the_store(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    first = stored_counts(TEXTS[:5], store)
    again = stored_counts(TEXTS, store)
    plain = CountCache().distinct_counts(TEXTS)
    for a, b in zip(again[:2], plain[:2], strict=True):
        assert np.array_equal(a.toarray(), b.toarray())
    assert np.array_equal(again[2], plain[2]) and first[0].shape[0] == len(set(TEXTS[:5]))
    loaded = CountCache.from_bytes(store.get_blob("grouping.ngram-counts"))
    assert loaded is not None and loaded.texts == list(dict.fromkeys(TEXTS))


def test_a_damaged_count_cache_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    stored_counts(TEXTS, store)
    blob = store.get_blob("grouping.ngram-counts")
    assert blob is not None
    plain = CountCache().distinct_counts(TEXTS)
    for damaged in (b"\xff" * 50, blob[:12], blob[:-30], b"\x02" + b"\x00" * 7 + b"[]"):
        assert CountCache.from_bytes(damaged) is None
        store.put_blob("grouping.ngram-counts", damaged)
        counts = stored_counts(TEXTS, store)
        assert np.array_equal(counts[0].toarray(), plain[0].toarray()) and np.array_equal(counts[2], plain[2])


def _text_ids_before(vectors: Vectors) -> np.ndarray:
    """`text_ids` as first written: one pass over all entries, the dense part hashed as an array."""
    matrix = vectors.sparse
    with np.errstate(over="ignore"):
        mixed = matrix.indices.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        mixed ^= matrix.data.astype(np.float32).view(np.uint32).astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
        mixed ^= mixed >> np.uint64(31)
        lengths = np.diff(matrix.indptr)
        digest = np.zeros(vectors.count, dtype=np.uint64)
        if mixed.size:
            sums = np.add.reduceat(mixed, np.minimum(matrix.indptr[:-1], mixed.size - 1))
            digest = np.where(lengths > 0, sums, np.uint64(0))
        weights = (np.arange(1, vectors.dense_width + 1, dtype=np.uint64) * np.uint64(0x94D049BB133111EB)) | np.uint64(
            1
        )
        chunk = vectors.dense_rows(slice(None)).view(np.uint32).astype(np.uint64)
        digest += (chunk * weights).sum(axis=1, dtype=np.uint64)
    _, first, inverse = np.unique(digest, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.ravel()]


def _with_empty_rows(matrix: sp.csr_matrix, empty: list[int]) -> sp.csr_matrix:
    keep = np.ones(matrix.shape[0], dtype=np.float32)
    keep[empty] = 0
    emptied = sp.csr_matrix(sp.diags(keep) @ matrix, dtype=np.float32)
    emptied.eliminate_zeros()
    return emptied


def test_text_ids_match_the_one_pass_array_hashing(slice_size: int) -> None:
    texts = [*TEXTS, "결제", "결제 결제", "", "결제"]
    lazy = NgramEncoder().vectors(texts)
    assert np.array_equal(text_ids(lazy), _text_ids_before(lazy))
    ids = text_ids(lazy)
    assert ids[0] == ids[6] and ids[8] == ids[-2] and ids[-1] == ids[-4]
    # Copies, empty rows inside and at the end of either part, rows of several entries before them.
    rng = np.random.default_rng(2)
    for trial in range(20):
        n = int(rng.integers(2, 40))
        sparse = sp.random(n, 12, density=0.3, format="csr", dtype=np.float32, random_state=trial)
        block = sp.random(n, 6, density=0.4, format="csr", dtype=np.float32, random_state=trial + 50)
        copies = rng.integers(0, n, n // 2)
        sparse, block = sparse[np.r_[np.arange(n), copies]], block[np.r_[np.arange(n), copies]]
        rows = int(sparse.shape[0])
        sparse = _with_empty_rows(sparse, [rows - 1, rows - 2, int(rng.integers(0, rows))])
        block = _with_empty_rows(block, [rows - 1, int(rng.integers(0, rows))])
        vectors = Vectors(sparse, block)
        assert np.array_equal(text_ids(vectors), _text_ids_before(vectors))
        assert np.array_equal(
            similarity_module._dense_digest(vectors), similarity_module._dense_digest(Vectors(sparse, block.toarray()))
        )


def test_member_dots_in_column_slices_match_the_sorting_computation(slice_size: int) -> None:
    """A large cluster's columns are taken a slice at a time, each row's sum carried into the next."""
    rng = np.random.default_rng(11)
    for trial in range(30):
        n = int(rng.integers(1, 150))
        sparse = sp.random(n, 40, density=0.4, format="csr", dtype=np.float32, random_state=trial)
        cluster = rng.integers(-1, 3, n)  # few clusters: each spans many slices
        dots = member_dots(Vectors(sparse, np.zeros((n, 0), dtype=np.float32)), cluster, 3)
        assert np.array_equal(dots.view(np.int64), member_dots_by_sorting(sparse, cluster).view(np.int64))


def test_side_by_side_in_slices_matches_hstack(slice_size: int) -> None:
    left = _with_empty_rows(sp.random(30, 9, density=0.3, format="csr", dtype=np.float32, random_state=1), [3, 29])
    right = _with_empty_rows(sp.random(30, 5, density=0.5, format="csr", dtype=np.float32, random_state=2), [7, 29])
    expected = sp.csr_matrix(sp.hstack([left, right], format="csr", dtype=np.float32))
    assert same_matrix(vectors_module.side_by_side(left, right), expected)
    rows = np.array([4, 4, 0, 29, 3, 7, 12])
    assert same_matrix(vectors_module.joined_rows(left, right, rows), vectors_module.side_by_side(left, right)[rows])


def test_nearest_groups_in_query_blocks_match_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    queries = sp.random(40, 25, density=0.3, format="csr", random_state=3)
    points = sp.random(30, 25, density=0.3, format="csr", random_state=4)
    queries.data, points.data = np.ceil(queries.data * 2), np.ceil(points.data * 2)  # ties
    k = int(rng.integers(1, 20))
    whole = cosine_nearest(queries, points, k)
    monkeypatch.setattr(similarity_module, "_QUERY_ROWS", 3)
    blocks = cosine_nearest(queries, points, k)
    assert np.array_equal(whole[1], blocks[1]) and np.array_equal(whole[0].view(np.int64), blocks[0].view(np.int64))


def test_nearest_groups_of_embedding_vectors_match_the_sparse_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # With embeddings the dense part is an array and the search multiplies it with BLAS; stored as CSR,
    # the same vectors go through the sparse search (scikit-learn's numbers). Same groups, same order.
    rng = np.random.default_rng(5)
    empty_text = (np.arange(60) != 7).astype(np.float32)
    sparse = sp.diags(empty_text) @ sp.random(60, 40, density=0.1, format="csr", dtype=np.float32, random_state=6)
    dense = rng.normal(size=(60, 12)).astype(np.float32) * empty_text[:, None]
    vectors = Vectors(sp.csr_matrix(sparse, dtype=np.float32), dense)
    cluster = np.where(np.arange(60) < 45, np.arange(60) % 9, -1)
    sums = vectors_module.cluster_sums(vectors, cluster, 9)
    rows = np.arange(45, 60)
    monkeypatch.setattr(similarity_module, "_QUERY_ROWS", 4)
    blas = similarity_module._nearest_groups(vectors, rows, sums, 5)
    as_sparse = Vectors(vectors.sparse, sp.csr_matrix(dense))
    sparse_sums = Vectors(sums.sparse, sp.csr_matrix(sums.dense))
    reference = similarity_module._nearest_groups(as_sparse, rows, sparse_sums, 5)
    assert np.array_equal(blas[0], reference[0]) and np.array_equal(blas[1], reference[1])
    np.testing.assert_allclose(blas[2], reference[2], rtol=1e-5, atol=1e-5)


def test_ids_from_counted_votes_match_assign_ids() -> None:
    rnd = random.Random(4)
    for _ in range(40):
        entries = [make_entry(i, f"text {i}") for i in range(rnd.randint(1, 40))]
        previous = {e.page_id: f"g{rnd.randint(0, 6)}" for e in entries if rnd.random() < 0.7}
        labels = np.array([rnd.randint(0, 8) for _ in entries], dtype=np.int64)
        olds, names = similarity_module._previous_groups(entries, previous)
        bucket_of, buckets = similarity_module._buckets(entries, labels)
        ids = similarity_module.ids_from_votes(
            similarity_module._votes(bucket_of, olds, names), [b[0] for b in buckets], previous
        )
        assert ids == assign_ids(buckets, previous)
        expected_moved = {
            e.page_id: old
            for gid, bucket in zip(ids, buckets, strict=True)
            for e in bucket
            if (old := previous.get(e.page_id, gid)) != gid
        }
        assert similarity_module._moved(entries, bucket_of, olds, names, ids) == expected_moved


def test_seed_clusters_number_groups_by_their_first_entry() -> None:
    entries = [make_entry(i, f"text {i}") for i in range(7)]
    previous = {entries[1].page_id: "gB", entries[2].page_id: "gA", entries[4].page_id: "gB", entries[6].page_id: "gA"}
    olds, names = similarity_module._previous_groups(entries, previous)
    start, locked = similarity_module.seed_clusters(olds, len(names))
    assert start.tolist() == [0, 1, 2, 3, 1, 4, 2]
    assert locked == [False, True, True, False, False]


def test_memberships_are_those_model_construct_builds() -> None:
    make = membership_maker()
    fast = make("p-1", 0.5, "most similar to p-2")
    slow = Membership.model_construct(page_id="p-1", score=0.5, reason="most similar to p-2")
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert fast.model_dump() == slow.model_dump() and fast.model_dump_json() == slow.model_dump_json()
    assert fast.__pydantic_fields_set__ == slow.__pydantic_fields_set__
    assert fast.__pydantic_extra__ is None and fast.__pydantic_private__ is None
    assert Membership.model_validate(fast.model_dump()) == fast


def test_grouping_leaves_the_garbage_collector_as_it_found_it() -> None:
    settings = GroupingSettings(method="tfidf", scope="all")
    entries = [make_entry(i, t) for i, t in enumerate(TEXTS)]
    assert gc.isenabled()
    build_grouper(settings).group(entries, {})
    assert gc.isenabled()
    gc.disable()
    try:
        build_grouper(settings).group(entries, {})
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_incremental_grouping_is_the_same_in_slices(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """End to end: a run adding requests to earlier groups, with every sliced pass in tiny slices."""
    settings = GroupingSettings(method="tfidf", scope="all")
    first = [make_entry(i, t) for i, t in enumerate(TEXTS * 3)]
    before = build_grouper(settings).group(first, {})
    previous = {e.page_id: g.id for g in before for e in g.members}
    more = [*first, make_entry(90, "결제 내역 엑셀로 받을 수 있나요"), make_entry(91, "mobile app dark mode?")]
    expected = build_grouper(settings, counts=FileBlobStore(tmp_path)).group(more, previous)
    monkeypatch.setattr(vectors_module, "_SLICE", 5)
    monkeypatch.setattr(similarity_module, "_QUERY_ROWS", 1)
    sliced = build_grouper(settings, counts=FileBlobStore(tmp_path)).group(more, previous)
    assert [g.model_dump() for g in sliced] == [g.model_dump() for g in expected]

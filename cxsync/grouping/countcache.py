"""Per-text n-gram counts kept between runs, so a run that adds a few requests counts only those.

A text's n-gram counts do not depend on the rest of the corpus (n-grams are hashed, `vectorize`); only
the IDF weights do, and they follow from the counts with a few array operations. So the counts of every
distinct text are kept, keyed by the text itself, and a run re-weighs them: the vectors are exactly
those a run from scratch computes, bit for bit, and the groups are the same with or without the cache.

The cache holds the distinct texts of the last run only (a text that left the corpus leaves the cache),
and it is stored through a small `BlobStore` (`FileBlobStore`: one file in a directory, such as the
sync's state directory). A stored cache from another version, or one whose sample of texts no longer
counts the same (the normalisation changed), is ignored and rebuilt.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from cxsync import __version__
from cxsync.grouping.vectorize import BUCKET_BITS, BUCKETS, count_views

Ints = npt.NDArray[np.int64]

NAME = "grouping.ngram-counts"
FORMAT = f"cxsync-ngram-counts/1/{BUCKET_BITS}"
# Stored texts recounted on load to check the counting code has not changed since they were stored.
CHECK_SAMPLE = 16


class BlobStore(Protocol):
    def get_blob(self, name: str) -> bytes | None: ...

    def put_blob(self, name: str, value: bytes) -> None: ...


class FileBlobStore:
    """Blobs as files `<name>.bin` in a directory, replaced atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get_blob(self, name: str) -> bytes | None:
        try:
            return (self.directory / f"{name}.bin").read_bytes()
        except FileNotFoundError:
            return None

    def put_blob(self, name: str, value: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(value)
            os.replace(temporary, self.directory / f"{name}.bin")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


# What reading a damaged or foreign blob can raise.
UNREADABLE = (ValueError, KeyError, TypeError, EOFError, OSError, OverflowError, AttributeError)


def write_header(buffer: io.BytesIO, header: dict[str, Any]) -> None:
    """A JSON header, preceded by its length: what a cache blob starts with."""
    encoded = json.dumps(header, ensure_ascii=False).encode()
    buffer.write(len(encoded).to_bytes(8, "little"))
    buffer.write(encoded)


def open_blob(blob: bytes | None, **expected: str) -> tuple[dict[str, Any], io.BytesIO] | None:
    """A cache blob's header and the rest of it to read, or None when it is missing, unreadable, or its
    header does not hold the `expected` values (format, version, model…)."""
    if not blob:
        return None
    try:
        buffer = io.BytesIO(blob)
        header = read_header(buffer)
    except UNREADABLE:
        return None
    if any(header.get(key) != value for key, value in expected.items()):
        return None
    return header, buffer


def read_header(buffer: io.BytesIO) -> dict[str, Any]:
    size = int.from_bytes(buffer.read(8), "little")
    if size > len(buffer.getbuffer()):
        raise ValueError("header longer than the blob")
    header = json.loads(buffer.read(size).decode())
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header


def _empty() -> sp.csr_matrix:
    return sp.csr_matrix((0, 0), dtype=np.int32)


_NO_VOCABULARY = np.zeros(0, dtype=np.int64)


class CountCache:
    """Both views' n-gram counts (`vectorize.count_views`) of distinct texts.

    Each view's columns are its vocabulary (the hash buckets its texts use, sorted), not all 2^24
    buckets: re-weighing then works on tables of about 100,000 entries, which stay in the CPU caches.
    """

    def __init__(
        self,
        texts: Sequence[str] = (),
        views: Sequence[tuple[sp.csr_matrix, Ints]] = ((_empty(), _NO_VOCABULARY), (_empty(), _NO_VOCABULARY)),
    ) -> None:
        self.texts = list(texts)
        self.index = {t: i for i, t in enumerate(self.texts)}
        self.views = [(counts, vocabulary) for counts, vocabulary in views]
        # Whether the last `counts` call changed what the cache holds (so it should be stored again).
        self.changed = False

    def __len__(self) -> int:
        return len(self.texts)

    def counts(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Per view, the counts of each of `texts`; afterwards the cache holds exactly their distinct texts."""
        syllables, letters, rows = self.distinct_counts(texts)
        return syllables[rows], letters[rows]

    def distinct_counts(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix, Ints]:
        """(per view, the counts of the distinct texts of `texts` in order of first appearance, each text's
        row among them); afterwards the cache holds exactly those distinct texts, in that order."""
        distinct: dict[str, int] = {}
        rows = np.fromiter((distinct.setdefault(t, len(distinct)) for t in texts), dtype=np.int64, count=len(texts))
        names = list(distinct)
        known = np.fromiter((self.index.get(t, -1) for t in names), dtype=np.int64, count=len(names))
        missing = np.flatnonzero(known < 0)
        views = self.views
        if missing.size:
            counted = count_views([names[i] for i in missing.tolist()])
            known[missing] = len(self.texts) + np.arange(missing.size)
            views = [_extended(view, more) for view, more in zip(views, counted, strict=True)]
        self.changed = bool(missing.size) or len(names) != len(self.texts)
        if self.changed:
            # A run that only adds texts keeps the stored rows as they are.
            if views[0][0].shape[0] != known.size or not np.array_equal(known, np.arange(known.size)):
                views = [(counts[known], vocabulary) for counts, vocabulary in views]
            self.texts, self.index, self.views = names, distinct, views
        return views[0][0], views[1][0], rows

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        write_header(buffer, {"format": FORMAT, "version": __version__, "texts": self.texts})
        for counts, vocabulary in self.views:
            np.save(buffer, np.asarray(vocabulary, dtype=np.int64), allow_pickle=False)
            np.save(buffer, np.asarray(counts.indptr, dtype=np.int64), allow_pickle=False)
            np.save(buffer, _narrow(counts.indices), allow_pickle=False)
            np.save(buffer, _narrow(counts.data), allow_pickle=False)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes | None) -> CountCache | None:
        """The stored cache, or None when it is missing, unreadable, from another version or stale."""
        opened = open_blob(blob, format=FORMAT, version=__version__)
        if opened is None:
            return None
        header, buffer = opened
        try:
            texts = [str(t) for t in header["texts"]]
            views = []
            for _ in range(2):
                vocabulary = np.load(buffer, allow_pickle=False).astype(np.int64)
                indptr = np.load(buffer, allow_pickle=False).astype(np.int64)
                indices = np.load(buffer, allow_pickle=False).astype(np.int32)
                # Counts stay in the small type they were stored in (most fit a byte): only the weighing
                # reads them, as table positions, which any integer type gives alike.
                data = np.load(buffer, allow_pickle=False)
                if data.dtype.kind not in "iu":
                    return None
                counts = sp.csr_matrix((data, indices, indptr), shape=(len(texts), vocabulary.size))
                views.append((counts, vocabulary))
        except UNREADABLE:
            return None
        cache = cls(texts, views)
        return cache if cache._counts_still_match() else None

    def _counts_still_match(self) -> bool:
        if not self.texts:
            return True
        sample = np.unique(np.linspace(0, len(self.texts) - 1, CHECK_SAMPLE).round().astype(np.int64))
        fresh = count_views([self.texts[i] for i in sample.tolist()])
        for (counts, vocabulary), counted in zip(self.views, fresh, strict=True):
            rows = counts[sample]
            if not (
                np.array_equal(rows.indptr, counted.indptr)
                and np.array_equal(vocabulary[rows.indices], counted.indices)
                and np.array_equal(rows.data, counted.data)
            ):
                return False
        return True


def stored_counts(texts: Sequence[str], store: BlobStore) -> tuple[sp.csr_matrix, sp.csr_matrix, Ints]:
    """`CountCache.distinct_counts` through the cache kept in `store`: read, updated, written back if it
    changed, and dropped, so the counts returned are the only copy left in memory."""
    stored = CountCache.from_bytes(store.get_blob(NAME))
    cache = stored if stored is not None else CountCache()
    counts = cache.distinct_counts(texts)
    if cache.changed:
        store.put_blob(NAME, cache.to_bytes())
    return counts


def _extended(view: tuple[sp.csr_matrix, Ints], more: sp.csr_matrix) -> tuple[sp.csr_matrix, Ints]:
    """A view with rows appended; `more` has a column per hash bucket, the result one per vocabulary entry."""
    counts, vocabulary = view
    many = more.nnz * 8 >= BUCKETS  # then tables over all buckets beat sorting
    added = np.flatnonzero(np.bincount(more.indices, minlength=BUCKETS)) if many else np.unique(more.indices)
    grown = np.union1d(vocabulary, added) if added.size else vocabulary
    if grown.size != vocabulary.size:
        # Renumber the stored columns: new buckets may sort between old ones (a table lookup per entry).
        renumber = np.searchsorted(grown, vocabulary).astype(np.int32)
        counts = sp.csr_matrix(
            (counts.data, renumber[counts.indices], counts.indptr), shape=(counts.shape[0], grown.size)
        )
    else:
        counts = sp.csr_matrix(counts, shape=(counts.shape[0], grown.size))
    if many:
        lookup = np.zeros(BUCKETS, dtype=np.int32)
        lookup[grown] = np.arange(grown.size, dtype=np.int32)
        columns = lookup[more.indices]
    else:
        columns = np.searchsorted(grown, more.indices).astype(np.int32)
    appended = sp.csr_matrix((more.data, columns, more.indptr), shape=(more.shape[0], grown.size))
    return sp.vstack([counts, appended], format="csr", dtype=np.int32), grown


def _narrow(data: npt.NDArray[np.int32]) -> npt.NDArray[np.integer]:
    """Non-negative integers in the smallest unsigned type that holds them (most counts fit in a byte)."""
    top = int(data.max()) if data.size else 0
    for kind in (np.uint8, np.uint16):
        if top <= np.iinfo(kind).max:
            return data.astype(kind)
    return data.astype(np.int32)

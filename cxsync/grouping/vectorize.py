"""Character n-gram TF-IDF, computed with array operations so 100,000 texts take seconds.

It matches scikit-learn's `TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)`: n-grams are taken
inside each word padded by one space, so they never span two words. Two views of each text are used
(`text_features`): syllable 1- to 3-grams, because a Hangul syllable already carries a morpheme, and
2- to 4-grams over the text with every Hangul syllable spelled out in its jamo letters, so inflected
forms of one stem still share n-grams ("지울까" / "지워" share ㅈㅣㅇ; measured on the tuning halves:
ParaKQC +.035 B³ F1 at the same mostly-unique precision). For Latin text the second view is plain
2–4-grams, which weigh whole words more than single letters do.
N-grams are identified by a hash of their code points, which makes a text's n-gram *counts*
independent of the rest of the corpus; only the IDF weights depend on it. So the counts are computed
once per distinct text and can be kept between runs (`countcache.CountCache`): a run that adds 1,000
requests to 100,000 counts 1,000 texts and re-weighs the rest with a few array operations, and gets
exactly the vectors a run from scratch would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from cxsync.grouping.normalize import clean
from cxsync.grouping.vectors import common_columns, joined_rows, split_at

if TYPE_CHECKING:
    from cxsync.grouping.countcache import CountCache

# 16.7M hash buckets: two distinct n-grams share a column about once per 16M pairs, which is noise.
BUCKET_BITS = 24
BUCKETS = 1 << BUCKET_BITS
_SPACE = 32
_SEPARATOR = 0
_LAST_ASCII = 127
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)

U64 = npt.NDArray[np.uint64]
Ints = npt.NDArray[np.int64]

# Share of the similarity that comes from the jamo view.
JAMO_WEIGHT = 0.5


def _jamo_table() -> dict[int, str]:
    """str.translate table: every precomposed Hangul syllable → its initial, medial (and final) jamo."""
    table: dict[int, str] = {}
    for code in range(0xAC00, 0xD7A4):
        offset = code - 0xAC00
        initial, medial, final = offset // 588, (offset % 588) // 28, offset % 28
        letters = chr(0x1100 + initial) + chr(0x1161 + medial)
        table[code] = letters + (chr(0x11A7 + final) if final else "")
    return table


_JAMO = _jamo_table()


def jamo(text: str) -> str:
    """Hangul syllables spelled out as conjoining jamo; everything else unchanged."""
    return text.translate(_JAMO)


def text_features(texts: Sequence[str], cache: CountCache | None = None) -> sp.csr_matrix:
    """Both views side by side, weighted so a row's cosine is the weighted mean of the views' cosines.

    With `cache`, counts of texts it holds are reused and the new texts' counts are added to it.
    Each distinct text is weighed once (copies count in the IDF) and copied out to its rows at the end.
    """
    syllables, letters, _, rows = _weighed_views(texts, lambda some: distinct_counts(some, cache))
    return joined_rows(syllables, letters, rows)


# Counts each view of the distinct texts: (syllable counts, letter counts, each text's distinct row).
CountTexts = Callable[[Sequence[str]], tuple[sp.csr_matrix, sp.csr_matrix, npt.NDArray[np.int64]]]


def split_text_features(
    texts: Sequence[str], common: int, count: CountTexts | None = None
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """`split_columns(text_features(texts), common)`, computed per view on the distinct texts.

    Splitting and joining work row by row, so splitting each view of the distinct texts, then joining
    the parts and copying them out to their rows gives the same matrices; the columns are ranked by the
    document counts of the weighing (copies counted). `count` (default `distinct_counts`) may read the
    counts from a cache: the vectors are the same.
    """
    syllables, letters, document_counts, rows = _weighed_views(texts, count or distinct_counts)
    chosen = common_columns(document_counts, common)
    width = int(syllables.shape[1])
    rare_syllables, common_syllables = split_at(syllables, chosen[chosen < width])
    del syllables
    rare_letters, common_letters = split_at(letters, chosen[chosen >= width] - width)
    del letters
    rare = joined_rows(rare_syllables, rare_letters, rows)
    del rare_syllables, rare_letters
    block = joined_rows(common_syllables, common_letters, rows)
    if block.shape[1] == 0:
        block = sp.csr_matrix((rows.size, 1), dtype=np.float32)
    return rare, block


def _weighed_views(
    texts: Sequence[str], count: CountTexts
) -> tuple[sp.csr_matrix, sp.csr_matrix, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(each view's weights of the distinct texts, the document count of each column of the two views
    side by side over all of `texts`, each text's distinct row)."""
    syllable_counts, letter_counts, rows = count(texts)
    copies = np.bincount(rows, minlength=int(syllable_counts.shape[0]))
    keep, add = np.sqrt(1.0 - JAMO_WEIGHT), np.sqrt(JAMO_WEIGHT)
    # One view after the other: weighed in two threads, they took as long (the indexing steps hold the
    # GIL) and more memory.
    syllables, syllable_df = weighed_counts(syllable_counts, keep, copies)
    letters, letter_df = weighed_counts(letter_counts, add, copies)
    return syllables, letters, np.concatenate([syllable_df, letter_df]), rows


def text_counts(texts: Sequence[str], cache: CountCache | None = None) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Per view, each text's n-gram counts, columns in hash-bucket order; each distinct text counted once."""
    syllables, letters, rows = distinct_counts(texts, cache)
    return syllables[rows], letters[rows]


def distinct_counts(
    texts: Sequence[str], cache: CountCache | None = None
) -> tuple[sp.csr_matrix, sp.csr_matrix, npt.NDArray[np.int64]]:
    """(each view's counts of the distinct texts in order of first appearance, each text's distinct row)."""
    if cache is None:
        # A throwaway cache: its columns are the buckets the texts use, not all 2^24, so the weighing's
        # tables stay small (hundreds of MB less at 100,000 texts); the vectors are the same either way.
        from cxsync.grouping.countcache import CountCache

        cache = CountCache()
    return cache.distinct_counts(texts)


def count_views(texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Both views' n-gram counts of `texts` (raw, not yet cleaned)."""
    cleaned = [clean(t) for t in texts]
    with ThreadPoolExecutor(max_workers=1) as pool:
        syllables_job = pool.submit(ngram_counts, cleaned, 1, 3)
        letters = ngram_counts([jamo(t) for t in cleaned], 2, 4)
        syllables = syllables_job.result()
    return syllables, letters


def char_ngram_tfidf(texts: Sequence[str], low: int = 1, high: int = 3) -> sp.csr_matrix:
    """Rows L2-normalised (an empty text gives an all-zero row); columns ordered by n-gram hash."""
    return ngram_tfidf([clean(t) for t in texts], low, high)


def ngram_tfidf(cleaned: Sequence[str], low: int, high: int) -> sp.csr_matrix:
    """`char_ngram_tfidf` of texts already passed through `clean`."""
    return tfidf_from_counts(ngram_counts(cleaned, low, high))


# Texts counted at a time: the per-character temporaries (8-byte arrays per n-gram length) stay small.
_COUNT_TEXTS = 8192


def ngram_counts(cleaned: Sequence[str], low: int, high: int) -> sp.csr_matrix:
    """How often each n-gram (by hash bucket) occurs in each text: int32 counts, indices sorted.

    Texts are counted a slice at a time (a text's counts do not depend on the others) and the slices'
    rows stacked: the same matrix as counting all at once, with temporaries of one slice only.
    """
    if len(cleaned) <= _COUNT_TEXTS:
        return _ngram_counts(cleaned, low, high)
    parts = [_ngram_counts(cleaned[i : i + _COUNT_TEXTS], low, high) for i in range(0, len(cleaned), _COUNT_TEXTS)]
    indptr = np.zeros(len(cleaned) + 1, dtype=np.int64)
    row = 0
    for part in parts:
        rows = int(part.shape[0])
        indptr[row + 1 : row + rows + 1] = indptr[row] + np.asarray(part.indptr[1:], dtype=np.int64)
        row += rows
    counts = np.concatenate([np.asarray(part.data, dtype=np.int32) for part in parts])
    indices = np.concatenate([np.asarray(part.indices, dtype=np.int32) for part in parts])
    del parts
    return sp.csr_matrix((counts, indices, indptr), shape=(len(cleaned), BUCKETS))


def _ngram_counts(cleaned: Sequence[str], low: int, high: int) -> sp.csr_matrix:
    docs, grams = _ngram_hashes(cleaned, low, high)
    buckets = (grams >> np.uint64(64 - BUCKET_BITS)).astype(np.int64)
    # One sort of (document, bucket) keys gives the counts already in CSR order: by document, then by
    # bucket, so the indices come out sorted.
    ordered = np.sort((docs << BUCKET_BITS) | buckets, kind="stable")
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]])) if ordered.size else ordered
    keys = ordered[starts]
    counts = np.diff(np.append(starts, ordered.size)).astype(np.int32)
    indptr = np.zeros(len(cleaned) + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys >> BUCKET_BITS, minlength=len(cleaned)), out=indptr[1:])
    indices = (keys & (BUCKETS - 1)).astype(np.int32)
    return sp.csr_matrix((counts, indices, indptr), shape=(len(cleaned), BUCKETS))


def tfidf_from_counts(
    counts: sp.csr_matrix, scale: float = 1.0, copies: npt.NDArray[np.int64] | None = None
) -> sp.csr_matrix:
    """Sublinear tf times smoothed idf (scikit-learn's definitions), rows L2-normalised; the columns are
    the columns of `counts` some text uses, in order (an empty text gives an all-zero row).

    `counts` has a column per hash bucket, or (from a `CountCache`) per bucket of its vocabulary, kept
    in bucket order: either way the result is the same, but small tables make the cached case fast.
    `scale` multiplies the float32 result (a view's weight), rounded to float32 again. `copies[i]`, if
    given, is how many texts row i stands for: the IDF is that of the corpus with each row repeated.
    """
    return weighed_counts(counts, scale, copies)[0]


def weighed_counts(
    counts: sp.csr_matrix, scale: float = 1.0, copies: npt.NDArray[np.int64] | None = None
) -> tuple[sp.csr_matrix, Ints]:
    """(`tfidf_from_counts`, how many texts use each of its columns, copies counted)."""
    rows, width = int(counts.shape[0]), int(counts.shape[1])
    n_docs = rows if copies is None else int(copies.sum())
    bucket_of = counts.indices
    if bucket_of.size * 64 < width:  # few entries: a sort beats tables over all columns
        used, inverse = np.unique(bucket_of, return_inverse=True)
        indices = inverse.ravel().astype(np.int32)
        df_used = _document_counts(indices, counts.indptr, copies, used.size)
    else:
        df = _document_counts(bucket_of, counts.indptr, copies, width)
        used = np.flatnonzero(df)
        df_used = df[used]
        if used.size == width:  # every column in use (the usual case with a cache): nothing to renumber
            indices = np.asarray(bucket_of, dtype=np.int32)  # shared with `counts`; only read
        else:
            column = np.zeros(width, dtype=np.int32)
            column[used] = np.arange(used.size, dtype=np.int32)
            indices = column[bucket_of]
    idf = np.log((1.0 + n_docs) / (1.0 + df_used)) + 1.0
    # 1 + log(count) from a table: counts are small integers (same values as computing it per entry).
    top = int(counts.data.max()) if counts.data.size else 0
    sublinear = 1.0 + np.log(np.arange(1, top + 1, dtype=np.int64))
    indptr = np.asarray(counts.indptr, dtype=np.int64)
    weights = np.empty(counts.data.size, dtype=np.float32)
    # Rows in slices of about a million entries: the float64 temporaries stay small (fresh memory is slow
    # to come by on a virtual machine), and every row is computed exactly as in one piece.
    starts = np.unique(np.searchsorted(indptr, np.arange(0, counts.data.size, _SLICE), side="right") - 1)
    for first, last in zip(starts.tolist(), [*starts[1:].tolist(), rows][: starts.size], strict=True):
        low, high = int(indptr[first]), int(indptr[last])
        local = indptr[first : last + 1] - low
        weights[low:high] = _weigh(counts.data[low:high], indices[low:high], local, sublinear, idf, scale)
    width_used = max(1, used.size)
    matrix = sp.csr_matrix((weights, indices, indptr), shape=(rows, width_used))
    # An unused column (a view no text has) has no document.
    return matrix, np.pad(df_used.astype(np.int64), (0, width_used - used.size))


def _document_counts(
    columns: npt.NDArray[np.int32], indptr: npt.NDArray[np.integer], copies: npt.NDArray[np.int64] | None, width: int
) -> Ints:
    """Documents per column: one per entry, or as many as its row's `copies`.

    Counted once per entry, then corrected for the few rows that stand for more (or fewer) texts: whole
    numbers far below 2^53, so the float sums are exact and the totals those of weighing every entry.
    """
    found = np.zeros(width, dtype=np.int64)
    # A slice at a time: bincount copies its input to 8-byte integers first.
    for first in range(0, columns.size, _SLICE):
        found += np.bincount(columns[first : first + _SLICE], minlength=width)
    repeated = np.flatnonzero(copies != 1) if copies is not None else np.zeros(0, dtype=np.int64)
    if repeated.size and copies is not None:
        starts = np.asarray(indptr[repeated], dtype=np.int64)
        lengths = np.asarray(indptr[repeated + 1], dtype=np.int64) - starts
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        entries = np.arange(offsets.size, dtype=np.int64) + offsets
        extra = np.bincount(columns[entries], weights=np.repeat(copies[repeated] - 1, lengths), minlength=width)
        found += extra.astype(np.int64)
    return found


# Entries weighed at once by `tfidf_from_counts`.
_SLICE = 1 << 20


def _weigh(
    counts: npt.NDArray[np.int32],
    columns: npt.NDArray[np.int32],
    indptr: npt.NDArray[np.int64],
    sublinear: npt.NDArray[np.float64],
    idf: npt.NDArray[np.float64],
    scale: float,
) -> npt.NDArray[np.float32]:
    """TF-IDF weights of some consecutive rows, each row L2-normalised, times `scale`."""
    data = sublinear[counts - 1]
    data *= idf[columns]
    lengths = np.diff(indptr)
    filled = lengths > 0
    norms = np.ones(lengths.size, dtype=np.float64)
    if data.size:
        norms[filled] = np.sqrt(np.add.reduceat(data * data, indptr[:-1][filled]))
    data /= np.repeat(norms, lengths)
    single = data.astype(np.float32)
    if scale != 1.0:
        single = (single.astype(np.float64) * scale).astype(np.float32)
    return single


def _ngram_hashes(cleaned: Sequence[str], low: int, high: int) -> tuple[npt.NDArray[np.int64], U64]:
    """(document index, n-gram hash) for every word-bounded n-gram of every text."""
    joined = "".join(f" {t} \x00" for t in cleaned)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) + 3 for t in cleaned), dtype=np.int64, count=len(cleaned))
    doc_of = np.repeat(np.arange(len(cleaned), dtype=np.int64), lengths)
    space = points == _SPACE
    separator = points == _SEPARATOR
    docs: list[npt.NDArray[np.int64]] = []
    hashes: list[U64] = []
    for n in range(low, high + 1):
        count = points.size - n + 1
        if count <= 0:
            continue
        valid = ~_window_any(separator, 0, n, count)
        if n == 1:
            # A single Latin letter or digit means nothing (a Hangul syllable does): shared letters
            # made short English requests look alike ("export payment history" / "export ticket history").
            valid &= points[:count] > _LAST_ASCII
        elif n == 2:
            valid &= ~(space[:count] & space[1 : count + 1])
        elif n > 2:
            valid &= ~_window_any(space, 1, n - 1, count)
        docs.append(doc_of[:count][valid])
        hashes.append(_window_hash(points, n, count)[valid])
    if not hashes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(docs), np.concatenate(hashes)


def _window_any(flags: npt.NDArray[np.bool_], start: int, stop: int, count: int) -> npt.NDArray[np.bool_]:
    """For each window beginning at 0..count-1: is any flag set at offsets start..stop-1?"""
    hit = np.zeros(count, dtype=bool)
    for offset in range(start, stop):
        hit |= flags[offset : offset + count]
    return hit


def _window_hash(points: U64, n: int, count: int) -> U64:
    with np.errstate(over="ignore"):
        value = np.full(count, np.uint64(n), dtype=np.uint64)
        for offset in range(n):
            value = value * _PRIME + points[offset : offset + count]
        value ^= value >> np.uint64(29)
        value *= _MIX
        value ^= value >> np.uint64(32)
    return value

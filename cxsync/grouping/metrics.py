"""Clustering quality against a gold grouping: B-cubed precision/recall/F1 and the Adjusted Rand Index.

Report them together: B-cubed F1 alone rewards one giant group plus singletons, and on data where
most items are unique "every item alone" already scores high, so watch precision there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from math import comb


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    ari: float
    groups: int


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """(precision, recall, F1), each averaged over items."""
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must label the same items")
    if not gold:
        return 1.0, 1.0, 1.0
    in_predicted = Counter(predicted)
    in_gold = Counter(gold)
    both = Counter(zip(predicted, gold, strict=True))
    precision = sum(n * n / in_predicted[p] for (p, _), n in both.items()) / len(gold)
    recall = sum(n * n / in_gold[g] for (_, g), n in both.items()) / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)


def adjusted_rand(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> float:
    """Adjusted Rand Index (Hubert & Arabie): 1 is identical, about 0 is chance."""
    n = len(gold)
    if n < 2:
        return 1.0
    together = sum(comb(c, 2) for c in Counter(zip(predicted, gold, strict=True)).values())
    rows = sum(comb(c, 2) for c in Counter(predicted).values())
    cols = sum(comb(c, 2) for c in Counter(gold).values())
    expected = rows * cols / comb(n, 2)
    maximum = (rows + cols) / 2
    if maximum == expected:
        return 1.0
    return (together - expected) / (maximum - expected)


def score(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> Scores:
    precision, recall, f1 = bcubed(predicted, gold)
    return Scores(precision, recall, f1, adjusted_rand(predicted, gold), len(set(predicted)))

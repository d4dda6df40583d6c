"""Average linkage on the sparse similarity graph, cut at a threshold: never told how many groups.

Two clusters merge while the mean similarity over *all* their cross pairs reaches the threshold.
Unlike connected components (single linkage) this does not chain: one similar pair cannot glue two
different needs together. Pairs the graph left out count as `prior × bound` (a fraction of the best
score they could have had), so a large group is not broken up just because each text keeps only
its nearest neighbours.

Two single texts must be closer than the threshold to start a group: `pair_margin` of the way from the
threshold to 1. Most wrong merges on mostly-unique data are such pairs, while a real group of
paraphrases nearly always holds one close pair to grow from; new texts then join it at the threshold.
Copies count as one text here (`texts`): three pasted copies of "Export ticket history to CSV" are no
more evidence that "Can we export payment history to Excel?" asks the same than one copy is, so that
pair must clear the same margin (the demo data's payment- vs ticket-history merge came from this).

Clusters that start *locked* (groups from the previous run) never merge with each other: new texts
join them or form new clusters, and an existing group never disappears into another because new
data arrived.

The merges run in rounds of array operations: every cluster picks its best neighbour, and pairs that
picked each other merge. Average linkage is reducible (a merged cluster is never closer to a third
than the closer of its parts), so a mutual best pair is merged by the one-pair-at-a-time algorithm
too, before either part merges with anything else: the rounds give the same clustering, and ties go
to the lower index, so the result depends only on the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cxsync.grouping.graph import Graph
from cxsync.grouping.vectors import Floats, Ints


@dataclass
class _State:
    """Clusters 0..m-1 (merged ones stay as empty rows) and the weights between live clusters."""

    size: Floats
    beta: Floats
    locked: np.ndarray
    text: Ints  # the one distinct text a cluster holds, -1 once it holds several
    left: Ints
    right: Ints
    weight: Floats

    def averages(self, prior: float) -> Floats:
        a, b = self.left, self.right
        missing = prior * 0.5 * (self.size[b] * self.beta[a] + self.size[a] * self.beta[b])
        result: Floats = (self.weight + missing) / (self.size[a] * self.size[b])
        return result


def average_linkage(
    graph: Graph,
    start: Ints,
    locked: Sequence[bool],
    threshold: float,
    prior: float,
    pair_margin: float = 0.0,
    texts: Ints | None = None,
    extra: tuple[Ints, Ints, Floats] | None = None,
) -> Ints:
    """Final cluster of every node (the lowest initial cluster index it was merged with).

    `start[i]` is node i's initial cluster (0..len(locked)-1); `locked[c]` marks clusters that must
    not merge with another locked cluster. `texts[i]` numbers node i's distinct text (equal numbers:
    copies of one text; None: every node distinct). `extra` adds cluster-level edges (cluster a,
    cluster b, summed similarity over all their cross pairs), used for whole previous groups.
    """
    count = len(locked)
    state = _initial(graph, start, np.asarray(locked, dtype=bool), prior, count, texts, extra)
    owner = np.arange(count, dtype=np.int64)
    while True:
        pairs = _mutual_best(state, threshold, prior, count, pair_margin)
        if pairs is None:
            break
        survivor = np.arange(count, dtype=np.int64)
        survivor[pairs[1]] = pairs[0]
        owner = survivor[owner]
        state = _merged(state, survivor, count)
    return owner[start]


def _initial(
    graph: Graph,
    start: Ints,
    locked: np.ndarray,
    prior: float,
    count: int,
    texts: Ints | None,
    extra: tuple[Ints, Ints, Floats] | None,
) -> _State:
    size = np.bincount(start, minlength=count).astype(np.float64)
    beta = _sums(start, graph.bound, count)
    adjusted = graph.sims - prior * 0.5 * (graph.bound[graph.left] + graph.bound[graph.right])
    left, right = start[graph.left], start[graph.right]
    if extra is not None:
        a, b, summed = extra
        # Every cross pair of an extra edge is known: remove the estimate `averages` adds for them.
        known = summed - prior * 0.5 * (size[b] * beta[a] + size[a] * beta[b])
        left, right, adjusted = np.concatenate([left, a]), np.concatenate([right, b]), np.concatenate([adjusted, known])
    left, right, weight = _aggregate(left, right, adjusted, count)
    node_text = np.arange(start.size, dtype=np.int64) if texts is None else texts
    lowest = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    highest = np.full(count, -1, dtype=np.int64)
    np.minimum.at(lowest, start, node_text)
    np.maximum.at(highest, start, node_text)
    text = np.where(lowest == highest, lowest, -1)
    return _State(size, beta, locked.copy(), text, left, right, weight)


def _aggregate(left: Ints, right: Ints, weight: Floats, count: int) -> tuple[Ints, Ints, Floats]:
    """One edge per cluster pair (low < high) carrying the summed weight; self-loops dropped."""
    across = left != right
    low = np.minimum(left, right)[across]
    high = np.maximum(left, right)[across]
    keys, inverse = np.unique(low * count + high, return_inverse=True)
    summed = _sums(inverse.ravel(), weight[across], keys.size)
    return keys // count, keys % count, summed


def _sums(index: Ints, values: Floats, count: int) -> Floats:
    """values summed per index 0..count-1 (numpy's typing does not know bincount gives floats here)."""
    return np.asarray(np.bincount(index, weights=values, minlength=count), dtype=np.float64)


def _mutual_best(
    state: _State, threshold: float, prior: float, count: int, pair_margin: float
) -> tuple[Ints, Ints] | None:
    """(survivors, absorbed): pairs whose members are each other's best mergeable neighbour."""
    average = state.averages(prior)
    single = (state.text[state.left] >= 0) & (state.text[state.right] >= 0)
    needed = threshold + pair_margin * (1.0 - threshold) * single
    allowed = (average >= needed) & ~(state.locked[state.left] & state.locked[state.right])
    if not allowed.any():
        return None
    a, b, value = state.left[allowed], state.right[allowed], average[allowed]
    nodes = np.concatenate([a, b])
    others = np.concatenate([b, a])
    values = np.concatenate([value, value])
    order = np.lexsort((others, -values, nodes))
    nodes, others = nodes[order], others[order]
    first = np.ones(nodes.size, dtype=bool)
    first[1:] = nodes[1:] != nodes[:-1]
    best = np.full(count, -1, dtype=np.int64)
    best[nodes[first]] = others[first]
    candidates = np.flatnonzero(best >= 0)
    mutual = candidates[(best[best[candidates]] == candidates) & (candidates < best[candidates])]
    return mutual, best[mutual]


def _merged(state: _State, survivor: Ints, count: int) -> _State:
    gone = survivor != np.arange(count)
    size = _sums(survivor, state.size, count)
    beta = _sums(survivor, state.beta, count)
    locked = state.locked.copy()
    np.logical_or.at(locked, survivor[gone], state.locked[gone])
    text = state.text.copy()
    text[survivor[gone][state.text[gone] != state.text[survivor[gone]]]] = -1
    # Only edges at a merged cluster change; re-aggregating just those keeps a round proportional to
    # the merges, not to the whole graph.
    changed = np.zeros(count, dtype=bool)
    changed[gone] = True
    changed[survivor[gone]] = True
    touched = changed[state.left] | changed[state.right]
    left, right, weight = _aggregate(
        survivor[state.left[touched]], survivor[state.right[touched]], state.weight[touched], count
    )
    untouched = ~touched
    size[gone] = 1.0  # empty rows; no edge points at them any more
    return _State(
        size,
        beta,
        locked,
        text,
        np.concatenate([state.left[untouched], left]),
        np.concatenate([state.right[untouched], right]),
        np.concatenate([state.weight[untouched], weight]),
    )

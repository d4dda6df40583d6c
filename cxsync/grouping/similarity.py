"""Grouping v1: similar requests (any wording, Korean or English) form one group, stably.

Texts become vectors (`encoders`), each text is linked to its most similar texts (`graph`), and
average linkage cuts the graph at one similarity threshold (`linkage`). The previous assignment
seeds the clusters: its groups stay together and keep their ids, and new requests join them or
form new groups. Entries are processed in (created time, page id) order, so input order never
matters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cxsync.grouping.encoders import Encoder
from cxsync.grouping.explain import explain
from cxsync.grouping.graph import Graph, build_graph
from cxsync.grouping.ids import assign_ids
from cxsync.grouping.linkage import average_linkage
from cxsync.grouping.vectors import Bools, Ints, Vectors
from cxsync.models import Group, VocEntry

Scope = Literal["need_tag", "soft", "all"]


@dataclass(frozen=True)
class Tuning:
    """Knobs below the threshold; the defaults were chosen on the tuning halves of the benchmark sets."""

    max_neighbours: int = 30
    floor_ratio: float = 0.8
    prior: float = 0.5
    tag_bonus: float = 0.05
    pair_margin: float = 0.35


class SimilarityGrouper:
    def __init__(
        self, encoder: Encoder, threshold: float, scope: Scope = "need_tag", tuning: Tuning = Tuning()
    ) -> None:
        self.encoder = encoder
        self.threshold = threshold
        self.scope = scope
        self.tuning = tuning

    def group(self, entries: Sequence[VocEntry], previous: Mapping[str, str]) -> list[Group]:
        ordered = sorted(entries, key=lambda e: (e.created_time, e.page_id))
        if not ordered:
            return []
        start, locked = seed_clusters(ordered, previous)
        vectors = self.encoder.vectors([e.text for e in ordered])
        graph = self._graph(vectors, ordered, _free(start, locked))
        labels = average_linkage(graph, start, locked, self.threshold, self.tuning.prior, self.tuning.pair_margin)
        buckets = _buckets(ordered, labels)
        ids = assign_ids(buckets, previous)
        why = explain(ordered, labels, vectors, previous)
        groups = [
            Group(
                id=group_id,
                need_tag=bucket[0].need_tag,
                members=tuple(bucket),
                memberships=tuple(why[e.page_id] for e in bucket),
            )
            for group_id, bucket in zip(ids, buckets, strict=True)
        ]
        return sorted(groups, key=lambda g: g.id)

    def _graph(self, vectors: Vectors, ordered: Sequence[VocEntry], free: Bools | None) -> Graph:
        bonus = self.tuning.tag_bonus if self.scope == "soft" else 0.0
        floor = max(1e-6, self.threshold * self.tuning.floor_ratio - bonus)
        tags = [e.need_tag or "" for e in ordered]
        parts = partitions(tags, self.scope == "need_tag")
        graph = build_graph(vectors, parts, floor, self.tuning.max_neighbours, free)
        # Estimate left-out pairs from the floor, not from a crowded text's weakest kept neighbour:
        # in dense regions that bound nears the threshold, and estimates that high let clusters merge
        # on no evidence (measured: one 27,000-text group of 139 intents at 100k). Large true groups
        # may split into a few instead; a wrong merge costs more than a missed one.
        capped = Graph(graph.left, graph.right, graph.sims, np.minimum(graph.bound, floor))
        return with_tag_bonus(capped, tags, bonus) if bonus else capped


def partitions(tags: Sequence[str], by_tag: bool) -> list[Ints]:
    """Node indices per need tag (untagged entries share one partition), or all in one."""
    if not by_tag:
        return [np.arange(len(tags), dtype=np.int64)]
    members: dict[str, list[int]] = {}
    for index, tag in enumerate(tags):
        members.setdefault(tag, []).append(index)
    return [np.asarray(members[tag], dtype=np.int64) for tag in sorted(members)]


def with_tag_bonus(graph: Graph, tags: Sequence[str], bonus: float) -> Graph:
    """Requests under the same need tag count as a little more alike (a soft signal, not a wall)."""
    codes = _tag_codes(tags)
    same = (codes[graph.left] == codes[graph.right]) & (codes[graph.left] >= 0)
    return Graph(graph.left, graph.right, graph.sims + bonus * same, graph.bound)


def _tag_codes(tags: Sequence[str]) -> Ints:
    names = {tag: code for code, tag in enumerate(sorted(set(tags) - {""}))}
    return np.fromiter((names.get(tag, -1) for tag in tags), dtype=np.int64, count=len(tags))


def seed_clusters(ordered: Sequence[VocEntry], previous: Mapping[str, str]) -> tuple[Ints, list[bool]]:
    """One locked starting cluster per previous group present, one free cluster per other entry."""
    cluster_of_group: dict[str, int] = {}
    start = np.empty(len(ordered), dtype=np.int64)
    locked: list[bool] = []
    for index, entry in enumerate(ordered):
        group_id = previous.get(entry.page_id)
        if group_id is not None and group_id in cluster_of_group:
            start[index] = cluster_of_group[group_id]
            continue
        start[index] = len(locked)
        locked.append(group_id is not None)
        if group_id is not None:
            cluster_of_group[group_id] = start[index]
    return start, locked


def _free(start: Ints, locked: Sequence[bool]) -> Bools | None:
    """Entries outside every previous group, or None when there is no previous group at all."""
    if not any(locked):
        return None
    flags: Bools = ~np.asarray(locked, dtype=bool)[start]
    return flags


def _buckets(ordered: Sequence[VocEntry], labels: Ints) -> list[list[VocEntry]]:
    """Members per final cluster, each in processing order; clusters ordered by their first member."""
    buckets: dict[int, list[VocEntry]] = {}
    for entry, label in zip(ordered, labels.tolist(), strict=True):
        buckets.setdefault(label, []).append(entry)
    return list(buckets.values())

"""Drift found only where entries moved equals drift found by comparing every entry's two groups."""

from __future__ import annotations

from collections import defaultdict

from conftest import make_entry
from hypothesis import given, settings
from hypothesis import strategies as st

from cxsync.drift import Drift, find_drift
from cxsync.grouping.overrides import OverrideResult
from cxsync.models import Group, VocEntry

GROUP_IDS = ["g1", "g2", "g3", "g4"]


Shape = list[tuple[str, str, list[tuple[str, list[str]]]]]


def every_entry_compared(previous: dict[str, str], grouped: OverrideResult) -> Shape:
    """The definition: a merge is a new group holding entries of 2+ previous groups, a split the reverse."""
    now = {e.page_id: g.id for g in grouped.groups for e in g.members}
    into: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    out_of: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for page_id, before in previous.items():
        if page_id in now:
            into[now[page_id]][before].append(page_id)
            out_of[before][now[page_id]].append(page_id)
    return [
        (kind, group_id, [(g, sorted(pages)) for g, pages in sorted(other.items())])
        for kind, table in (("merge", into), ("split", out_of))
        for group_id, other in sorted(table.items())
        if len(other) > 1
    ]


def shape(drift: list[Drift]) -> Shape:
    return [(d.kind, d.group_id, [(p.group_id, p.page_ids) for p in d.parts]) for d in drift]


assignments = st.lists(
    st.tuples(st.sampled_from([None, *GROUP_IDS]), st.sampled_from([None, *GROUP_IDS])), min_size=1, max_size=30
)


@settings(max_examples=300, deadline=None)
@given(assignments)
def test_drift_from_moved_entries_matches_every_entry_compared(pairs: list[tuple[str | None, str | None]]) -> None:
    entries = [make_entry(n) for n in range(len(pairs))]
    previous = {e.page_id: before for e, (before, _) in zip(entries, pairs, strict=True) if before}
    members: dict[str, list[VocEntry]] = defaultdict(list)
    for entry, (_, after) in zip(entries, pairs, strict=True):
        if after:
            members[after].append(entry)
    grouped = OverrideResult(
        groups=[Group(id=gid, need_tag=None, members=tuple(m)) for gid, m in sorted(members.items())]
    )
    keys = {f"CX-{n}": gid for n, gid in enumerate(GROUP_IDS)}
    found = find_drift(previous, grouped, entries, None, keys, {})
    assert shape(found) == every_entry_compared(previous, grouped)
    for drift in found:
        assert all(part.reason_en for part in drift.parts)

"""Reuse the previous run's grouping when nothing grouping reads has changed.

Grouping reads each entry's text, need tag, creation time and override, the previous assignment, the
overrides file and the grouping settings; a scheduled run where only revenue, customers or statuses
changed (or nothing did) would recompute the same groups. The memo keeps the last result, keyed by a
hash of exactly those inputs, and rebuilds the groups around the current entries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from cxsync import __version__
from cxsync.config import GroupingSettings
from cxsync.grouping.override_file import OverrideFile
from cxsync.grouping.overrides import OverrideResult
from cxsync.models import Group, Membership, SkippedEntry, VocEntry

KEY = "grouping.key"
RESULT = "grouping.result"
HELD = "grouping"


class Store(Protocol):
    held: dict[str, Any]  # what this process has parsed already, by purpose (`SyncCache.held`)

    def get(self, name: str) -> str | None: ...

    def put(self, name: str, value: str) -> None: ...


# A result as stored: per group its id, tag, pinned key, member page ids and memberships; the skipped
# entries; merged group ids. Entries themselves are not in it: a result is rebuilt around the current ones.
Parsed = tuple[
    list[tuple[str, str | None, str | None, tuple[str, ...], tuple[Membership, ...]]],
    list[SkippedEntry],
    dict[str, str],
]


def memoized(
    store: Store | None,
    compute: Callable[[], OverrideResult],
    entries: Sequence[VocEntry],
    previous: Mapping[str, str],
    group_of_key: Mapping[str, str],
    file: OverrideFile | None,
    settings: GroupingSettings,
) -> OverrideResult:
    """The grouping of `entries`: rebuilt from the last result when its key holds, else computed and kept.

    The last result is also held parsed in memory, so a second plan in the same run does not parse it again.
    """
    if store is None:
        return compute()
    key = grouping_key(entries, previous, group_of_key, file, settings)
    parsed = _held(store, key)
    if parsed is None and store.get(KEY) == key:
        parsed = _parse(store.get(RESULT))
    if parsed is not None:
        cached = _rebuild(parsed, entries)
        if cached is not None:
            store.held[HELD] = key, parsed
            return cached
    store.held.pop(HELD, None)  # stale: not worth its memory while grouping anew
    result = compute()
    store.put(RESULT, _dump(result))
    store.put(KEY, key)
    store.held[HELD] = key, _parsed(result)
    return result


def _held(store: Store, key: str) -> Parsed | None:
    held = store.held.get(HELD)
    return held[1] if held is not None and held[0] == key else None


def grouping_key(
    entries: Sequence[VocEntry],
    previous: Mapping[str, str],
    group_of_key: Mapping[str, str],
    file: OverrideFile | None,
    settings: GroupingSettings,
) -> str:
    digest = hashlib.sha256()
    head = [__version__, settings.model_dump(mode="json"), file.model_dump(mode="json") if file else None]
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    digest.update(json.dumps(sorted(group_of_key.items())).encode())
    for e in sorted(entries, key=lambda e: e.page_id):
        row = [e.page_id, e.text, e.need_tag, e.group_override, e.created_time.isoformat(), previous.get(e.page_id)]
        digest.update(json.dumps(row, ensure_ascii=False).encode())
    return digest.hexdigest()


def _dump(result: OverrideResult) -> str:
    groups = [
        {
            "id": g.id,
            "need_tag": g.need_tag,
            "pinned_key": g.pinned_key,
            "members": [e.page_id for e in g.members],
            "memberships": [m.model_dump() for m in g.memberships],
        }
        for g in result.groups
    ]
    skipped = [s.model_dump(mode="json") for s in result.skipped]
    return json.dumps({"groups": groups, "skipped": skipped, "merged": result.merged}, ensure_ascii=False)


def _parse(text: str | None) -> Parsed | None:
    if not text:
        return None
    data: dict[str, Any] = json.loads(text)
    groups = [
        (
            g["id"],
            g["need_tag"],
            g["pinned_key"],
            tuple(g["members"]),
            tuple(Membership.model_validate(m) for m in g["memberships"]),
        )
        for g in data["groups"]
    ]
    return groups, [SkippedEntry.model_validate(s) for s in data["skipped"]], dict(data["merged"])


def _parsed(result: OverrideResult) -> Parsed:
    groups = [
        (g.id, g.need_tag, g.pinned_key, tuple(e.page_id for e in g.members), tuple(g.memberships))
        for g in result.groups
    ]
    return groups, list(result.skipped), dict(result.merged)


def _rebuild(parsed: Parsed, entries: Sequence[VocEntry]) -> OverrideResult | None:
    groups, skipped, merged = parsed
    by_id = {e.page_id: e for e in entries}
    try:
        rebuilt = [
            Group(
                id=group_id,
                need_tag=need_tag,
                pinned_key=pinned_key,
                members=tuple(by_id[p] for p in members),
                memberships=memberships,
            )
            for group_id, need_tag, pinned_key, members, memberships in groups
        ]
    except KeyError:  # an entry the memo names is gone: the key should have prevented this; recompute
        return None
    return OverrideResult(groups=rebuilt, skipped=list(skipped), merged=dict(merged))

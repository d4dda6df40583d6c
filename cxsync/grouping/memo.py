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


class Store(Protocol):
    def get(self, name: str) -> str | None: ...

    def put(self, name: str, value: str) -> None: ...


def memoized(
    store: Store | None,
    compute: Callable[[], OverrideResult],
    entries: Sequence[VocEntry],
    previous: Mapping[str, str],
    group_of_key: Mapping[str, str],
    file: OverrideFile | None,
    settings: GroupingSettings,
) -> OverrideResult:
    if store is None:
        return compute()
    key = grouping_key(entries, previous, group_of_key, file, settings)
    if store.get(KEY) == key:
        cached = _load(store.get(RESULT), entries)
        if cached is not None:
            return cached
    result = compute()
    store.put(RESULT, _dump(result))
    store.put(KEY, key)
    return result


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


def _load(text: str | None, entries: Sequence[VocEntry]) -> OverrideResult | None:
    if not text:
        return None
    data: dict[str, Any] = json.loads(text)
    by_id = {e.page_id: e for e in entries}
    try:
        groups = [
            Group(
                id=g["id"],
                need_tag=g["need_tag"],
                pinned_key=g["pinned_key"],
                members=tuple(by_id[p] for p in g["members"]),
                memberships=tuple(Membership.model_validate(m) for m in g["memberships"]),
            )
            for g in data["groups"]
        ]
    except KeyError:  # an entry the memo names is gone: the key should have prevented this; recompute
        return None
    skipped = [SkippedEntry.model_validate(s) for s in data["skipped"]]
    return OverrideResult(groups=groups, skipped=skipped, merged=dict(data["merged"]))

"""Manual overrides; an override always beats the algorithm, on every run.

Per entry, from the group-override property (or, when that is empty, the overrides file):
`exclude` / `제외` leaves the entry out; `split` / `분리` moves it out into a group of its own;
a Jira key (`CX-12`) pins it to that issue; a group id (`g1a2b3c4d5e6f`) pins it to that group.
Per group, from the overrides file only: `merge: [[A, B]]` folds group B into group A.

Overridden entries never reach the grouper, so it cannot move them. Once written back, the new
assignment is also the previous assignment of the next run, so the outcome sticks even after the
override is removed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cxsync.grouping import Grouper
from cxsync.grouping.ids import anchor_of, mint_group_id
from cxsync.grouping.override_file import OverrideFile, page_key
from cxsync.models import Group, Membership, SkippedEntry, VocEntry

EXCLUDE_WORDS = {"exclude", "excluded", "제외", "skip"}
SPLIT_WORDS = {"split", "분리", "separate", "alone"}
JIRA_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")
GROUP_ID = re.compile(r"^g[0-9a-f]{12}$")


@dataclass
class OverrideResult:
    groups: list[Group]
    skipped: list[SkippedEntry] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict)  # group id folded away → group id it went into


@dataclass
class _Sorted:
    free: list[VocEntry] = field(default_factory=list)
    pinned: dict[str, list[VocEntry]] = field(default_factory=dict)
    pinned_keys: dict[str, str] = field(default_factory=dict)
    alone: list[VocEntry] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)


def group_with_overrides(
    grouper: Grouper,
    entries: Sequence[VocEntry],
    previous: Mapping[str, str],
    group_of_key: Mapping[str, str],
    file: OverrideFile | None = None,
) -> OverrideResult:
    """Run `grouper` on the entries no override claims, then apply the overrides on top.

    `group_of_key` maps the Jira key of every cxsync issue to its group id.
    """
    sorted_ = _sort_entries(entries, previous, group_of_key, file or OverrideFile())
    groups = {g.id: g for g in grouper.group(sorted_.free, previous)}
    for group_id, members in sorted(sorted_.pinned.items()):
        groups[group_id] = _merge_pinned(groups.get(group_id), group_id, members, sorted_.pinned_keys.get(group_id))
    holders = Counter(previous.values())
    for entry in sorted(sorted_.alone, key=lambda e: e.page_id):
        own = previous.get(entry.page_id)
        if own is not None and holders[own] == 1 and own not in groups:  # already split out: keep its id
            group_id = own
        else:
            group_id = mint_group_id(f"split:{entry.page_id}", set(groups) | set(previous.values()))
        groups[group_id] = _merge_pinned(None, group_id, [entry], None, reason="split out by override")
    merged = _apply_merges(groups, file.merge if file else ())
    return OverrideResult(sorted(groups.values(), key=lambda g: g.id), sorted_.skipped, merged)


def _sort_entries(
    entries: Sequence[VocEntry], previous: Mapping[str, str], group_of_key: Mapping[str, str], file: OverrideFile
) -> _Sorted:
    result = _Sorted()
    for entry in entries:
        value = (entry.group_override or "").strip() or file.value_for(entry.page_id)
        if not value:
            result.free.append(entry)
        elif value.casefold() in EXCLUDE_WORDS:
            result.skipped.append(_skip(entry, "excluded by the group override", "그룹 지정에서 제외됨"))
        elif value.casefold() in SPLIT_WORDS:
            result.alone.append(entry)
        elif GROUP_ID.match(value):
            result.pinned.setdefault(value, []).append(entry)
        elif JIRA_KEY.match(value.upper()):
            key = value.upper()
            group_id = group_of_key.get(key) or _pinned_key_group(key, entries, previous, file)
            result.pinned.setdefault(group_id, []).append(entry)
            result.pinned_keys[group_id] = key
        else:
            result.skipped.append(
                _skip(
                    entry,
                    f"group override {value!r} is not 'exclude', 'split', a Jira key or a group id",
                    f"그룹 지정 값 {value!r}은(는) '제외', '분리', Jira 키, 그룹 id 중 어느 것도 아닙니다",
                )
            )
    return result


def _pinned_key_group(key: str, entries: Sequence[VocEntry], previous: Mapping[str, str], file: OverrideFile) -> str:
    """A group id for entries pinned to a Jira issue cxsync did not create."""
    claimants = [e for e in entries if ((e.group_override or "").strip() or file.value_for(e.page_id)).upper() == key]
    taken = set(previous.values())
    return mint_group_id(f"pin:{key}:{anchor_of(claimants).page_id}", taken)


def _merge_pinned(
    existing: Group | None, group_id: str, pinned: list[VocEntry], key: str | None, reason: str = "pinned by override"
) -> Group:
    members = list(existing.members if existing else ())
    memberships = list(existing.memberships if existing else ())
    for entry in pinned:
        members.append(entry)
        memberships.append(Membership(page_id=entry.page_id, score=1.0, reason=reason))
    return _rebuilt(group_id, members, memberships, key or (existing.pinned_key if existing else None))


def _apply_merges(groups: dict[str, Group], merges: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Fold each (into, gone) pair in file order; chains resolve (A←B, B←C puts C into A)."""
    merged: dict[str, str] = {}
    for into, gone in merges:
        while into in merged:
            into = merged[into]
        if into == gone or into not in groups or gone not in groups:
            continue
        target, source = groups[into], groups.pop(gone)
        moved = [
            Membership(page_id=m.page_id, score=1.0, reason=f"group {gone} merged by override")
            for m in source.memberships
        ]
        members = [*target.members, *source.members]
        groups[into] = _rebuilt(into, members, [*target.memberships, *moved], target.pinned_key or source.pinned_key)
        merged[gone] = into
        for folded, survivor in list(merged.items()):
            if survivor == gone:
                merged[folded] = into
    return merged


def _rebuilt(group_id: str, members: list[VocEntry], memberships: list[Membership], key: str | None) -> Group:
    anchor = anchor_of(members)
    return Group(
        id=group_id,
        need_tag=anchor.need_tag,
        members=tuple(sorted(members, key=lambda e: e.page_id)),
        memberships=tuple(sorted(memberships, key=lambda m: m.page_id)),
        pinned_key=key,
    )


def _skip(entry: VocEntry, en: str, ko: str) -> SkippedEntry:
    return SkippedEntry(page_id=entry.page_id, url=entry.url, reason_en=en, reason_ko=ko)


__all__ = ["OverrideFile", "OverrideResult", "group_with_overrides", "page_key"]

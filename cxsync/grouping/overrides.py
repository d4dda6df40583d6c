"""Manual overrides from the group-override property; an override always beats the algorithm.

Values: `exclude` / `제외` leaves the entry out; a Jira key (`CX-12`) pins the entry to that issue;
a group id (`g1a2b3c4d5e6f`) pins it to that group.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cxsync.grouping import Grouper
from cxsync.grouping.ids import anchor_of, mint_group_id
from cxsync.models import Group, Membership, SkippedEntry, VocEntry

EXCLUDE_WORDS = {"exclude", "excluded", "제외", "skip"}
JIRA_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")
GROUP_ID = re.compile(r"^g[0-9a-f]{12}$")


@dataclass
class OverrideResult:
    groups: list[Group]
    skipped: list[SkippedEntry] = field(default_factory=list)


def group_with_overrides(
    grouper: Grouper,
    entries: Sequence[VocEntry],
    previous: Mapping[str, str],
    group_of_key: Mapping[str, str],
) -> OverrideResult:
    """Run `grouper` on the entries no override claims, then apply the overrides on top.

    `group_of_key` maps the Jira key of every cxsync issue to its group id.
    """
    free: list[VocEntry] = []
    pinned: dict[str, list[VocEntry]] = {}
    pinned_keys: dict[str, str] = {}
    skipped: list[SkippedEntry] = []
    for entry in entries:
        value = (entry.group_override or "").strip()
        if not value:
            free.append(entry)
        elif value.casefold() in EXCLUDE_WORDS:
            skipped.append(_skip(entry, "excluded by the group override", "그룹 지정에서 제외됨"))
        elif GROUP_ID.match(value):
            pinned.setdefault(value, []).append(entry)
        elif JIRA_KEY.match(value.upper()):
            key = value.upper()
            group_id = group_of_key.get(key) or _pinned_key_group(key, entries, previous)
            pinned.setdefault(group_id, []).append(entry)
            pinned_keys[group_id] = key
        else:
            skipped.append(
                _skip(
                    entry,
                    f"group override {value!r} is neither 'exclude', a Jira key nor a group id",
                    f"그룹 지정 값 {value!r}은(는) '제외', Jira 키, 그룹 id 중 어느 것도 아닙니다",
                )
            )
    groups = {g.id: g for g in grouper.group(free, previous)}
    for group_id, members in sorted(pinned.items()):
        groups[group_id] = _merge_pinned(groups.get(group_id), group_id, members, pinned_keys.get(group_id))
    return OverrideResult(sorted(groups.values(), key=lambda g: g.id), skipped)


def _pinned_key_group(key: str, entries: Sequence[VocEntry], previous: Mapping[str, str]) -> str:
    """A group id for entries pinned to a Jira issue cxsync did not create."""
    claimants = [e for e in entries if (e.group_override or "").strip().upper() == key]
    taken = set(previous.values())
    return mint_group_id(f"pin:{key}:{anchor_of(claimants).page_id}", taken)


def _merge_pinned(existing: Group | None, group_id: str, pinned: list[VocEntry], key: str | None) -> Group:
    members = list(existing.members if existing else ())
    memberships = list(existing.memberships if existing else ())
    for entry in pinned:
        members.append(entry)
        memberships.append(Membership(page_id=entry.page_id, score=1.0, reason="pinned by override"))
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

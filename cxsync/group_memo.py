"""Reuse a group's plan while nothing it is computed from has changed, and it had nothing to do.

Rendering a group's issue and diffing it against Jira is most of a plan's time, yet on a scheduled
run nearly every group is unchanged. A group's plan is a pure function of its members (every field),
their memberships, the group's id, tag and pinned key, its issue as Jira has it, the mapping, the
Jira fields, the markup and the day. The plans that came out "unchanged" are kept under a key over
exactly those; a later run with the same key reuses the plan instead of computing it.

Remote links are not in the key: an unchanged plan's sync record vouched for them, so computing the
plan again would not have read them either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol

from cxsync import __version__
from cxsync.models import ActualIssue, Group, VocEntry
from cxsync.plan import GroupPlan


def entry_digests(entries: Iterable[VocEntry]) -> list[tuple[str, bytes]]:
    """(page id, digest) of every entry: all it holds except when it was last edited, which no plan reads."""
    return [
        (
            e.page_id,
            hashlib.blake2b(e.model_dump_json(exclude={"last_edited_time"}).encode("utf-8"), digest_size=16).digest(),
        )
        for e in entries
    ]


def issue_digest(issue: ActualIssue) -> bytes:
    """A digest of everything an issue holds (its description as the packed bytes, never unpacked)."""
    digest = hashlib.blake2b(issue.model_dump_json(exclude={"description_json"}).encode("utf-8"), digest_size=16)
    digest.update(issue.description_json)
    return digest.digest()


HELD = "group_plans"
KEEP_BATCH = 1000  # plans written at a time: a first resync keeps one per group, as text


class PlanStore(Protocol):
    held: dict[str, Any]  # what this process has parsed already, by purpose (`SyncCache.held`)

    def group_plan_keys(self) -> dict[str, str]: ...

    def group_plan(self, group_id: str) -> str | None: ...

    def keep_group_plans(self, rows: Iterable[tuple[str, str, str]], live: set[str] | None = None) -> None: ...


class UnchangedGroups:
    def __init__(self, store: PlanStore | None, context: dict[str, Any], today: date) -> None:
        self.store = store
        head = json.dumps([__version__, context, today.isoformat()], sort_keys=True, ensure_ascii=False, default=str)
        self.head = hashlib.blake2b(head.encode("utf-8"), digest_size=16).digest()
        self.known = store.group_plan_keys() if store is not None else {}
        self.fresh: list[tuple[str, str, str]] = []
        # group id → (key, plan) of the plans this process kept or parsed: the plan confirming a run
        # finds most of them again. Plans are never changed once made, so they are held as they are.
        self.held: dict[str, tuple[str, GroupPlan]] = store.held.setdefault(HELD, {}) if store is not None else {}

    def key(self, group: Group, issue: bytes, entries: Mapping[str, bytes]) -> str:
        """`issue`: the `issue_digest` of the group's issue; `entries`: the `entry_digests` of the plan's entries."""
        digest = hashlib.blake2b(self.head, digest_size=20)
        digest.update(json.dumps([group.id, group.need_tag, group.pinned_key], ensure_ascii=False).encode("utf-8"))
        for entry in group.members:
            digest.update(entries[entry.page_id])
        for why in group.memberships:
            digest.update(why.model_dump_json().encode("utf-8"))
        digest.update(issue)
        return digest.hexdigest()

    def recall(self, group_id: str, key: str) -> GroupPlan | None:
        if self.store is None or self.known.get(group_id) != key:
            return None
        held = self.held.get(group_id)
        if held is not None and held[0] == key:
            return held[1]
        text = self.store.group_plan(group_id)
        if text is None:
            return None
        plan = GroupPlan.model_validate_json(text)
        self.held[group_id] = key, plan
        return plan

    def keep(self, key: str, plan: GroupPlan) -> None:
        """Remember `plan` if it has nothing to do (call with the plan before notes are added to it)."""
        if self.store is not None and plan.action == "unchanged" and self.known.get(plan.group_id) != key:
            self.held[plan.group_id] = key, plan
            self.fresh.append((plan.group_id, key, plan.model_dump_json()))
            if len(self.fresh) >= KEEP_BATCH:
                self.store.keep_group_plans(self.fresh)
                self.fresh = []

    def save(self, live: set[str]) -> None:
        """Store what is left and forget the plans of groups that no longer exist."""
        if self.store is not None:
            self.store.keep_group_plans(self.fresh, live)
            self.fresh = []
        for group_id in [g for g in self.held if g not in live]:
            del self.held[group_id]

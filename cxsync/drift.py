"""Drift: groups merged or split since the last run, found by comparing two assignments.

The previous assignment (entry → group id) is what the last run left behind: the Jira key it wrote
back to each Notion entry, read through the label of that issue (the same assignment the grouper
keeps stable). The new assignment is this plan's grouping. A *merge* is a group that now holds the
entries of two or more previous groups; a *split* is a previous group whose entries are now in two
or more groups. Moving one entry between groups with a pin shows as both: its new group gathers two
previous groups, and its old group is spread over two. New entries, excluded entries and entries
that left Notion are not drift. Each part says why, when the override that did it is known.

Once a run has applied the plan, the write-back makes the new assignment the previous one, so a
merge or split is reported by the plans and reports before that apply (and by the sync that applies
it), then no more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cxsync.grouping.override_file import OverrideFile
from cxsync.grouping.overrides import OverrideResult
from cxsync.models import Group, VocEntry

DriftKind = Literal["merge", "split"]
STAYED = ("stayed", "그대로")


class DriftPart(BaseModel):
    """One side of a merge (a previous group) or of a split (a group its entries are in now)."""

    model_config = ConfigDict(extra="forbid")

    group_id: str
    key: str | None = Field(description="the group's Jira issue; None while it is still to be created")
    page_ids: list[str]
    reason_en: str
    reason_ko: str


class Drift(BaseModel):
    """`merge`: `group_id` now holds entries of every group in `parts`; `split`: the previous group
    `group_id` has its entries in every group in `parts`."""

    model_config = ConfigDict(extra="forbid")

    kind: DriftKind
    group_id: str
    key: str | None
    parts: list[DriftPart]

    @property
    def requests(self) -> int:
        return sum(len(p.page_ids) for p in self.parts)


def find_drift(
    previous: Mapping[str, str],
    grouped: OverrideResult,
    entries: Sequence[VocEntry],
    overrides: OverrideFile | None,
    group_of_key: Mapping[str, str],
    plan_keys: Mapping[str, str | None],
) -> list[Drift]:
    """Merges and splits between `previous` (page id → group id) and the grouping of this run.

    `group_of_key` maps each cxsync issue's key to its group (the previous groups' issues);
    `plan_keys` maps this plan's group ids to their issue keys (None: to be created).
    """
    now = {e.page_id: g.id for g in grouped.groups for e in g.members}
    into, out_of = _moves(previous, now, {g.id: g for g in grouped.groups})
    keys = {gid: key for key, gid in group_of_key.items()} | {g: k for g, k in plan_keys.items() if k}
    why = _Reasons(entries, overrides or OverrideFile(), grouped.merged)
    found: list[Drift] = []
    for group_id, sources in sorted(into.items()):
        if len(sources) > 1:
            parts = [
                DriftPart(group_id=p, key=keys.get(p), page_ids=sorted(pages), **why.of(pages, p, group_id))
                for p, pages in sorted(sources.items())
            ]
            found.append(Drift(kind="merge", group_id=group_id, key=keys.get(group_id), parts=parts))
    for group_id, targets in sorted(out_of.items()):
        if len(targets) > 1:
            parts = [
                DriftPart(group_id=g, key=keys.get(g), page_ids=sorted(pages), **why.of(pages, group_id, g))
                for g, pages in sorted(targets.items())
            ]
            found.append(Drift(kind="split", group_id=group_id, key=keys.get(group_id), parts=parts))
    return found


Moves = dict[str, dict[str, list[str]]]


def _moves(previous: Mapping[str, str], now: Mapping[str, str], groups: Mapping[str, Group]) -> tuple[Moves, Moves]:
    """new group → previous group → pages, and previous → new → pages, for the groups that entries
    moved into or out of: any other group only kept its own entries, which is not drift."""
    into: Moves = defaultdict(lambda: defaultdict(list))
    out_of: Moves = defaultdict(lambda: defaultdict(list))
    for page_id, before in previous.items():
        after = now.get(page_id)
        if after is not None and after != before:
            into[after][before].append(page_id)
            out_of[before][after].append(page_id)
    for group_id in into.keys() | out_of.keys():
        group = groups.get(group_id)
        stayed = [e.page_id for e in group.members if previous.get(e.page_id) == group_id] if group else []
        if stayed:
            into[group_id][group_id] = stayed
            out_of[group_id][group_id] = stayed
    return into, out_of


class _Reasons:
    """Why entries went from one group to another: the override that moved them, in both languages."""

    def __init__(self, entries: Sequence[VocEntry], overrides: OverrideFile, merged: Mapping[str, str]) -> None:
        self.property = {e.page_id: e.group_override.strip() for e in entries if e.group_override}
        self.file = overrides
        self.merged = merged

    def of(self, pages: Sequence[str], before: str, after: str) -> dict[str, str]:
        if before == after:
            return {"reason_en": STAYED[0], "reason_ko": STAYED[1]}
        if self.merged.get(before) == after:
            return {
                "reason_en": f"merged into {after} by the overrides file (merge: [{after}, {before}])",
                "reason_ko": f"그룹 지정 파일의 merge로 {after}에 합쳐짐",
            }
        reasons: list[tuple[str, str]] = []
        for page_id in sorted(pages):
            reason = self._one(page_id)
            if reason not in reasons:
                reasons.append(reason)
        return {"reason_en": "; ".join(r[0] for r in reasons), "reason_ko": "; ".join(r[1] for r in reasons)}

    def _one(self, page_id: str) -> tuple[str, str]:
        value = self.property.get(page_id, "")
        if value:
            return f"group override {value!r} in Notion", f"Notion 그룹 지정 {value!r}"
        value = self.file.value_for(page_id)
        if value:
            return f"overrides file: {value}", f"그룹 지정 파일: {value}"
        return "regrouped (no override found; its Jira key may have been edited in Notion)", (
            "다시 묶임 (그룹 지정 없음; Notion에서 Jira 키가 바뀌었을 수 있음)"
        )

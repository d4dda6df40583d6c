"""Diff the desired Jira state of one group against the issue Jira actually has."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from cxsync.config import Mapping
from cxsync.desired import DesiredIssue, demand_field_values, sha, sync_fields_sha
from cxsync.document import (
    owned_adf_nodes,
    owned_wiki,
    pack_json,
    splice_adf,
    splice_wiki,
)
from cxsync.models import ActualIssue, Group, RemoteLinkSpec, SyncRecord
from cxsync.plan import Action, FieldChange, GroupPlan, Member

Markup = Literal["adf", "wiki"]
LinkReader = Callable[[str], dict[str, dict[str, Any]]]


def _members(group: Group) -> list[Member]:
    why = {m.page_id: m for m in group.memberships}
    return [
        Member(
            page_id=e.page_id,
            url=e.url,
            text=e.text,
            customer=e.customer,
            company=e.company,
            score=why[e.page_id].score if e.page_id in why else 1.0,
            reason=why[e.page_id].reason if e.page_id in why else "",
        )
        for e in sorted(group.members, key=lambda e: (e.created_time, e.page_id))
    ]


def _base(desired: DesiredIssue, action: Action, record: SyncRecord) -> GroupPlan:
    return GroupPlan(
        group_id=desired.group.id,
        label=desired.label,
        need_tag=desired.group.need_tag,
        summary=desired.summary,
        demand=desired.demand,
        members=_members(desired.group),
        action=action,
        record=record,
    )


def plan_create(desired: DesiredIssue, mapping: Mapping, field_ids: dict[str, str], markup: Markup) -> GroupPlan:
    description: Any = (
        {"type": "doc", "version": 1, "content": owned_adf_nodes(desired.blocks)}
        if markup == "adf"
        else owned_wiki(desired.blocks)
    )
    numbers = {field_ids[role]: value for role, value in demand_field_values(desired, mapping).items()}
    fields = {"summary": desired.summary, "labels": list(desired.labels), **numbers}
    if desired.priority:
        fields["priority"] = {"name": desired.priority}
    record = SyncRecord(
        group=desired.group.id,
        summary_sha=sha(desired.summary),
        priority_sha=sha(desired.priority or ""),
        block_sha=desired.block_sha(),
        fields_sha=sync_fields_sha(numbers),
        links_sha=desired.links_sha(),
    )
    plan = _base(desired, "create", record)
    plan.create_fields, plan.description_json = fields, pack_json(description)
    plan.link_upserts = list(desired.links)
    plan.write_record = True
    return plan


def plan_skip(desired: DesiredIssue, reason: str) -> GroupPlan:
    """A group cxsync will not touch this run; the reason is shown in the plan."""
    plan = _base(desired, "skip", SyncRecord(group=desired.group.id))
    plan.notes.append(reason)
    return plan


def plan_update(
    desired: DesiredIssue,
    actual: ActualIssue,
    mapping: Mapping,
    field_ids: dict[str, str],
    markup: Markup,
    read_links: LinkReader,
) -> GroupPlan:
    previous = actual.record
    fields: dict[str, Any] = {}
    changes: list[FieldChange] = []
    notes: list[str] = []

    summary_sha = sha(actual.summary)
    if actual.summary != desired.summary:
        if previous is not None and previous.summary_sha == summary_sha:
            fields["summary"] = desired.summary
            changes.append(FieldChange(field="summary", before=actual.summary, after=desired.summary))
            summary_sha = sha(desired.summary)
        else:
            notes.append("summary was edited in Jira; left as the human wrote it")

    priority_sha = _plan_priority(desired, actual, fields, changes, notes)

    description: bytes | None = None
    if previous is None or previous.block_sha != desired.block_sha() or not actual.has_block:
        splice = splice_adf if markup == "adf" else splice_wiki
        description = pack_json(splice(actual.description(), desired.blocks))
        changes.append(FieldChange(field="description", before="(cxsync block)", after="(cxsync block, re-rendered)"))

    numbers = {field_ids[role]: value for role, value in demand_field_values(desired, mapping).items()}
    for role, field_id in field_ids.items():
        value = numbers.get(field_id)
        if value is not None and actual.fields.get(role) != value:
            fields[field_id] = value
            shown = getattr(mapping.jira.demand_fields, role)  # the name the mapping uses, e.g. "Customer requests"
            changes.append(FieldChange(field=shown, before=actual.fields.get(role), after=value))

    add_labels = [label for label in desired.labels if label not in actual.labels]
    changes += [FieldChange(field="labels", before=None, after=label) for label in add_labels]

    upserts: list[RemoteLinkSpec] = []
    deletes: list[str] = []
    if previous is None or previous.links_sha != desired.links_sha():
        upserts, deletes = diff_links(desired.links, read_links(actual.key))

    record = SyncRecord(
        group=desired.group.id,
        summary_sha=summary_sha,
        priority_sha=priority_sha,
        block_sha=desired.block_sha(),
        fields_sha=sync_fields_sha(numbers),
        links_sha=desired.links_sha(),
    )
    write_record = record != previous
    action: Literal["update", "unchanged"] = (
        "update" if fields or description or add_labels or upserts or deletes or write_record else "unchanged"
    )
    plan = _base(desired, action, record)
    plan.key, plan.issue_id, plan.description_json = actual.key, actual.id, description
    plan.update_fields, plan.add_labels, plan.changes, plan.notes = fields, add_labels, changes, notes
    plan.link_upserts, plan.link_deletes, plan.write_record = upserts, deletes, write_record
    return plan


def _plan_priority(
    desired: DesiredIssue, actual: ActualIssue, fields: dict[str, Any], changes: list[FieldChange], notes: list[str]
) -> str:
    """Set the rule's priority unless a human changed it since cxsync last did; return the new hash."""
    current = sha(actual.priority or "")
    if desired.priority is None or desired.priority == actual.priority:
        return current if desired.priority else (actual.record.priority_sha if actual.record else "")
    if actual.record is not None and actual.record.priority_sha in (current, sha("")):
        fields["priority"] = {"name": desired.priority}
        changes.append(FieldChange(field="priority", before=actual.priority, after=desired.priority))
        return sha(desired.priority)
    notes.append(f"priority was set in Jira ({actual.priority}); left as the human chose it")
    return actual.record.priority_sha if actual.record else ""


def diff_links(
    desired: tuple[RemoteLinkSpec, ...], actual: dict[str, dict[str, Any]]
) -> tuple[list[RemoteLinkSpec], list[str]]:
    """Links to upsert (missing or changed) and cxsync links to remove (their entry left the group)."""
    upserts = []
    for link in desired:
        current = (actual.get(link.global_id) or {}).get("object") or {}
        if current.get("url") != link.url or current.get("title") != link.title:
            upserts.append(link)
    wanted = {link.global_id for link in desired}
    deletes = sorted(g for g in actual if g.startswith("cxsync:") and g not in wanted)
    return upserts, deletes

"""Read both sides, group, render the desired state and diff it into a Plan. Writes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime

from cxsync.adapters.jira_tracker import JiraTracker
from cxsync.adapters.notion_source import NotionSource
from cxsync.config import LoadedMapping
from cxsync.desired import build_desired, group_label
from cxsync.diff import LinkReader, plan_create, plan_skip, plan_update
from cxsync.drift import find_drift
from cxsync.group_memo import PlanStore, UnchangedGroups, entry_digests, issue_digest
from cxsync.grouping.countcache import BlobStore
from cxsync.grouping.memo import Store, memoized
from cxsync.grouping.methods import build_grouper
from cxsync.grouping.override_file import OverrideFile, load_override_file
from cxsync.grouping.overrides import group_with_overrides
from cxsync.incremental import Inputs
from cxsync.models import ActualIssue, Group, VocEntry
from cxsync.plan import GroupPlan, Orphan, Plan, WriteBackPlan


def read_all(notion: NotionSource, jira: JiraTracker) -> Inputs:
    """Both sides read in full, without the cache."""
    entries, skipped = notion.read()
    return Inputs(entries, skipped, jira.managed_issues())


def make_plan(
    loaded: LoadedMapping,
    notion: NotionSource,
    jira: JiraTracker,
    *,
    recreate_missing: bool = False,
    inputs: Inputs | None = None,
    read_links: LinkReader | None = None,
    memo: Store | None = None,
    counts: BlobStore | None = None,
    looked_up: list[str] | None = None,
    today: date | None = None,
    plans: PlanStore | None = None,
) -> Plan:
    """`recreate_missing` allows creating a new issue for a group whose issue was deleted in Jira.

    `inputs` are what the incremental reader read (everything is read when None); `read_links` reads an
    issue's remote links (from the cache when it knows them); `memo` keeps the last grouping and
    `counts` the n-gram counts of texts seen before and `plans` the plans of groups found unchanged (all
    three only save time). Issues or labels searched
    for in Jira beyond `inputs` (pinned or moved issues) are added to `looked_up`.
    """
    mapping = loaded.mapping
    inputs = inputs or read_all(notion, jira)
    entries, skipped, managed = inputs.entries, inputs.skipped, inputs.issues
    links = read_links or jira.remote_links
    prefix = mapping.jira.label_prefix
    by_group, duplicates = _index_by_group(managed, prefix)
    group_of_key = {issue.key: gid for gid, issue in by_group.items()}
    previous = {e.page_id: group_of_key[e.jira_key] for e in entries if e.jira_key in group_of_key}
    file = _override_file(loaded)
    grouped = memoized(
        memo,
        lambda: group_with_overrides(build_grouper(mapping.grouping, counts), entries, previous, group_of_key, file),
        entries,
        previous,
        group_of_key,
        file,
        mapping.grouping,
    )
    field_ids = jira.field_ids()

    groups: list[GroupPlan] = []
    issue_of: dict[str, ActualIssue] = {}
    today = today or datetime.now(UTC).date()
    known_keys = {issue.key for issue in managed}
    looked_up = looked_up if looked_up is not None else []
    context = {"mapping": mapping.model_dump(mode="json"), "fields": field_ids, "markup": jira.markup}
    unchanged = UnchangedGroups(plans, context, today)
    digests = entry_digests(entries)
    digest_of = dict(digests)
    issue_digests = [(issue.id, issue_digest(issue)) for issue in managed]  # for the group keys and the fingerprint
    issue_digest_of = dict(issue_digests)
    for group in grouped.groups:
        actual = by_group.get(group.id) or _pinned_issue(group.pinned_key, managed, jira, looked_up)
        notes = list(duplicates.get(group.id, []))
        lost = sorted({e.jira_key for e in group.members if e.jira_key} - known_keys) if actual is None else []
        if lost:
            label = group_label(mapping.jira.label_prefix, group.id)
            looked_up.append(label)
            actual = _find_moved(label, lost, jira, notes)
        if actual is not None:
            issue_of[group.id] = actual
            key = unchanged.key(group, issue_digest_of.get(actual.id) or issue_digest(actual), digest_of)
            plan = unchanged.recall(group.id, key) or plan_update(
                build_desired(group, mapping, today), actual, mapping, field_ids, jira.markup, links
            )
            unchanged.keep(key, plan)
        elif lost and not recreate_missing:
            plan = plan_skip(
                build_desired(group, mapping, today),
                f"its issue {', '.join(lost)} was deleted in Jira; rerun with --recreate-missing to create a new one",
            )
        else:
            plan = plan_create(build_desired(group, mapping, today), mapping, field_ids, jira.markup)
        if notes:  # a new plan: the one computed or recalled may be held for reuse
            plan = plan.model_copy(update={"notes": [*plan.notes, *notes]})
        groups.append(plan)
    unchanged.save({g.group_id for g in groups})
    groups.sort(key=lambda g: (-g.demand.requests, -g.demand.customers, g.group_id))

    live = {g.group_id for g in groups}
    orphans = [
        Orphan(key=issue.key, group_id=gid, reason=_orphan_reason(gid, grouped.merged))
        for gid, issue in sorted(by_group.items())
        if gid not in live
    ]
    return Plan(
        mapping=loaded.name,
        data_source_id=notion.schema().data_source_id,
        jira_project=mapping.jira.project,
        jira_url=jira.url,
        groups=groups,
        writebacks=_writebacks(grouped.groups, groups, issue_of, jira, loaded),
        skipped=[*skipped, *grouped.skipped],
        orphans=orphans,
        drift=find_drift(
            previous, grouped, entries, _override_file(loaded), group_of_key, {g.group_id: g.key for g in groups}
        ),
        departed=inputs.departed,
        reads=inputs.stats.as_dict(),
        fingerprint=fingerprints(digests, issue_digests),
    )


def _override_file(loaded: LoadedMapping) -> OverrideFile | None:
    name = loaded.mapping.grouping.overrides_file
    return load_override_file(loaded.path.parent / name) if name else None


def _orphan_reason(group_id: str, merged: dict[str, str]) -> str:
    if group_id in merged:
        return f"merged into group {merged[group_id]} by an override"
    return "no Notion entry belongs to this group any more"


def _index_by_group(issues: Sequence[ActualIssue], prefix: str) -> tuple[dict[str, ActualIssue], dict[str, list[str]]]:
    """Group id → its issue. Should two issues carry one group's label, the oldest wins."""
    by_group: dict[str, ActualIssue] = {}
    duplicates: dict[str, list[str]] = {}
    for issue in sorted(issues, key=lambda i: int(i.id) if i.id.isdigit() else 0):
        for gid in issue.group_ids(prefix):
            if gid in by_group:
                duplicates.setdefault(gid, []).append(
                    f"{issue.key} also carries this group's label; {by_group[gid].key} is used (duplicate left for a human)"
                )
            else:
                by_group[gid] = issue
    return by_group, duplicates


def _find_moved(label: str, lost: list[str], jira: JiraTracker, notes: list[str]) -> ActualIssue | None:
    """Entries point at issues the project search no longer finds: moved elsewhere, or deleted."""
    found = jira.find_by_label(label)
    if found:
        notes.append(f"issue {', '.join(lost)} moved to {found[0].key}; following it")
        return found[0]
    return None


def _pinned_issue(
    key: str | None, managed: Sequence[ActualIssue], jira: JiraTracker, looked_up: list[str]
) -> ActualIssue | None:
    if key is None:
        return None
    found = next((i for i in managed if i.key == key), None)
    if found is None:
        looked_up.append(key)
        found = jira.get(key)
    return found


def _writebacks(
    groups: Sequence[Group],
    plans: Sequence[GroupPlan],
    issue_of: dict[str, ActualIssue],
    jira: JiraTracker,
    loaded: LoadedMapping,
) -> list[WriteBackPlan]:
    settings = loaded.mapping.jira
    props = loaded.mapping.notion.properties
    plan_of = {p.group_id: p for p in plans}
    changes: list[WriteBackPlan] = []
    for group in groups:
        plan = plan_of[group.id]
        if plan.action == "skip":
            continue
        actual = issue_of.get(plan.group_id)
        status_name, category = (actual.status, actual.status_category) if actual else ("To Do", "new")
        status = settings.notion_status_for(status_name, category) if props.status else None
        url = jira.browse_url(plan.key) if plan.key else None  # one string for the group, not one per entry
        for entry in group.members:
            change = _writeback(entry, plan, status, url, props.jira_url is not None)
            if change is not None:
                changes.append(change)
    return sorted(changes, key=lambda c: (c.group_id, c.page_id))


def _writeback(
    entry: VocEntry, plan: GroupPlan, status: str | None, url: str | None, has_url: bool
) -> WriteBackPlan | None:
    key = plan.key
    same = (
        key is not None
        and entry.jira_key == key
        and (not has_url or entry.jira_url == url)
        and (status is None or entry.status == status)
    )
    if same:
        return None
    return WriteBackPlan(
        page_id=entry.page_id,
        group_id=plan.group_id,
        key=key,
        url=url,
        status=status,
        before_key=entry.jira_key,
        before_status=entry.status,
    )


def fingerprints(entries: Sequence[tuple[str, bytes]], issues: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    """What a plan was made from, so a saved plan is refused on other data: each side's (id, digest)
    rows (`entry_digests`, `issue_digest`), sorted and hashed."""
    return {
        "notion": _fingerprint(sorted(entries)),
        "jira": _fingerprint(sorted(issues)),
    }


def _fingerprint(rows: Sequence[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, row in rows:
        digest.update(name.encode("utf-8") + b"\0" + row)
    return digest.hexdigest()[:16]

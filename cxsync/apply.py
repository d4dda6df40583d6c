"""Execute a plan exactly: Jira creates and edits, remote links, sync records, Notion write-back."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cxsync.adapters.jira_tracker import AmbiguousCreate, JiraTracker
from cxsync.adapters.notion_source import NotionSource, WriteBack
from cxsync.errors import CxsyncError
from cxsync.journal import Journal
from cxsync.plan import GroupPlan, Plan, WriteBackPlan

LOOKUP_ATTEMPTS = 3
LOOKUP_PAUSE = 1.0


@dataclass
class Failure:
    target: str
    message_en: str
    message_ko: str


@dataclass
class ApplyResult:
    created: dict[str, str] = field(default_factory=dict)  # group id → key
    updated: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    written_back: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def apply_plan(plan: Plan, jira: JiraTracker, notion: NotionSource, journal: Journal) -> ApplyResult:
    result = ApplyResult()
    for group in plan.groups:
        if group.action in ("unchanged", "skip"):
            continue
        try:
            _apply_group(group, jira, journal, result)
        except CxsyncError as error:
            result.failures.append(Failure(group.key or group.group_id, error.en, error.ko))
    for change in plan.writebacks:
        _write_back(change, jira, notion, result)
    return result


def _apply_group(group: GroupPlan, jira: JiraTracker, journal: Journal, result: ApplyResult) -> None:
    if group.action == "create":
        key = _safe_create(group, jira, journal, result)
        result.created[group.group_id] = key
    else:
        key = group.key or ""
        if group.update_fields or group.add_labels:
            jira.update(key, group.update_fields, group.add_labels)
        result.updated.append(key)
    for link in group.link_upserts:
        jira.upsert_link(key, link)
    for global_id in group.link_deletes:
        jira.delete_link(key, global_id)
    if group.write_record:
        jira.set_record(key, group.record)


def _safe_create(group: GroupPlan, jira: JiraTracker, journal: Journal, result: ApplyResult) -> str:
    """Create the group's issue at most once, even across crashes and lost responses.

    The plan was made from a search of every cxsync label, so a group planned for creation had no
    issue then. What that search can miss is an issue a crashed earlier attempt created moments
    ago (search lags behind writes): so where the journal holds an intent for the group, Jira is
    searched again, reconciling the issue ids that attempt saw. The intent is journalled before the
    single POST; an unconfirmed POST is resolved by looking again, never by sending it again.
    """
    assert group.create_fields is not None
    if journal.has_intent(group.group_id):
        existing = jira.find_by_label(group.label, journal.known_issue_ids(group.group_id))
        if existing:
            result.adopted.append(existing[0].key)
            return existing[0].key
    journal.creating(group.group_id, group.label)
    try:
        # links are not posted yet: an empty links hash makes a crash before they are re-post them
        issue_id, key = jira.create(group.create_fields, group.record.model_copy(update={"links_sha": ""}))
    except AmbiguousCreate:
        for _ in range(LOOKUP_ATTEMPTS):
            time.sleep(LOOKUP_PAUSE)
            found = jira.find_by_label(group.label)
            if found:
                journal.created(group.group_id, group.label, found[0].id, found[0].key)
                return found[0].key
        journal.unknown(group.group_id, group.label)
        raise
    journal.created(group.group_id, group.label, issue_id, key)
    return key


def _write_back(change: WriteBackPlan, jira: JiraTracker, notion: NotionSource, result: ApplyResult) -> None:
    key = change.key or result.created.get(change.group_id)
    if key is None:
        result.failures.append(
            Failure(
                change.page_id,
                "not written back: the group's issue was not created",
                "기록하지 않음: 그룹의 이슈가 생성되지 않았습니다",
            )
        )
        return
    try:
        notion.write_back(WriteBack(change.page_id, key, jira.browse_url(key), change.status))
        result.written_back += 1
    except CxsyncError as error:
        result.failures.append(Failure(change.page_id, error.en, error.ko))

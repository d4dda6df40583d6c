"""In-process test helpers of the Jira sandbox: read the stored board and change it the way a person
in the Jira UI would (edit, transition, move, delete), bypassing HTTP.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from cxsync.sandbox.jira_fields import check_custom, check_label, check_summary
from cxsync.sandbox.jira_model import (
    PRIORITIES,
    STATUSES,
    IssueRecord,
    JiraState,
    StoredIssue,
    copy_record,
    format_time,
    status_by_id,
)
from cxsync.sandbox.jira_rules import enter_status
from cxsync.sandbox.jira_search import derive


class BoardHelpers:
    """Mixed into `JiraSandbox`; every helper holds the server lock."""

    lock: threading.RLock
    state: JiraState
    search_lag_seconds: float

    def _now(self) -> float:
        raise NotImplementedError

    def _commit(self, issue: StoredIssue) -> None:
        issue.commit(self._now(), self.search_lag_seconds)
        derive(self.state, issue.versions[-1])

    def issue(self, key: str) -> dict[str, Any]:
        """The stored state of an issue (by key or id); KeyError if there is none."""
        with self.lock:
            return self._snapshot(self._stored(key))

    def all_issues(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self._snapshot(issue) for issue in sorted(self.state.issues.values(), key=lambda i: i.id)]

    def issues_with_label(self, label: str) -> list[dict[str, Any]]:
        return [issue for issue in self.all_issues() if label in issue["labels"]]

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                {
                    "id": link.id,
                    "globalId": link.global_id,
                    "application": copy.deepcopy(link.application),
                    "relationship": link.relationship,
                    "object": copy.deepcopy(link.object),
                }
                for link in self._stored(key).remote_links
            ]

    def transition(self, key: str, status_name: str) -> None:
        """Move an issue to a status by name ("To Do", "In Progress", "Done", "Won't Do")."""
        with self.lock:
            issue = self._stored(key)
            status = next((s for s in STATUSES if s.name.lower() == status_name.lower()), None)
            if status is None:
                raise ValueError(f"unknown status {status_name!r}; use one of {[s.name for s in STATUSES]}")
            enter_status(issue.record, status, self._now())
            self._commit(issue)

    def edit_fields(self, key: str, **fields: Any) -> None:
        """Edit as a person would: summary, description (wiki string or ADF), labels, priority (name),
        assignee (account id or user name), or a custom field by id (`customfield_10050=3`)."""
        with self.lock:
            issue = self._stored(key)
            draft = copy_record(issue.record)
            for name, value in fields.items():
                self._edit_field(draft, name, value)
            issue.record = draft
            self._commit(issue)

    def _edit_field(self, record: IssueRecord, name: str, value: Any) -> None:
        if name == "summary":
            record.summary = check_summary(value)
        elif name == "description":
            record.description = copy.deepcopy(value)  # the caller's object is not ours to keep
        elif name == "labels":
            record.labels = [check_label(label) for label in value]
        elif name == "priority":
            record.priority_id = next(p.id for p in PRIORITIES if p.name == value)
        elif name == "assignee":
            record.assignee = value
        elif (cf := self.state.custom_field(name)) is not None:
            record.custom[name] = check_custom(cf, value)
        else:
            raise ValueError(f"edit_fields cannot set {name!r}")

    def delete_issue(self, key: str) -> None:
        with self.lock:
            self.state.remove_issue(self._stored(key))

    def move_issue(self, key: str, new_project_key: str) -> str:
        """Move an issue to another project and return its new key.

        The old key then answers 404 on GET (real Jira redirects it to the new key), but JQL
        `key = OLD-1` still finds the issue, as in real Jira.
        """
        with self.lock:
            issue = self._stored(key)
            project = self.state.project(new_project_key)
            if project is None:
                raise KeyError(f"no project {new_project_key!r}")
            record = issue.record
            if record.issuetype_id not in {t.id for t in project.issue_types}:
                record.issuetype_id = project.issue_types[0].id
            record.previous_keys.append(record.key)
            del self.state.keys[record.key]
            record.key = f"{project.key}-{project.next_number}"
            project.next_number += 1
            record.project_id = project.id
            self.state.keys[record.key] = record.id
            self._commit(issue)
            return record.key

    def _stored(self, key: str) -> StoredIssue:
        issue = self.state.issue(key)
        if issue is None:
            raise KeyError(f"no issue {key!r}")
        return issue

    def _snapshot(self, issue: StoredIssue) -> dict[str, Any]:
        record = issue.record
        status = status_by_id(record.status_id)
        project = self.state.project(record.project_id)
        issue_type = self.state.issue_type(record.issuetype_id)
        snapshot: dict[str, Any] = {
            "id": str(record.id),
            "key": record.key,
            "project": project.key if project else None,
            "issuetype": issue_type.name if issue_type else None,
            "summary": record.summary,
            "description": copy.deepcopy(record.description),
            "labels": list(record.labels),
            "priority": next(p.name for p in PRIORITIES if p.id == record.priority_id),
            "status": status.name,
            "status_category": status.category.key,
            "resolution": record.resolution[1] if record.resolution else None,
            "assignee": record.assignee,
            "reporter": record.reporter,
            "created": format_time(record.created),
            "updated": format_time(record.updated),
            "properties": copy.deepcopy(issue.properties),
            "comments": [copy.deepcopy(c.body) for c in issue.comments],
            "previous_keys": list(record.previous_keys),
        }
        for cf in self.state.custom_fields:
            snapshot[cf.id] = record.custom.get(cf.id)
        return snapshot

"""Which fields the Jira create screen allows for a project and issue type (create metadata). Reads only.

Cloud: `GET /rest/api/3/issue/createmeta/{project}/issuetypes/{issueTypeId}` (items in `fields`);
Data Center 8.4+: `GET /rest/api/2/issue/createmeta/{project}/issuetypes/{issueTypeId}` (items in
`values`), which the jira library reads as `project_issue_fields`. The library refuses that method on
Cloud (it checks for Data Center ≥ 8.4), so on Cloud the same endpoint is paged here through the
library's own session. A demand field that is not on the create screen makes every create fail
("Field … cannot be set. It is not on the appropriate screen"), which is what `cxsync init` and
`cxsync doctor` check with this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxsync.adapters.jira_tracker import JiraTracker
from cxsync.errors import ConfigError

PAGE = 200  # the endpoint's maximum page size


def issue_type_id(tracker: JiraTracker, project: str, issue_type: str) -> str:
    """The id of `issue_type` (a name or an id) in `project`."""
    found = tracker._call(lambda: tracker.jira.project(project))
    for candidate in getattr(found, "issueTypes", []):
        if issue_type in (str(candidate.name), str(candidate.id)):
            return str(candidate.id)
    raise ConfigError(
        f"Issue type {issue_type!r} is not available in {project}.",
        f"이슈 유형 {issue_type!r}은(는) {project}에서 쓸 수 없습니다.",
    )


def create_screen_fields(tracker: JiraTracker, project: str, type_id: str) -> dict[str, str]:
    """Field id → name of every field the create screen of `project` / issue type `type_id` allows."""
    if tracker.flavor == "datacenter":
        fields = tracker._call(lambda: tracker.jira.project_issue_fields(project, type_id, maxResults=False))
        return {str(f.fieldId): str(f.name) for f in fields}
    found: dict[str, str] = {}
    path = f"issue/createmeta/{project}/issuetypes/{type_id}"
    while True:
        params = {"startAt": len(found), "maxResults": PAGE}
        page: Any = tracker._call(lambda params=params: tracker.jira._get_json(path, params=params))  # type: ignore[misc]
        items = [i for i in (page.get("fields") or page.get("values") or []) if isinstance(i, dict)]
        before = len(found)
        found.update({str(i.get("fieldId") or i.get("key")): str(i.get("name", "")) for i in items})
        if not items or len(found) == before or len(found) >= int(page.get("total") or 0) or page.get("isLast"):
            return found


def off_screen(wanted: Mapping[str, str], screen: Mapping[str, str]) -> dict[str, str]:
    """The roles of `wanted` (role → field id) whose field the create screen does not allow."""
    return {role: field_id for role, field_id in wanted.items() if field_id not in screen}

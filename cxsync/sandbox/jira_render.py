"""JSON representations of the Jira sandbox's objects, per API version (v2 strings, v3 ADF)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cxsync.sandbox import adf
from cxsync.sandbox.jira_fields import ISSUE_FIELD_IDS, FieldDef, all_fields
from cxsync.sandbox.jira_model import (
    PRIORITIES,
    STATUSES,
    ApiVersion,
    Comment,
    Flavor,
    IssueLink,
    IssueRecord,
    IssueType,
    JiraState,
    LinkType,
    Priority,
    Project,
    RemoteLink,
    Status,
    StatusCategory,
    StoredIssue,
    format_time,
    status_by_id,
)

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
ID_ONLY_FIELDS = frozenset({"id", "key", "issuekey"})


def parse_selection(tokens: Iterable[str], state: JiraState, default: str) -> set[str]:
    """Jira's `fields` parameter: ids, `*all`, `*navigable`, `-id` exclusions; unknown ids are ignored.

    `default` ("*all", "*navigable" or "id") applies when no token selects anything by itself.
    """
    defs = {d.id: d for d in all_fields(state) if d.id != "issuekey"}
    wanted: set[str] = set()
    excluded: set[str] = set()
    positive = False
    for token in (t.strip() for t in tokens if t and t.strip()):
        if token.startswith("-"):
            excluded.add(token[1:])
            continue
        positive = True
        if token == "*all":
            wanted |= set(defs)
        elif token == "*navigable":
            wanted |= {i for i, d in defs.items() if d.navigable}
        elif token in defs:
            wanted.add(token)
    if not positive and default != "id":
        wanted = {i for i, d in defs.items() if default == "*all" or d.navigable}
    return wanted - excluded


def split_tokens(values: Iterable[Any]) -> list[str]:
    """Flatten repeated and comma-separated parameter values into tokens."""
    return [part.strip() for value in values if value is not None for part in str(value).split(",") if part.strip()]


@dataclass
class View:
    """Renders objects for one request: its base URL, API version and flavour."""

    state: JiraState
    base: str
    segment: str  # the version path segment as requested ("2", "3" or "latest"), used in self links
    version: ApiVersion
    flavor: Flavor

    def api(self, path: str) -> str:
        return f"{self.base}/rest/api/{self.segment}/{path}"

    def icon(self, path: str) -> str:
        return f"{self.base}/images/icons/{path}"

    # -- reference data ----------------------------------------------------------------------------
    def user(self, ref: str | None) -> dict[str, Any] | None:
        if ref is None:
            return None
        me = self.state.user
        is_me = ref in (me.account_id, me.name)
        avatars = {size: self.icon(f"avatar/{size}.png") for size in ("48x48", "24x24", "16x16", "32x32")}
        common = {
            "avatarUrls": avatars,
            "displayName": me.display_name if is_me else ref,
            "active": True,
            "timeZone": "Etc/UTC",
        }
        if self.flavor == "cloud":
            user = {"self": self.api(f"user?accountId={ref}"), "accountId": ref, "accountType": "atlassian"}
        else:
            key = me.key if is_me else ref
            user = {"self": self.api(f"user?username={ref}"), "name": ref, "key": key}
        if is_me:
            user["emailAddress"] = me.email
        return {**user, **common}

    def myself(self) -> dict[str, Any]:
        user = self.user(self.state.user.account_id if self.flavor == "cloud" else self.state.user.name)
        assert user is not None
        empty = {"size": 0, "items": []}
        return {
            **user,
            "locale": "en_US",
            "groups": empty,
            "applicationRoles": empty,
            "expand": "groups,applicationRoles",
        }

    def category(self, category: StatusCategory) -> dict[str, Any]:
        return {
            "self": self.api(f"statuscategory/{category.id}"),
            "id": category.id,
            "key": category.key,
            "colorName": category.color,
            "name": category.name,
        }

    def status(self, status: Status) -> dict[str, Any]:
        return {
            "self": self.api(f"status/{status.id}"),
            "description": "",
            "iconUrl": self.icon("statuses/generic.png"),
            "name": status.name,
            "id": status.id,
            "statusCategory": self.category(status.category),
        }

    def priority(self, priority: Priority) -> dict[str, Any]:
        icon = self.icon(f"priorities/{priority.name.lower()}.svg")
        return {"self": self.api(f"priority/{priority.id}"), "iconUrl": icon, "name": priority.name, "id": priority.id}

    def issue_type(self, issue_type: IssueType) -> dict[str, Any]:
        return {
            "self": self.api(f"issuetype/{issue_type.id}"),
            "id": issue_type.id,
            "description": "",
            "iconUrl": self.icon("issuetypes/task.svg"),
            "name": issue_type.name,
            "subtask": False,
            "hierarchyLevel": 0,
        }

    def project(self, project: Project, *, with_types: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "self": self.api(f"project/{project.id}"),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": {size: self.icon(f"project/{size}.png") for size in ("48x48", "24x24", "16x16", "32x32")},
        }
        if with_types:
            body = {
                "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
                **body,
                "description": "",
                "style": "classic",
                "isPrivate": False,
                "issueTypes": [self.issue_type(t) for t in project.issue_types],
            }
        return body

    def link_type(self, link_type: LinkType) -> dict[str, Any]:
        return {
            "id": link_type.id,
            "name": link_type.name,
            "inward": link_type.inward,
            "outward": link_type.outward,
            "self": self.api(f"issueLinkType/{link_type.id}"),
        }

    def server_info(self, now: float) -> dict[str, Any]:
        cloud = self.flavor == "cloud"
        return {
            "baseUrl": self.base,
            "displayUrl": self.base,
            "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.0",
            "versionNumbers": [1001, 0, 0] if cloud else [9, 12, 0],
            "deploymentType": "Cloud" if cloud else "Server",
            "buildNumber": 100_000 if cloud else 9_120_000,
            "buildDate": "2025-12-01T00:00:00.000+0000",
            "serverTime": format_time(now),
            "scmInfo": "sandbox",
            "serverTitle": "Jira sandbox",
            "serverTimeZone": "Etc/UTC",
        }

    def field_names(self, field_ids: Iterable[str]) -> dict[str, str]:
        defs = {d.id: d for d in all_fields(self.state)}
        return {i: defs[i].name for i in field_ids if i in defs}

    def field_schemas(self, field_ids: Iterable[str]) -> dict[str, Any]:
        defs: dict[str, FieldDef] = {d.id: d for d in all_fields(self.state)}
        return {i: defs[i].schema for i in field_ids if i in defs}

    # -- issues ------------------------------------------------------------------------------------
    def issue_ref(self, issue: StoredIssue) -> dict[str, Any]:
        record = issue.record
        status = status_by_id(record.status_id)
        priority = next(p for p in PRIORITIES if p.id == record.priority_id)
        issue_type = self.state.issue_type(record.issuetype_id)
        fields = {"summary": record.summary, "status": self.status(status), "priority": self.priority(priority)}
        if issue_type:
            fields["issuetype"] = self.issue_type(issue_type)
        return {"id": str(record.id), "key": record.key, "self": self.api(f"issue/{record.id}"), "fields": fields}

    def issue_bean(
        self,
        issue: StoredIssue,
        record: IssueRecord,
        selected: set[str],
        *,
        expand: Iterable[str] = (),
        properties: Iterable[str] = (),
    ) -> dict[str, Any]:
        bean: dict[str, Any] = {
            "expand": ISSUE_EXPAND,
            "id": str(record.id),
            "self": self.api(f"issue/{record.id}"),
            "key": record.key,
        }
        expand = set(expand)
        wanted_props = list(properties)
        if wanted_props:
            keys = issue.properties if "*all" in wanted_props else [k for k in wanted_props if k in issue.properties]
            bean["properties"] = {key: issue.properties[key] for key in keys}
        fields = self.fields(issue, record, selected)
        if "renderedFields" in expand:
            bean["renderedFields"] = self._rendered(fields)
        if "names" in expand:
            bean["names"] = self.field_names(fields)
        if "schema" in expand:
            bean["schema"] = self.field_schemas(fields)
        if "transitions" in expand:
            bean["transitions"] = self.transitions(record)
        if "changelog" in expand:
            bean["changelog"] = {"startAt": 0, "maxResults": 0, "total": 0, "histories": []}
        bean["fields"] = fields
        return bean

    def fields(self, issue: StoredIssue, record: IssueRecord, selected: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field_id in (*ISSUE_FIELD_IDS, *(cf.id for cf in self.state.custom_fields)):
            if field_id in selected:
                out[field_id] = self._field(issue, record, field_id)
        return out

    def _field(self, issue: StoredIssue, record: IssueRecord, field_id: str) -> Any:
        if field_id.startswith("customfield_"):
            return record.custom.get(field_id)
        simple: dict[str, Any] = {
            "summary": record.summary,
            "labels": list(record.labels),
            "created": format_time(record.created),
            "updated": format_time(record.updated),
            "resolutiondate": format_time(record.resolution_date) if record.resolution_date else None,
        }
        if field_id in simple:
            return simple[field_id]
        if field_id == "description":
            return self.rich_text(record.description)
        if field_id == "status":
            return self.status(status_by_id(record.status_id))
        if field_id == "priority":
            return self.priority(next(p for p in PRIORITIES if p.id == record.priority_id))
        if field_id == "issuetype":
            issue_type = self.state.issue_type(record.issuetype_id)
            return self.issue_type(issue_type) if issue_type else None
        if field_id == "project":
            project = self.state.project(record.project_id)
            return self.project(project) if project else None
        if field_id in ("assignee", "reporter"):
            return self.user(getattr(record, field_id))
        if field_id == "resolution":
            return self.resolution(record.resolution)
        if field_id == "issuelinks":
            return [
                self.issue_link(link, issue)
                for link in self.state.issue_links
                if issue.id in (link.inward_id, link.outward_id)
            ]
        if field_id == "comment":
            return self.comment_page(issue)
        raise KeyError(field_id)

    def rich_text(self, value: str | dict[str, Any] | None) -> Any:
        """A stored description/comment body as this API version shows it."""
        if value is None:
            return None
        if self.version == "3":
            return value if isinstance(value, dict) else adf.from_text(value)
        return value if isinstance(value, str) else adf.to_text(value)

    def resolution(self, resolution: tuple[str, str] | None) -> dict[str, Any] | None:
        if resolution is None:
            return None
        res_id, name = resolution
        return {"self": self.api(f"resolution/{res_id}"), "id": res_id, "description": "", "name": name}

    def _rendered(self, fields: dict[str, Any]) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        for field_id, value in fields.items():
            if field_id == "description" and value is not None:
                text = value if isinstance(value, str) else adf.to_text(value)
                rendered[field_id] = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line)
            else:
                rendered[field_id] = None
        return rendered

    def transitions(self, record: IssueRecord) -> list[dict[str, Any]]:
        """Every status is reachable from every other one through a global transition."""
        return [
            {
                "id": status.transition_id,
                "name": status.name,
                "to": self.status(status),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
            }
            for status in STATUSES
            if status.id != record.status_id
        ]

    def issue_link(self, link: IssueLink, issue: StoredIssue) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": str(link.id),
            "self": self.api(f"issueLink/{link.id}"),
            "type": self.link_type(link.type),
        }
        if issue.id == link.inward_id:
            other = self.state.issues[link.outward_id]
            entry["outwardIssue"] = self.issue_ref(other)
        else:
            other = self.state.issues[link.inward_id]
            entry["inwardIssue"] = self.issue_ref(other)
        return entry

    def remote_link(self, issue: StoredIssue, link: RemoteLink) -> dict[str, Any]:
        body: dict[str, Any] = {"id": link.id, "self": self.api(f"issue/{issue.record.key}/remotelink/{link.id}")}
        optional = {"globalId": link.global_id, "application": link.application, "relationship": link.relationship}
        body.update({k: v for k, v in optional.items() if v is not None})
        body["object"] = link.object
        return body

    def comment(self, issue: StoredIssue, comment: Comment) -> dict[str, Any]:
        author = self.user(self.state.user.account_id if self.flavor == "cloud" else self.state.user.name)
        return {
            "self": self.api(f"issue/{issue.id}/comment/{comment.id}"),
            "id": str(comment.id),
            "author": author,
            "body": self.rich_text(comment.body),
            "updateAuthor": author,
            "created": format_time(comment.created),
            "updated": format_time(comment.updated),
            "jsdPublic": True,
        }

    def comment_page(self, issue: StoredIssue) -> dict[str, Any]:
        comments = [self.comment(issue, c) for c in issue.comments]
        return {
            "comments": comments,
            "self": self.api(f"issue/{issue.id}/comment"),
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        }

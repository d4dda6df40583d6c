"""State of the Jira sandbox: projects, issue types, statuses, custom fields and issues.

Everything here is plain data; the wire formats live in `jira_fields` (field values) and
`jira_server` (endpoints).
"""

from __future__ import annotations

import copy
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Flavor = Literal["cloud", "datacenter"]
ApiVersion = Literal["2", "3"]


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    color: str
    name: str


CATEGORY_UNDEFINED = StatusCategory(1, "undefined", "medium-gray", "No Category")
CATEGORY_NEW = StatusCategory(2, "new", "blue-gray", "To Do")
CATEGORY_DONE = StatusCategory(3, "done", "green", "Done")
CATEGORY_IN_PROGRESS = StatusCategory(4, "indeterminate", "yellow", "In Progress")
STATUS_CATEGORIES = (CATEGORY_UNDEFINED, CATEGORY_NEW, CATEGORY_DONE, CATEGORY_IN_PROGRESS)


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory
    transition_id: str  # the global transition that leads to this status
    resolution: tuple[str, str] | None = None  # (id, name) set when an issue enters this status


STATUSES = (
    Status("10000", "To Do", CATEGORY_NEW, "11"),
    Status("3", "In Progress", CATEGORY_IN_PROGRESS, "21"),
    Status("10001", "Done", CATEGORY_DONE, "31", ("10000", "Done")),
    Status("10002", "Won't Do", CATEGORY_DONE, "41", ("10001", "Won't Do")),
)
INITIAL_STATUS = STATUSES[0]


@dataclass(frozen=True)
class Priority:
    id: str
    name: str


PRIORITIES = tuple(
    Priority(str(n), name) for n, name in enumerate(("Highest", "High", "Medium", "Low", "Lowest"), start=1)
)
DEFAULT_PRIORITY = PRIORITIES[2]


@dataclass(frozen=True)
class LinkType:
    id: str
    name: str
    inward: str
    outward: str


LINK_TYPES = (
    LinkType("10000", "Blocks", "is blocked by", "blocks"),
    LinkType("10001", "Cloners", "is cloned by", "clones"),
    LinkType("10002", "Duplicate", "is duplicated by", "duplicates"),
    LinkType("10003", "Relates", "relates to", "relates to"),
)


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    # custom field ids this issue type's create screen leaves out (createmeta omits them, create rejects them)
    off_create_screen: frozenset[str] = frozenset()


@dataclass
class Project:
    id: str
    key: str
    name: str
    issue_types: list[IssueType]
    next_number: int = 1


@dataclass(frozen=True)
class CustomField:
    id: str  # customfield_NNNNN
    name: str
    type: Literal["number", "string"]

    @property
    def number(self) -> int:
        return int(self.id.removeprefix("customfield_"))


@dataclass
class IssueRecord:
    """The searchable, versioned part of an issue (what the search index may hold a stale copy of)."""

    id: int
    key: str
    project_id: str
    issuetype_id: str
    summary: str
    description: str | dict[str, Any] | None  # wiki string (v2) or ADF doc (v3), as written
    labels: list[str]
    priority_id: str
    status_id: str
    created: float
    updated: float
    assignee: str | None = None
    reporter: str | None = None
    resolution: tuple[str, str] | None = None
    resolution_date: float | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    previous_keys: list[str] = field(default_factory=list)


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    application: dict[str, Any] | None
    relationship: str | None
    object: dict[str, Any]


@dataclass
class Comment:
    id: int
    body: str | dict[str, Any]
    created: float
    updated: float


@dataclass
class IssueLink:
    id: int
    type: LinkType
    inward_id: int
    outward_id: int


class Version:
    """One committed state of an issue, as the search index holds it. The record is a private copy
    that nothing changes, so what search derives from it (JQL values, sort values) is computed once."""

    __slots__ = ("derived", "record", "stamp")

    def __init__(self, stamp: float, record: IssueRecord) -> None:
        self.stamp = stamp
        self.record = record
        self.derived: tuple[Any, ...] | None = None  # kept by jira_search: (schema token, values…)


# Bumped by every change a search can see (commits, new and removed issues) in any sandbox; search
# results cached under an older value are stale.
_changes = itertools.count()
CHANGES = [next(_changes)]


def changed() -> None:
    CHANGES[0] = next(_changes)


@dataclass
class StoredIssue:
    """An issue: its current record, the versions the search index may serve, and sub-resources."""

    record: IssueRecord
    versions: list[Version] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[RemoteLink] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.record.id

    def commit(self, now: float, lag: float) -> None:
        """Record the current state as a version, forgetting versions no search can see any more."""
        changed()
        self.record.updated = now
        self.versions.append(Version(now, copy_record(self.record)))
        horizon = now - lag
        while len(self.versions) > 1 and self.versions[1].stamp <= horizon:
            self.versions.pop(0)

    def indexed(self, now: float, lag: float) -> IssueRecord | None:
        """The version a lagging search index serves at `now`, or None while the issue is not indexed yet."""
        if lag <= 0:
            return self.record
        version, _ = self.visible(now, lag)
        return version.record if version else None

    def visible(self, now: float, lag: float) -> tuple[Version | None, float | None]:
        """The `Version` a search serves at `now` (the latest one when there is no lag: every change to
        the record is committed, so it equals the record), and when a later version becomes visible."""
        versions = self.versions
        if not versions:
            return None, None
        if lag <= 0:
            return versions[-1], None
        horizon = now - lag
        if versions[-1].stamp <= horizon:
            return versions[-1], None
        for index in range(len(versions) - 1, -1, -1):
            if versions[index].stamp <= horizon:
                return versions[index], versions[index + 1].stamp + lag
        return None, versions[0].stamp + lag


def copy_record(record: IssueRecord) -> IssueRecord:
    """A private copy of `record` that shares its description: a description is only ever replaced,
    never changed in place, and copying a large ADF document was most of an edit's time at scale."""
    return copy.deepcopy(record, {id(record.description): record.description})


def status_by_id(status_id: str) -> Status:
    return next(status for status in STATUSES if status.id == status_id)


def format_time(stamp: float) -> str:
    """Jira's timestamp format, e.g. 2023-06-24T19:24:50.000+0000 (always UTC here)."""
    seconds, millis = divmod(round(stamp * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}+0000"


# -- seed ------------------------------------------------------------------------------------------


def default_projects() -> list[Project]:
    return [Project("10000", "CX", "CX", [IssueType("10001", "Task"), IssueType("10002", "Improvement")])]


def parse_seed(seed: dict[str, Any]) -> tuple[list[Project], list[CustomField]] | None:
    """Projects and custom fields from the `"jira"` part of a seed (docs/sandbox-seed.md); None if absent."""
    part = seed.get("jira")
    if part is None:
        return None
    if not isinstance(part, dict):
        raise ValueError("seed: 'jira' must be an object")
    projects = [_parse_project(raw) for raw in part.get("projects") or []] or default_projects()
    fields = [_parse_custom_field(raw) for raw in part.get("custom_fields") or []]
    _check_unique([p.id for p in projects], "project id")
    _check_unique([p.key for p in projects], "project key")
    _check_unique([f.id for f in fields], "custom field id")
    return projects, fields


def _parse_project(raw: Any) -> Project:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in ("id", "key")):
        raise ValueError(f"seed: a jira project needs string 'id' and 'key': {raw!r}")
    if not raw["key"].isupper() or not raw["key"].isalnum():
        raise ValueError(f"seed: jira project key {raw['key']!r} must be upper-case letters and digits")
    types = [
        IssueType(str(t["id"]), str(t["name"]), frozenset(map(str, t.get("not_on_create_screen") or ())))
        for t in raw.get("issue_types") or [{"id": "10001", "name": "Task"}]
    ]
    return Project(raw["id"], raw["key"], str(raw.get("name") or raw["key"]), types)


def _parse_custom_field(raw: Any) -> CustomField:
    if not isinstance(raw, dict) or not str(raw.get("id", "")).startswith("customfield_"):
        raise ValueError(f"seed: a jira custom field needs an id like 'customfield_10050': {raw!r}")
    kind = raw.get("type", "number")
    if kind not in ("number", "string"):
        raise ValueError(f"seed: custom field {raw['id']}: type must be 'number' or 'string', not {kind!r}")
    if not str(raw["id"]).removeprefix("customfield_").isdigit():
        raise ValueError(f"seed: custom field id {raw['id']!r} must end in digits")
    return CustomField(str(raw["id"]), str(raw.get("name") or raw["id"]), kind)


def _check_unique(values: list[str], what: str) -> None:
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"seed: duplicate {what}: {', '.join(duplicates)}")


# -- the whole board -------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    account_id: str
    name: str
    key: str
    email: str
    display_name: str


class JiraState:
    """All sandbox data plus lookups. Callers hold the server lock while using it."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.projects: list[Project] = default_projects()
        self.custom_fields: list[CustomField] = []
        self.issues: dict[int, StoredIssue] = {}
        self.keys: dict[str, int] = {}
        self.issue_links: list[IssueLink] = []
        self.search_cache: dict[Any, Any] = {}  # ordered views of the board, kept by jira_search
        self._counters = {"issue": 10001, "remotelink": 10000, "comment": 10000, "issuelink": 10000}

    def next_id(self, kind: str) -> int:
        value = self._counters[kind]
        self._counters[kind] = value + 1
        return value

    def project(self, id_or_key: str) -> Project | None:
        wanted = id_or_key.upper()
        return next((p for p in self.projects if p.id == id_or_key or p.key == wanted), None)

    def issue(self, id_or_key: str) -> StoredIssue | None:
        if id_or_key.isdigit():
            return self.issues.get(int(id_or_key))
        issue_id = self.keys.get(id_or_key.upper())
        return None if issue_id is None else self.issues.get(issue_id)

    def issue_types(self) -> list[IssueType]:
        seen: dict[str, IssueType] = {}
        for project in self.projects:
            for issue_type in project.issue_types:
                seen.setdefault(issue_type.id, issue_type)
        return list(seen.values())

    def issue_type(self, issue_type_id: str) -> IssueType | None:
        return next((t for t in self.issue_types() if t.id == issue_type_id), None)

    def off_create_screen(self, project_id: str, issue_type_id: str) -> frozenset[str]:
        """Custom field ids the create screen of this project and issue type leaves out."""
        project = self.project(project_id)
        found = next((t for t in project.issue_types if t.id == issue_type_id), None) if project else None
        return found.off_create_screen if found else frozenset()

    def custom_field(self, field_id: str) -> CustomField | None:
        return next((f for f in self.custom_fields if f.id == field_id), None)

    def add_issue(self, record: IssueRecord, now: float, lag: float) -> StoredIssue:
        issue = StoredIssue(record)
        issue.commit(now, lag)
        self.issues[record.id] = issue
        self.keys[record.key] = record.id
        return issue

    def remove_issue(self, issue: StoredIssue) -> None:
        changed()
        del self.issues[issue.id]
        self.keys = {key: i for key, i in self.keys.items() if i != issue.id}
        self.issue_links = [link for link in self.issue_links if issue.id not in (link.inward_id, link.outward_id)]

"""Issue fields for the Jira sandbox: the field catalogue (`/field`), validation of written values
(create, edit, transition screens) and the JQL view of an issue.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cxsync.sandbox import adf
from cxsync.sandbox.jira_model import (
    CATEGORY_DONE,
    CATEGORY_IN_PROGRESS,
    CATEGORY_NEW,
    DEFAULT_PRIORITY,
    PRIORITIES,
    STATUS_CATEGORIES,
    STATUSES,
    ApiVersion,
    Comment,
    CustomField,
    Flavor,
    IssueRecord,
    JiraState,
    Project,
    status_by_id,
)
from cxsync.sandbox.jql import FieldSpec

MAX_SUMMARY = 255
MAX_LABEL = 255
MAX_STRING_FIELD = 255
NOT_SETTABLE = "Field '{0}' cannot be set. It is not on the appropriate screen, or unknown."
_CATEGORY_ORDER = (CATEGORY_NEW.id, CATEGORY_IN_PROGRESS.id, CATEGORY_DONE.id)
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"


@dataclass(frozen=True)
class FieldDef:
    id: str
    name: str
    schema: dict[str, Any]
    clause_names: tuple[str, ...]
    navigable: bool = True
    orderable: bool = True
    custom: bool = False


def _system(field_id: str, name: str, schema_type: str, *clauses: str, **extra: Any) -> FieldDef:
    schema: dict[str, Any] = {"type": schema_type, "system": field_id}
    if "items" in extra:
        schema = {"type": schema_type, "items": extra.pop("items"), "system": field_id}
    return FieldDef(field_id, name, schema, clauses or (field_id,), **extra)


SYSTEM_FIELDS = (
    _system("issuekey", "Key", "string", "id", "issue", "issuekey", "key", navigable=False),
    _system("summary", "Summary", "string"),
    _system("description", "Description", "string"),
    _system("labels", "Labels", "array", items="string"),
    _system("status", "Status", "status"),
    _system("priority", "Priority", "priority"),
    _system("issuetype", "Issue Type", "issuetype", "issuetype", "type"),
    _system("project", "Project", "project"),
    _system("created", "Created", "datetime", "created", "createdDate"),
    _system("updated", "Updated", "datetime", "updated", "updatedDate"),
    _system("assignee", "Assignee", "user"),
    _system("reporter", "Reporter", "user"),
    _system("resolution", "Resolution", "resolution"),
    _system("resolutiondate", "Resolved", "datetime", "resolutiondate", "resolved"),
    _system("issuelinks", "Linked Issues", "array", "issueLink", items="issuelinks", orderable=False),
    _system("comment", "Comment", "comments-page", navigable=False, orderable=False),
)
# Fields an issue bean carries under "fields" (issuekey is the bean's own "key").
ISSUE_FIELD_IDS = tuple(f.id for f in SYSTEM_FIELDS if f.id != "issuekey")


def custom_field_def(cf: CustomField) -> FieldDef:
    plugin = "float" if cf.type == "number" else "textfield"
    schema = {
        "type": cf.type,
        "custom": f"com.atlassian.jira.plugin.system.customfieldtypes:{plugin}",
        "customId": cf.number,
    }
    return FieldDef(cf.id, cf.name, schema, (f"cf[{cf.number}]", cf.name), custom=True)


def all_fields(state: JiraState) -> list[FieldDef]:
    return [*SYSTEM_FIELDS, *(custom_field_def(cf) for cf in state.custom_fields)]


def field_details(defn: FieldDef) -> dict[str, Any]:
    """A `FieldDetails` object of `GET /field`."""
    return {
        "id": defn.id,
        "key": defn.id,
        "name": defn.name,
        "custom": defn.custom,
        "orderable": defn.orderable,
        "navigable": defn.navigable,
        "searchable": True,
        "clauseNames": list(defn.clause_names),
        "schema": defn.schema,
    }


# -- writing fields --------------------------------------------------------------------------------


class FieldErrors(Exception):
    """Per-field 400 messages, answered as `{"errorMessages":[],"errors":{…}}`."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class Writer:
    """Applies `fields` and `update` of a create/edit/transition body to a copy of a record."""

    state: JiraState
    version: ApiVersion
    flavor: Flavor
    now: float

    def apply(self, record: IssueRecord, fields: Any, update: Any, *, creating: bool) -> list[Comment]:
        """Validate and apply; raises FieldErrors with every problem found. Returns comments to add."""
        if not isinstance(fields, dict) or not isinstance(update, dict):
            raise FieldErrors({"fields" if not isinstance(fields, dict) else "update": "must be an object"})
        errors: dict[str, str] = {}
        comments: list[Comment] = []
        # the project decides which issue types are valid, so it goes first
        for name in sorted(fields, key=lambda n: n != "project"):
            with _collect(errors, name):
                self._set(record, name, fields[name], creating=creating)
        for name, ops in update.items():
            with _collect(errors, name):
                comments.extend(self._update(record, name, ops))
        if creating:
            self._check_required(record, fields, errors)
            off_screen = self.state.off_create_screen(record.project_id, record.issuetype_id)
            errors.update({n: NOT_SETTABLE.format(n) for n in fields if n in off_screen and n not in errors})
        if errors:
            raise FieldErrors(errors)
        return comments

    def _check_required(self, record: IssueRecord, fields: dict[str, Any], errors: dict[str, str]) -> None:
        if "project" not in fields and "project" not in errors:
            errors["project"] = "Specify a valid project ID or key"
        if "issuetype" not in fields and "issuetype" not in errors:
            errors["issuetype"] = "Specify an issue type"
        if not record.summary and "summary" not in errors:
            errors["summary"] = "You must specify a summary of the issue."

    def _set(self, record: IssueRecord, name: str, value: Any, *, creating: bool) -> None:
        if name == "summary":
            record.summary = check_summary(value)
        elif name == "description":
            record.description = self.rich_text(value)
        elif name == "labels":
            if value is not None and not isinstance(value, list):
                raise ValueError("Operation value must be a list of strings")
            record.labels = [check_label(label) for label in value or []]
        elif name == "priority":
            record.priority_id = self._priority(value)
        elif name in ("assignee", "reporter"):
            setattr(record, name, self._user(value, name))
        elif name == "project" and creating:
            self._project(record, value)
        elif name == "issuetype":
            record.issuetype_id = self._issue_type(record.project_id, value)
        elif (cf := self.state.custom_field(name)) is not None:
            record.custom[name] = check_custom(cf, value)
        else:
            raise ValueError(NOT_SETTABLE.format(name))

    def _update(self, record: IssueRecord, name: str, ops: Any) -> list[Comment]:
        if not isinstance(ops, list) or not all(isinstance(op, dict) and len(op) == 1 for op in ops):
            raise ValueError(f"Field '{name}': update operations must be a list of single-key objects")
        comments: list[Comment] = []
        for op in ops:
            ((verb, value),) = op.items()
            if name == "labels" and verb in ("add", "remove"):
                label = check_label(value)
                if verb == "add" and label not in record.labels:
                    record.labels.append(label)
                elif verb == "remove" and label in record.labels:
                    record.labels.remove(label)
            elif name == "comment" and verb == "add":
                body = value.get("body") if isinstance(value, dict) else None
                comments.append(self.new_comment(body))
            elif verb == "set" and name != "comment":
                self._set(record, name, value, creating=False)
            else:
                raise ValueError(f"Field '{name}' does not support operation '{verb}'")
        return comments

    def rich_text(self, value: Any) -> str | dict[str, Any] | None:
        """A description or comment body: ADF on v3, a (wiki markup) string on v2."""
        if value is None:
            return None
        if self.version == "3":
            if not adf.is_doc_shaped(value):
                raise ValueError(NOT_ADF)
            try:
                adf.validate_doc(value)
            except adf.AdfError as problem:
                raise InvalidAdf(str(problem)) from None
            return copy.deepcopy(value)  # type: ignore[no-any-return]
        if not isinstance(value, str):
            raise ValueError("Operation value must be a string")
        return value or None

    def new_comment(self, body: Any) -> Comment:
        if self.version == "3" and not adf.is_doc_shaped(body):
            raise FieldErrors({"comment": "Comment body is not valid!"})
        if body is None or body == "":
            raise FieldErrors({"comment": "Comment body can not be empty!"})
        try:
            stored = self.rich_text(body)
        except ValueError as problem:
            raise FieldErrors({"comment": str(problem)}) from None
        assert stored is not None
        return Comment(self.state.next_id("comment"), stored, self.now, self.now)

    def _priority(self, value: Any) -> str:
        if value is None:
            return DEFAULT_PRIORITY.id
        ref = value if isinstance(value, dict) else {}
        for priority in PRIORITIES:
            if ref.get("id") == priority.id or ref.get("name") == priority.name:
                return priority.id
        raise ValueError(f"Specify the Priority (id or name) in the proper format: {json.dumps(value)}")

    def _user(self, value: Any, name: str) -> str | None:
        if value is None:
            return None
        ref_key = "accountId" if self.flavor == "cloud" else "name"
        ref = value.get(ref_key) if isinstance(value, dict) else None
        if not isinstance(ref, str) or not ref:
            raise ValueError(f'Specify a valid value for {name} ({{"{ref_key}": …}})')
        return ref

    def _project(self, record: IssueRecord, value: Any) -> None:
        ref = value if isinstance(value, dict) else {}
        project = self.state.project(str(ref.get("id") or ref.get("key") or "")) if ref else None
        if project is None:
            raise ValueError("Specify a valid project ID or key")
        record.project_id = project.id

    def _issue_type(self, project_id: str, value: Any) -> str:
        ref = value if isinstance(value, dict) else {}
        project = self.state.project(project_id)
        for issue_type in project.issue_types if project else self.state.issue_types():
            if str(ref.get("id")) == issue_type.id or ref.get("name") == issue_type.name:
                return issue_type.id
        raise ValueError("Specify an issue type" if not ref else "The issue type selected is invalid.")


class InvalidAdf(Exception):
    """A v3 document that is ADF-shaped but breaks the ADF schema; real Jira answers INVALID_INPUT."""


@contextmanager
def _collect(errors: dict[str, str], name: str) -> Iterator[None]:
    try:
        yield
    except FieldErrors as problem:
        errors.update(problem.errors)
    except ValueError as problem:
        errors[name] = str(problem)


def check_summary(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("You must specify a summary of the issue.")
    if "\n" in value or "\r" in value:
        raise ValueError("The summary is invalid because it contains newline characters.")
    if len(value) > MAX_SUMMARY:
        raise ValueError(f"Summary must be less than {MAX_SUMMARY} characters.")
    return value


def check_label(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("Labels must be non-empty strings.")
    if any(char.isspace() for char in value):
        raise ValueError(f"The label '{value}' contains spaces which is invalid.")
    if len(value) > MAX_LABEL:
        raise ValueError(
            f"The label '{value}' exceeds the maximum length for a single label of {MAX_LABEL} characters."
        )
    return value


def check_custom(cf: CustomField, value: Any) -> Any:
    if value is None:
        return None
    if cf.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("Operation value must be a number")
        return value
    if not isinstance(value, str):
        raise ValueError("Operation value must be a string")
    if len(value) > MAX_STRING_FIELD:
        raise ValueError(f"Text is too long. Please shorten it to {MAX_STRING_FIELD} characters or less.")
    return value


def new_record(state: JiraState, issue_id: int, now: float) -> IssueRecord:
    """An empty record that a create body fills in."""
    return IssueRecord(
        id=issue_id,
        key="",
        project_id="",
        issuetype_id="",
        summary="",
        description=None,
        labels=[],
        priority_id=DEFAULT_PRIORITY.id,
        status_id=STATUSES[0].id,
        created=now,
        updated=now,
        reporter=state.user.account_id,
    )


# -- the JQL view of an issue ----------------------------------------------------------------------


def jql_lookup(state: JiraState, flavor: Flavor) -> Callable[[str], FieldSpec | None]:
    """Field name (as written in JQL, any case) → FieldSpec."""
    specs: dict[str, FieldSpec] = {}

    def add(spec: FieldSpec, *names: str) -> None:
        for name in names:
            specs[name.lower()] = spec

    add(FieldSpec("project", "project", "enum", _resolver(_project_aliases(state.projects))), "project")
    missing_key = "An issue with key '{value}' does not exist for field '{field}'."
    add(FieldSpec("key", "key", "enum", _key_resolver(state), missing_key), "key", "issuekey", "issue")
    add(FieldSpec("id", "id", "number"), "id")
    add(FieldSpec("labels", "labels", "enum"), "labels", "label")
    add(FieldSpec("status", "status", "enum", _resolver({a for s in STATUSES for a in (s.id, s.name)})), "status")
    categories = {a for c in STATUS_CATEGORIES for a in (str(c.id), c.key, c.name)}
    add(FieldSpec("statusCategory", "statusCategory", "enum", _resolver(categories)), "statusCategory")
    add(FieldSpec("summary", "summary", "text"), "summary")
    add(FieldSpec("description", "description", "text"), "description")
    add(FieldSpec("text", "text", "text"), "text")
    for name in ("created", "updated", "resolutiondate"):
        add(FieldSpec(name, name, "date"), name)
    add(specs["created"], "createdDate")
    add(specs["updated"], "updatedDate")
    add(specs["resolutiondate"], "resolved")
    types = _resolver({a for t in state.issue_types() for a in (t.id, t.name)})
    add(FieldSpec("issuetype", "issuetype", "enum", types), "issuetype", "type")
    priorities = _resolver({a for p in PRIORITIES for a in (p.id, p.name)})
    add(FieldSpec("priority", "priority", "enum", priorities), "priority")
    me = state.user.account_id if flavor == "cloud" else state.user.name
    for name in ("assignee", "reporter"):
        add(FieldSpec(name, name, "enum", _user_resolver(me)), name)
    for cf in state.custom_fields:
        spec = FieldSpec(cf.id, cf.name, "number" if cf.type == "number" else "text")
        add(spec, f"cf[{cf.number}]", cf.name)
    return lambda name: specs.get(name.lower())


def _user_resolver(me: str) -> Callable[[str], str | None]:
    return lambda value: me.lower() if value == "currentuser()" else value


def _resolver(aliases: set[str]) -> Callable[[str], str | None]:
    lowered = {alias.lower() for alias in aliases}
    return lambda value: value if value in lowered else None


def _project_aliases(projects: list[Project]) -> set[str]:
    return {alias for p in projects for alias in (p.id, p.key, p.name)}


def _key_resolver(state: JiraState) -> Callable[[str], str | None]:
    moved: list[set[str]] = []  # old keys of moved issues, gathered on first need (not for every query)

    def resolve(value: str) -> str | None:
        if value.isdigit():  # `key = 10001` also finds an issue by id
            issue = state.issues.get(int(value))
            return issue.record.key.lower() if issue else None
        if value.upper() in state.keys:
            return value
        if not moved:
            moved.append({k.lower() for issue in state.issues.values() for k in issue.record.previous_keys})
        return value if value in moved[0] else None

    return resolve


def jql_values(state: JiraState, record: IssueRecord, description: str | None = None) -> dict[str, list[Any]]:
    """The record as JQL sees it: lower-case aliases for enums, floats for numbers and dates.

    `description` is the record's description as plain text, when the caller has it already.
    """
    project = state.project(record.project_id)
    status = status_by_id(record.status_id)
    issue_type = state.issue_type(record.issuetype_id)
    priority = next(p for p in PRIORITIES if p.id == record.priority_id)
    description = _plain(record.description) if description is None else description
    values: dict[str, list[Any]] = {
        "project": [a.lower() for a in (project.id, project.key, project.name)] if project else [],
        "key": [k.lower() for k in (record.key, *record.previous_keys)],
        "id": [float(record.id)],
        "labels": [label.lower() for label in record.labels],
        "status": [status.id.lower(), status.name.lower()],
        "statusCategory": [str(status.category.id), status.category.key, status.category.name.lower()],
        "summary": [record.summary.lower()],
        "description": [description.lower()] if description else [],
        "text": [f"{record.summary}\n{description}".lower()],
        "created": [record.created],
        "updated": [record.updated],
        "resolutiondate": [record.resolution_date] if record.resolution_date is not None else [],
        "issuetype": [a.lower() for a in (issue_type.id, issue_type.name)] if issue_type else [],
        "priority": [priority.id, priority.name.lower()],
        "assignee": [record.assignee.lower()] if record.assignee else [],
        "reporter": [record.reporter.lower()] if record.reporter else [],
    }
    for cf in state.custom_fields:
        value = record.custom.get(cf.id)
        values[cf.id] = [] if value is None else [float(value) if cf.type == "number" else str(value).lower()]
    return values


def jql_sort_values(state: JiraState, record: IssueRecord, description: str | None = None) -> dict[str, Any]:
    """Comparable, JSON-serialisable ORDER BY values per field id (None = empty)."""
    description = _plain(record.description) if description is None else description
    project = state.project(record.project_id)
    number = int(record.key.rsplit("-", 1)[1]) if "-" in record.key else 0
    issue_type = state.issue_type(record.issuetype_id)
    status = status_by_id(record.status_id)
    values: dict[str, Any] = {
        "project": project.key if project else None,
        "key": [record.key.rsplit("-", 1)[0], number],
        "id": record.id,
        "labels": " ".join(sorted(record.labels)) or None,
        # real Jira orders statuses by workflow position and categories by id
        "status": [s.id for s in STATUSES].index(status.id),
        "statusCategory": _CATEGORY_ORDER.index(status.category.id),
        "summary": record.summary.lower(),
        "description": description.lower() or None,
        "text": None,
        "created": record.created,
        "updated": record.updated,
        "resolutiondate": record.resolution_date,
        "issuetype": issue_type.name.lower() if issue_type else None,
        "priority": int(record.priority_id),
        "assignee": record.assignee,
        "reporter": record.reporter,
    }
    for cf in state.custom_fields:
        values[cf.id] = record.custom.get(cf.id)
    return values


def search_values(state: JiraState, record: IssueRecord) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """`jql_values` and `jql_sort_values` of a record, its description rendered as text once."""
    description = _plain(record.description)
    return jql_values(state, record, description), jql_sort_values(state, record, description)


def _plain(value: str | dict[str, Any] | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else adf.to_text(value)

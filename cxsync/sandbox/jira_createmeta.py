"""Create metadata for the Jira sandbox: which fields the create screen of a project's issue type allows.

`GET /rest/api/{2|3}/issue/createmeta/{projectIdOrKey}/issuetypes` and `…/issuetypes/{issueTypeId}`,
the paged endpoints that replaced the old `GET /issue/createmeta` (Cloud, and Data Center since 8.4).
Cloud pages are `{startAt, maxResults, total}` plus `issueTypes` or `fields`
(`PageOfCreateMetaIssueTypes`, `PageOfCreateMetaIssueTypeWithField` in the v3 OpenAPI spec); Data
Center pages put the items in `values` and add `isLast`. `maxResults` defaults to 50 and is at most
200. A custom field listed in the issue type's `not_on_create_screen` (seed) is left out, and a
create that sets it is rejected, as real Jira does ("It is not on the appropriate screen").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cxsync.sandbox.base import Request, Response
from cxsync.sandbox.jira_fields import SYSTEM_FIELDS, FieldDef, custom_field_def
from cxsync.sandbox.jira_model import PRIORITIES, IssueType, Project
from cxsync.sandbox.jira_render import View
from cxsync.sandbox.jira_rules import fail

if TYPE_CHECKING:
    from cxsync.sandbox.jira_server import JiraSandbox

MAX_RESULTS = 200
Handler = Callable[[Request], Response]
# system fields on every create screen: (field id, required, operations)
_SCREEN = (
    ("issuetype", True, ["set"]),
    ("project", True, ["set"]),
    ("summary", True, ["set"]),
    ("description", False, ["set"]),
    ("labels", False, ["add", "set", "remove"]),
    ("priority", False, ["set"]),
    ("reporter", True, ["set"]),
    ("assignee", False, ["set"]),
)


def createmeta_routes(server: JiraSandbox, api: str) -> list[tuple[str, str, Handler]]:
    base = f"{api}/issue/createmeta/(?P<project>[^/]+)/issuetypes"
    return [
        ("GET", base, lambda request: _issue_types(server, request)),
        ("GET", f"{base}/(?P<type>[^/]+)", lambda request: _fields(server, request)),
    ]


def _project(server: JiraSandbox, request: Request) -> Project:
    project = server.state.project(request.params["project"])
    if project is None:
        raise fail(404, f"No project could be found with key '{request.params['project']}'.")
    return project


def _page(server: JiraSandbox, request: Request, items: list[dict[str, Any]], cloud_key: str) -> Response:
    start = _int(request.arg("startAt"), 0, "startAt")
    size = _int(request.arg("maxResults"), 50, "maxResults")
    if size > MAX_RESULTS:
        raise fail(400, f"Parameter 'maxResults' must not exceed the limit '{MAX_RESULTS}'")
    chunk = items[start : start + size]
    page: dict[str, Any] = {"maxResults": size, "startAt": start, "total": len(items)}
    if server.flavor == "cloud":
        return Response(200, {cloud_key: chunk, **page})
    return Response(200, {**page, "isLast": start + size >= len(items), "values": chunk})


def _int(raw: str | None, default: int, name: str) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise fail(400, f"The value '{raw}' is not valid for the parameter '{name}'.") from None
    if value < 0:
        raise fail(400, f"The '{name}' parameter must not be negative.")
    return value


def _issue_types(server: JiraSandbox, request: Request) -> Response:
    project = _project(server, request)
    view = server._view(request)
    return _page(server, request, [view.issue_type(t) for t in project.issue_types], "issueTypes")


def _fields(server: JiraSandbox, request: Request) -> Response:
    project = _project(server, request)
    wanted = request.params["type"]
    issue_type = next((t for t in project.issue_types if t.id == wanted), None)
    if issue_type is None:
        raise fail(404, f"Issue type with id '{wanted}' does not exist or is not in project {project.key}.")
    return _page(server, request, screen_fields(server._view(request), project, issue_type), "fields")


def screen_fields(view: View, project: Project, issue_type: IssueType) -> list[dict[str, Any]]:
    """`FieldCreateMetadata` for every field on the create screen of `issue_type` in `project`."""
    system = {d.id: d for d in SYSTEM_FIELDS}
    allowed: dict[str, list[dict[str, Any]]] = {
        "issuetype": [view.issue_type(issue_type)],
        "project": [view.project(project)],
        "priority": [view.priority(p) for p in PRIORITIES],
    }
    found = [_meta(system[fid], required, ops, allowed.get(fid)) for fid, required, ops in _SCREEN]
    for custom in view.state.custom_fields:
        if custom.id not in issue_type.off_create_screen:
            found.append(_meta(custom_field_def(custom), False, ["set"], None))
    return found


def _meta(
    defn: FieldDef, required: bool, operations: list[str], allowed: list[dict[str, Any]] | None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "required": required,
        "schema": defn.schema,
        "name": defn.name,
        "key": defn.id,
        "fieldId": defn.id,
        "hasDefaultValue": defn.id == "priority",
        "operations": operations,
    }
    if allowed is not None:
        meta["allowedValues"] = allowed
    return meta

"""A stateful loopback Jira server (Cloud or Data Center flavour) for tests and the demo.

It speaks the REST wire format that the `jira` 3.10.5 library uses and enforces the real limits and
quirks that bite integrations: ADF on v3 vs strings on v2, label rules, the 410 legacy search on
Cloud, token-paged `/search/jql` that returns ids only by default and rejects unbounded JQL, an
optional search index lag with `reconcileIssues`, remote-link upsert by `globalId`, 32 KB issue
properties, rate limits and injectable faults (see `cxsync.sandbox.base`).

The pieces: `jira_model` (state), `jira_fields` (field catalogue and validation), `jira_render`
(JSON shapes), `jira_rules` (errors, sub-resource rules), `jira_search` + `jql` (search), `adf`
(documents), `jira_board` (in-process test helpers).

Known simplifications: a moved issue's old key answers 404 on GET (real Jira redirects);
`/rest/api/latest` behaves like v2; `~` is a case-insensitive substring match, not a word search;
deleted issues leave the search index at once; there is one user and one global workflow.
"""

from __future__ import annotations

import base64
import binascii
import math
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from http import HTTPStatus
from typing import Any

from cxsync.sandbox.base import Fault, HttpError, Request, Response, SandboxServer
from cxsync.sandbox.jira_board import BoardHelpers
from cxsync.sandbox.jira_createmeta import createmeta_routes
from cxsync.sandbox.jira_fields import (
    NOT_SETTABLE,
    FieldErrors,
    InvalidAdf,
    Writer,
    all_fields,
    field_details,
    new_record,
)
from cxsync.sandbox.jira_model import (
    LINK_TYPES,
    PRIORITIES,
    STATUS_CATEGORIES,
    STATUSES,
    ApiVersion,
    Flavor,
    IssueLink,
    JiraState,
    RemoteLink,
    StoredIssue,
    User,
    copy_record,
    parse_seed,
)
from cxsync.sandbox.jira_render import View, parse_selection, split_tokens
from cxsync.sandbox.jira_rules import (
    check_properties,
    check_property_size,
    check_remote_link,
    enter_status,
    error_body,
    fail,
    field_errors_as_400,
    fill_remote_link,
    find_remote_link,
    invalid_input,
    json_body,
    link_type,
    transition_target,
)
from cxsync.sandbox.jira_search import LEGACY_SEARCH_GONE, SearchIndex, derive, int_param

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
MAX_BULK = 50
MAX_MULTI_ISSUES = 100  # POST issue/properties/multi
MAX_REMOTE_LINKS = 2000
MAX_COMMENTS = 5000
# project permissions the sandbox knows for GET /mypermissions (key → display name)
_PERMISSIONS = {
    "BROWSE_PROJECTS": "Browse Projects",
    "CREATE_ISSUES": "Create Issues",
    "EDIT_ISSUES": "Edit Issues",
    "LINK_ISSUES": "Link Issues",
    "ADD_COMMENTS": "Add Comments",
    "TRANSITION_ISSUES": "Transition Issues",
    "DELETE_ISSUES": "Delete Issues",
}
Handler = Callable[[Request], Response]


class JiraSandbox(BoardHelpers, SandboxServer):
    """A Jira Cloud (`flavor="cloud"`) or Data Center (`"datacenter"`) sandbox on 127.0.0.1.

    Cloud accepts only Basic `email:api_token`, Data Center only `Bearer <pat>`. With
    `search_lag_seconds > 0`, searches see each issue as it was that many seconds ago by `clock`
    (new issues invisible, edits not yet visible) unless its id is in `reconcileIssues`.
    """

    name = "jira-sandbox"

    def __init__(
        self,
        flavor: Flavor = "cloud",
        *,
        email: str = "sandbox@example.com",
        api_token: str = "sandbox-jira-token",
        pat: str = "sandbox-jira-pat",
        search_lag_seconds: float = 0.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        if flavor not in ("cloud", "datacenter"):
            raise ValueError(f"flavor must be 'cloud' or 'datacenter', not {flavor!r}")
        self.flavor: Flavor = flavor
        self.email = email
        self.api_token = api_token
        self.pat = pat
        self.search_lag_seconds = search_lag_seconds
        self.clock: Callable[[], float] = clock or time.time
        self.state = JiraState(User("557058:5f8a2c3e-sandbox-user", "sandbox", "JIRAUSER10000", email, "Sandbox User"))
        # (method, path, parsed JSON body) of recent writes, for tests that check what a client sent
        self.bodies: deque[tuple[str, str, Any]] = deque(maxlen=1000)
        # permission keys the sandbox user lacks (GET /mypermissions answers havePermission=false)
        self.denied_permissions: set[str] = set()
        self.tasks: dict[str, dict[str, Any]] = {}  # asynchronous tasks (bulk property sets), by id
        for method, pattern, handler in self._routes_table():
            self.route(method, pattern, handler)

    def seed(self, seed: dict[str, Any]) -> None:
        """Load the `"jira"` part of a seed (projects, issue types, custom fields); see docs/sandbox-seed.md."""
        parsed = parse_seed(seed)
        if parsed is None:
            return
        with self.lock:
            if self.state.issues:
                raise RuntimeError("seed the Jira sandbox before creating issues")
            self.state.projects, self.state.custom_fields = parsed

    def last_body(self, method: str, path_suffix: str) -> Any:
        """The JSON body of the latest `method` request whose path ends with `path_suffix`."""
        for seen_method, path, body in reversed(self.bodies):
            if seen_method == method.upper() and path.endswith(path_suffix):
                return body
        raise KeyError(f"no {method} request to …{path_suffix} seen")

    def _routes_table(self) -> list[tuple[str, str, Handler]]:
        api = "/rest/api/(?P<v>2|3|latest)" if self.flavor == "cloud" else "/rest/api/(?P<v>2|latest)"
        issue = f"{api}/issue/(?P<issue>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", f"{api}/serverInfo", self._server_info),
            ("GET", f"{api}/myself", self._myself),
            ("GET", f"{api}/mypermissions", self._my_permissions),
            ("GET", f"{api}/field", self._fields),
            ("GET", f"{api}/project", self._projects),
            ("GET", f"{api}/project/(?P<project>[^/]+)", self._project),
            ("GET", f"{api}/issuetype", self._issue_types),
            ("GET", f"{api}/priority", self._priorities),
            ("GET", f"{api}/statuscategory", self._status_categories),
            ("GET", f"{api}/status", self._statuses),
            ("GET", f"{api}/issueLinkType", self._link_types),
            ("POST", f"{api}/issueLink", self._create_issue_link),
            ("GET", f"{api}/issueLink/(?P<link>\\d+)", self._get_issue_link),
            ("DELETE", f"{api}/issueLink/(?P<link>\\d+)", self._delete_issue_link),
            ("POST", f"{api}/issue", self._create_issue),
            ("POST", f"{api}/issue/bulk", self._create_bulk),
            *([("POST", f"{api}/issue/properties/multi", self._set_properties_multi)] if self.flavor == "cloud" else []),
            ("GET", f"{api}/task/(?P<task>\\d+)", self._get_task),
            ("GET", issue, self._get_issue),
            ("PUT", issue, self._edit_issue),
            ("DELETE", issue, self._delete_issue),
            ("GET", f"{issue}/remotelink", self._get_remote_links),
            ("POST", f"{issue}/remotelink", self._upsert_remote_link),
            ("DELETE", f"{issue}/remotelink", self._delete_remote_link_by_global_id),
            ("GET", f"{issue}/remotelink/(?P<link>\\d+)", self._get_remote_link),
            ("PUT", f"{issue}/remotelink/(?P<link>\\d+)", self._put_remote_link),
            ("DELETE", f"{issue}/remotelink/(?P<link>\\d+)", self._delete_remote_link),
            ("GET", f"{issue}/properties", self._property_keys),
            ("GET", f"{issue}/properties/(?P<key>[^/]+)", self._get_property),
            ("PUT", f"{issue}/properties/(?P<key>[^/]+)", self._put_property),
            ("DELETE", f"{issue}/properties/(?P<key>[^/]+)", self._delete_property),
            ("GET", f"{issue}/comment", self._get_comments),
            ("POST", f"{issue}/comment", self._add_comment),
            ("GET", f"{issue}/transitions", self._get_transitions),
            ("POST", f"{issue}/transitions", self._do_transition),
            *createmeta_routes(self, api),
        ]
        if self.flavor == "cloud":
            table += [
                ("GET", f"{api}/search/jql", self._search_jql),
                ("POST", f"{api}/search/jql", self._search_jql),
                ("POST", f"{api}/search/approximate-count", self._approximate_count),
                ("GET", f"{api}/search", self._legacy_search_gone),
                ("POST", f"{api}/search", self._legacy_search_gone),
            ]
        else:
            table += [("GET", f"{api}/search", self._legacy_search), ("POST", f"{api}/search", self._legacy_search)]
        return table

    # -- base hooks --------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        with self.lock:
            if request.body and request.method in ("POST", "PUT"):
                with suppress(ValueError):
                    self.bodies.append((request.method, request.path, request.json()))
            return super().dispatch(request)

    def epoch_now(self) -> float:
        return float(self.clock())

    def authenticate(self, request: Request) -> Response | None:
        scheme, _, credentials = (request.header("authorization") or "").partition(" ")
        if self.flavor == "cloud" and scheme.lower() == "basic":
            with suppress(binascii.Error, UnicodeDecodeError):
                if base64.b64decode(credentials.strip(), validate=True).decode() == f"{self.email}:{self.api_token}":
                    return None
        if self.flavor == "datacenter" and scheme.lower() == "bearer" and credentials.strip() == self.pat:
            return None
        headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
        if self.flavor == "datacenter":
            headers = {"WWW-Authenticate": 'OAuth realm="jira"', "X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
        return Response(401, error_body("Client must be authenticated to access this resource."), headers)

    def not_found(self, request: Request, *, method_mismatch: bool) -> Response:
        if method_mismatch:
            return Response(405, error_body(f"Method {request.method} is not allowed here."))
        return Response(404, error_body(f"null for uri: {self.base_url}{request.path}"))

    def rate_limited(self, retry_after: float) -> Response:
        return Response(
            429, error_body("Rate limit exceeded."), self._rate_limit_headers(max(1, math.ceil(retry_after)))
        )

    def _rate_limit_headers(self, wait: int | None) -> dict[str, str]:
        reset = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(self.clock() + (wait or 1)))
        headers = {
            "X-RateLimit-Limit": str(int(self.rate_limiter.burst)) if self.rate_limiter else "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
            "X-RateLimit-NearLimit": "true",
            "RateLimit-Reason": "jira-burst-based",
        }
        if wait is not None:
            headers["Retry-After"] = str(wait)
        return headers

    def internal_error(self) -> Response:
        return Response(500, error_body("Internal server error"))

    def fault_response(self, fault: Fault) -> Response:
        """Injected errors get a Jira ErrorCollection body (jira lib crashes on a `null` error body)."""
        status = fault.status or 500
        body = fault.body
        if body is None and status >= 400:
            try:
                body = error_body(HTTPStatus(status).phrase)
            except ValueError:
                body = error_body("Error")
        headers = dict(fault.headers)
        if status == 429:  # the test decides whether Retry-After is present
            headers = {**self._rate_limit_headers(None), **headers}
        return Response(status, body, headers)

    # -- request helpers ---------------------------------------------------------------------------
    def _now(self) -> float:
        return float(self.clock())

    def _view(self, request: Request) -> View:
        segment = request.params["v"]
        version: ApiVersion = "3" if segment == "3" else "2"
        return View(self.state, self.base_url, segment, version, self.flavor)

    def _writer(self, request: Request) -> Writer:
        return Writer(self.state, self._view(request).version, self.flavor, self._now())

    def _index(self) -> SearchIndex:
        return SearchIndex(self.state, self.flavor, self._now(), self.search_lag_seconds)

    def _issue(self, request: Request) -> StoredIssue:
        issue = self.state.issue(request.params["issue"])
        if issue is None:
            raise fail(404, ISSUE_NOT_FOUND)
        return issue

    def _bean(self, request: Request, issue: StoredIssue) -> dict[str, Any]:
        selected = parse_selection(split_tokens(request.query.get("fields", [])), self.state, "*all")
        return self._view(request).issue_bean(
            issue,
            issue.record,
            selected,
            expand=split_tokens(request.query.get("expand", [])),
            properties=split_tokens(request.query.get("properties", [])),
        )

    # -- reference data ----------------------------------------------------------------------------
    def _server_info(self, request: Request) -> Response:
        return Response(200, self._view(request).server_info(self._now()))

    def _myself(self, request: Request) -> Response:
        return Response(200, self._view(request).myself())

    def _my_permissions(self, request: Request) -> Response:
        """The caller's permissions, optionally in a project; Cloud requires `permissions` (comma-separated)."""
        wanted = [k for value in request.query.get("permissions", []) for k in value.split(",") if k]
        if not wanted and self.flavor == "cloud":
            raise fail(400, "The 'permissions' query parameter is required.")
        unknown = [k for k in wanted if k not in _PERMISSIONS]
        if unknown:
            raise fail(400, f"Invalid permission key(s): {', '.join(unknown)}")
        project_keys = request.query.get("projectKey") or request.query.get("projectId") or []
        project_key = project_keys[0] if project_keys else None
        if project_key is not None and self.state.project(project_key) is None:
            raise fail(404, f"No project could be found with key '{project_key}'.")
        permissions = {
            key: {
                "id": str(number),
                "key": key,
                "name": name,
                "type": "PROJECT",
                "description": f"Ability to {name.lower()}.",
                "havePermission": key not in self.denied_permissions,
            }
            for number, (key, name) in enumerate(_PERMISSIONS.items(), start=10)
            if not wanted or key in wanted
        }
        return Response(200, {"permissions": permissions})

    def _fields(self, request: Request) -> Response:
        return Response(200, [field_details(d) for d in all_fields(self.state)])

    def _projects(self, request: Request) -> Response:
        with_types = "issueTypes" in split_tokens(request.query.get("expand", []))
        view = self._view(request)
        return Response(200, [view.project(p, with_types=with_types) for p in self.state.projects])

    def _project(self, request: Request) -> Response:
        project = self.state.project(request.params["project"])
        if project is None:
            raise fail(404, f"No project could be found with key '{request.params['project']}'.")
        return Response(200, self._view(request).project(project, with_types=True))

    def _issue_types(self, request: Request) -> Response:
        return Response(200, [self._view(request).issue_type(t) for t in self.state.issue_types()])

    def _priorities(self, request: Request) -> Response:
        return Response(200, [self._view(request).priority(p) for p in PRIORITIES])

    def _status_categories(self, request: Request) -> Response:
        return Response(200, [self._view(request).category(c) for c in STATUS_CATEGORIES])

    def _statuses(self, request: Request) -> Response:
        return Response(200, [self._view(request).status(s) for s in STATUSES])

    def _link_types(self, request: Request) -> Response:
        return Response(200, {"issueLinkTypes": [self._view(request).link_type(t) for t in LINK_TYPES]})

    # -- create ------------------------------------------------------------------------------------
    def _create_issue(self, request: Request) -> Response:
        try:
            issue, transitioned = self._create_one(request, json_body(request))
        except _Rejected as rejected:
            raise HttpError(Response(rejected.status, rejected.body, rejected.headers)) from None
        created = self._created(request, issue)
        if transitioned:
            created["transition"] = {"status": 204, "errorCollection": error_body()}
        return Response(201, created)

    def _create_bulk(self, request: Request) -> Response:
        body = json_body(request)
        updates = body.get("issueUpdates") if isinstance(body, dict) else None
        if not isinstance(updates, list) or not updates:
            raise fail(400, "Field 'issueUpdates' is required and must be a non-empty list.")
        if len(updates) > MAX_BULK:
            raise fail(400, f"The number of issues to create must not exceed {MAX_BULK}.")
        issues: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for number, update in enumerate(updates):
            try:
                issue, _ = self._create_one(request, update)
            except _Rejected as rejected:
                errors.append(
                    {"status": rejected.status, "elementErrors": rejected.body, "failedElementNumber": number}
                )
            else:
                issues.append(self._created(request, issue))
        return Response(201 if issues else 400, {"issues": issues, "errors": errors})

    def _created(self, request: Request, issue: StoredIssue) -> dict[str, Any]:
        return {"id": str(issue.id), "key": issue.record.key, "self": self._view(request).api(f"issue/{issue.id}")}

    def _create_one(self, request: Request, body: Any) -> tuple[StoredIssue, bool]:
        """Validate a whole IssueUpdateDetails, then commit it atomically (issue, properties, comments)."""
        if not isinstance(body, dict):
            raise _Rejected(400, error_body("Can not deserialize IssueUpdateDetails from a non-object value."))
        now = self._now()
        record = new_record(self.state, 0, now)
        try:
            comments = self._writer(request).apply(
                record, body.get("fields") or {}, body.get("update") or {}, creating=True
            )
            properties = check_properties(body.get("properties"))
            status = transition_target(body["transition"], record) if body.get("transition") else None
        except FieldErrors as problem:
            raise _Rejected(400, error_body(errors=problem.errors)) from None
        except InvalidAdf as problem:
            response = invalid_input(problem).response
            raise _Rejected(response.status, response.body, response.headers) from None
        except HttpError as problem:
            raise _Rejected(problem.response.status, problem.response.body) from None
        project = self.state.project(record.project_id)
        assert project is not None  # the writer checked it
        record.id = self.state.next_id("issue")
        record.key = f"{project.key}-{project.next_number}"
        project.next_number += 1
        if status is not None:
            enter_status(record, status, now)
        issue = self.state.add_issue(record, now, self.search_lag_seconds)
        derive(self.state, issue.versions[-1])
        issue.comments.extend(comments)
        issue.properties.update(properties)
        return issue, status is not None

    # -- read, edit, delete ------------------------------------------------------------------------
    def _get_issue(self, request: Request) -> Response:
        return Response(200, self._bean(request, self._issue(request)))

    def _edit_issue(self, request: Request) -> Response:
        issue = self._issue(request)
        body = json_body(request)
        if not isinstance(body, dict):
            raise fail(400, "Can not deserialize IssueUpdateDetails from a non-object value.")
        draft = copy_record(issue.record)
        with field_errors_as_400():
            comments = self._writer(request).apply(
                draft, body.get("fields") or {}, body.get("update") or {}, creating=False
            )
        issue.properties.update(check_properties(body.get("properties")))
        if draft != issue.record or comments:  # an edit that changes nothing leaves `updated` alone
            issue.record = draft
            issue.comments.extend(comments)
            self._commit(issue)
        if (request.arg("returnIssue") or "").lower() == "true":
            return Response(200, self._bean(request, issue))
        return Response(204)

    def _delete_issue(self, request: Request) -> Response:
        self.state.remove_issue(self._issue(request))
        return Response(204)

    # -- remote links ------------------------------------------------------------------------------
    def _get_remote_links(self, request: Request) -> Response:
        issue = self._issue(request)
        view = self._view(request)
        global_id = request.arg("globalId")
        if global_id is None:
            return Response(200, [view.remote_link(issue, link) for link in issue.remote_links])
        return Response(200, view.remote_link(issue, find_remote_link(issue, global_id=global_id)))

    def _upsert_remote_link(self, request: Request) -> Response:
        """Idempotent by `globalId`: 200 when a link with that id was updated, 201 when created."""
        issue = self._issue(request)
        body = check_remote_link(json_body(request))
        global_id = body.get("globalId")
        link = next((x for x in issue.remote_links if global_id and x.global_id == global_id), None)
        status = 200
        if link is None:
            if len(issue.remote_links) >= MAX_REMOTE_LINKS:
                raise fail(413, f"The issue has reached the limit of {MAX_REMOTE_LINKS} remote links.")
            link = RemoteLink(self.state.next_id("remotelink"), None, None, None, {})
            issue.remote_links.append(link)
            status = 201
        fill_remote_link(link, body)
        return Response(status, {"id": link.id, "self": self._view(request).remote_link(issue, link)["self"]})

    def _get_remote_link(self, request: Request) -> Response:
        issue = self._issue(request)
        link = find_remote_link(issue, link_id=int(request.params["link"]))
        return Response(200, self._view(request).remote_link(issue, link))

    def _put_remote_link(self, request: Request) -> Response:
        issue = self._issue(request)
        link = find_remote_link(issue, link_id=int(request.params["link"]))
        fill_remote_link(link, check_remote_link(json_body(request)))
        return Response(204)

    def _delete_remote_link(self, request: Request) -> Response:
        issue = self._issue(request)
        issue.remote_links.remove(find_remote_link(issue, link_id=int(request.params["link"])))
        return Response(204)

    def _delete_remote_link_by_global_id(self, request: Request) -> Response:
        issue = self._issue(request)
        global_id = request.arg("globalId")
        if not global_id:
            raise fail(400, "The globalId query parameter is required.")
        issue.remote_links.remove(find_remote_link(issue, global_id=global_id))
        return Response(204)

    # -- issue properties --------------------------------------------------------------------------
    def _property_keys(self, request: Request) -> Response:
        issue = self._issue(request)
        view = self._view(request)
        return Response(
            200, {"keys": [{"key": k, "self": view.api(f"issue/{issue.id}/properties/{k}")} for k in issue.properties]}
        )

    def _get_property(self, request: Request) -> Response:
        issue = self._issue(request)
        key = request.params["key"]
        if key not in issue.properties:
            raise fail(404, f"The property with key '{key}' does not exist.")
        return Response(200, {"key": key, "value": issue.properties[key]})

    def _put_property(self, request: Request) -> Response:
        """201 when created, 200 when updated, both with an empty body."""
        issue = self._issue(request)
        key = request.params["key"]
        check_property_size(request.body.decode("utf-8", errors="replace"))
        value = check_properties([{"key": key, "value": json_body(request)}])[key]
        created = key not in issue.properties
        issue.properties[key] = value
        return Response(201 if created else 200, b"")

    def _set_properties_multi(self, request: Request) -> Response:
        """Cloud's bulk set by issue: validated whole, run at once, answered 303 to its task."""
        raw = json_body(request)
        entries = raw.get("issues") if isinstance(raw, dict) else None
        if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_MULTI_ISSUES:
            raise fail(400, f"'issues' must list between 1 and {MAX_MULTI_ISSUES} issues.")
        updates: list[tuple[StoredIssue | None, dict[str, Any]]] = []
        for entry in entries:
            issue_id = entry.get("issueID") if isinstance(entry, dict) else None
            props = entry.get("properties") if isinstance(entry, dict) else None
            if not isinstance(issue_id, int) or not isinstance(props, dict) or not 1 <= len(props) <= 10:
                raise fail(400, "Each issue needs an integer 'issueID' and between 1 and 10 'properties'.")
            values = check_properties([{"key": k, "value": v} for k, v in props.items()])
            updates.append((self.state.issue(str(issue_id)), values))
        for issue, values in updates:
            if issue is not None:  # "if an issue is not found, it is ignored"
                issue.properties.update(values)
        task = self._finished_task(request, "Bulk set issue properties by issue")
        return Response(303, b"", headers={"Location": task["self"]})

    def _finished_task(self, request: Request, description: str) -> dict[str, Any]:
        now = int(self._now() * 1000)
        task_id = str(10000 + len(self.tasks))
        task = {
            "self": self._view(request).api(f"task/{task_id}"),
            "id": task_id,
            "description": description,
            "status": "COMPLETE",
            "result": None,
            "submittedBy": 10000,
            "progress": 100,
            "elapsedRuntime": 1,
            "submitted": now,
            "started": now,
            "finished": now,
            "lastUpdate": now,
        }
        self.tasks[task_id] = task
        return task

    def _get_task(self, request: Request) -> Response:
        task = self.tasks.get(request.params["task"])
        if task is None:
            raise fail(404, "The task does not exist.")
        return Response(200, task)

    def _delete_property(self, request: Request) -> Response:
        issue = self._issue(request)
        key = request.params["key"]
        if issue.properties.pop(key, None) is None:
            raise fail(404, f"The property with key '{key}' does not exist.")
        return Response(204)

    # -- comments ----------------------------------------------------------------------------------
    def _get_comments(self, request: Request) -> Response:
        issue = self._issue(request)
        view = self._view(request)
        start = int_param(request.arg("startAt"), default=0, low=0, high=MAX_COMMENTS, name="startAt")
        size = int_param(request.arg("maxResults"), default=MAX_COMMENTS, low=0, high=MAX_COMMENTS)
        comments = [view.comment(issue, c) for c in issue.comments[start : start + size]]
        return Response(200, {"startAt": start, "maxResults": size, "total": len(issue.comments), "comments": comments})

    def _add_comment(self, request: Request) -> Response:
        issue = self._issue(request)
        body = json_body(request)
        if len(issue.comments) >= MAX_COMMENTS:
            raise fail(413, f"The issue has reached the limit of {MAX_COMMENTS} comments.")
        with field_errors_as_400():
            comment = self._writer(request).new_comment(body.get("body") if isinstance(body, dict) else None)
        issue.comments.append(comment)
        self._commit(issue)
        return Response(201, self._view(request).comment(issue, comment))

    # -- transitions -------------------------------------------------------------------------------
    def _get_transitions(self, request: Request) -> Response:
        transitions = self._view(request).transitions(self._issue(request).record)
        wanted = request.arg("transitionId")
        if wanted:
            transitions = [t for t in transitions if t["id"] == wanted]
        return Response(200, {"expand": "transitions", "transitions": transitions})

    def _do_transition(self, request: Request) -> Response:
        issue = self._issue(request)
        body = json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("transition"), dict):
            raise fail(400, "Missing 'transition' identifier")
        status = transition_target(body["transition"], issue.record)
        fields = body.get("fields") or {}
        if fields:  # the sandbox workflow has no transition screens
            raise fail(400, errors={name: NOT_SETTABLE.format(name) for name in fields})
        draft = copy_record(issue.record)
        with field_errors_as_400():
            comments = self._writer(request).apply(draft, {}, body.get("update") or {}, creating=False)
        enter_status(draft, status, self._now())
        issue.record = draft
        issue.comments.extend(comments)
        self._commit(issue)
        return Response(204)

    # -- issue links -------------------------------------------------------------------------------
    def _create_issue_link(self, request: Request) -> Response:
        """201 with an empty body, also when the same link exists already."""
        body = json_body(request)
        if not isinstance(body, dict):
            raise fail(400, "Can not deserialize LinkIssueRequestJsonBean from a non-object value.")
        kind = link_type(body.get("type"))
        inward = self._linked_issue(body.get("inwardIssue"))
        outward = self._linked_issue(body.get("outwardIssue"))
        if inward.id == outward.id:
            raise fail(400, "You cannot link an issue to itself.")
        if not any(
            (x.type, x.inward_id, x.outward_id) == (kind, inward.id, outward.id) for x in self.state.issue_links
        ):
            self.state.issue_links.append(IssueLink(self.state.next_id("issuelink"), kind, inward.id, outward.id))
        comment = body.get("comment")
        if isinstance(comment, dict) and comment.get("body"):
            with field_errors_as_400():
                outward.comments.append(self._writer(request).new_comment(comment["body"]))
        return Response(201, b"")

    def _linked_issue(self, ref: Any) -> StoredIssue:
        ref = ref if isinstance(ref, dict) else {}
        issue = self.state.issue(str(ref.get("key") or ref.get("id") or ""))
        if issue is None:
            raise fail(404, "Issue Does Not Exist")
        return issue

    def _get_issue_link(self, request: Request) -> Response:
        link = self._issue_link(request)
        view = self._view(request)
        body = {
            "id": str(link.id),
            "self": view.api(f"issueLink/{link.id}"),
            "type": view.link_type(link.type),
            "inwardIssue": view.issue_ref(self.state.issues[link.inward_id]),
            "outwardIssue": view.issue_ref(self.state.issues[link.outward_id]),
        }
        return Response(200, body)

    def _delete_issue_link(self, request: Request) -> Response:
        self.state.issue_links.remove(self._issue_link(request))
        return Response(204)

    def _issue_link(self, request: Request) -> IssueLink:
        wanted = int(request.params["link"])
        link = next((x for x in self.state.issue_links if x.id == wanted), None)
        if link is None:
            raise fail(404, f"No issue link with id '{wanted}' exists.")
        return link

    # -- search ------------------------------------------------------------------------------------
    def _legacy_search_gone(self, request: Request) -> Response:
        raise fail(410, LEGACY_SEARCH_GONE)

    def _search_jql(self, request: Request) -> Response:
        return Response(200, self._index().search_jql(request, self._view(request)))

    def _approximate_count(self, request: Request) -> Response:
        return Response(200, self._index().approximate_count(request))

    def _legacy_search(self, request: Request) -> Response:
        return Response(200, self._index().legacy_search(request, self._view(request)))


class _Rejected(Exception):
    """One create that failed validation (kept apart so bulk create can report it per element)."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}

"""The Jira sandbox, driven through the real `jira` 3.10.5 library over HTTP.

Nothing in the library is patched: every test talks to a `JiraSandbox` on 127.0.0.1 exactly as
cxsync does, and response bodies are checked against the official Jira Cloud OpenAPI schemas.

Known deviations from real Jira that these tests pin down: a moved issue's old key answers 404 on
GET (real Jira redirects); `/rest/api/latest` behaves like v2; `summary ~ x` is a substring match.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError
from jsonschema import Draft7Validator

from cxsync.sandbox.base import Fault
from cxsync.sandbox.jira_server import JiraSandbox

EMAIL = "cx-bot@example.com"
TOKEN = "sandbox-jira-token"
PAT = "sandbox-jira-pat"
SPEC_PATH = Path("/work/shared/specs/jira-platform-v3.openapi.json")
SEED = {
    "jira": {
        "projects": [
            {
                "id": "10000",
                "key": "CX",
                "name": "고객 경험 개선",
                "issue_types": [{"id": "10001", "name": "Task"}, {"id": "10002", "name": "Improvement"}],
            },
            {
                "id": "10100",
                "key": "VOC",
                "name": "Voice of Customer",
                "issue_types": [{"id": "10001", "name": "Task"}],
            },
        ],
        "custom_fields": [{"id": "customfield_10050", "name": "Customer requests", "type": "number"}],
    }
}
DOC = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hi"}]}]}

pytestmark = pytest.mark.filterwarnings("ignore:Unable to gather applicationlinks")


class FakeClock:
    """The sandbox clock, moved by hand so index-lag tests never sleep."""

    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_sandbox(flavor: str = "cloud", **kwargs: Any) -> JiraSandbox:
    sandbox = JiraSandbox(flavor, email=EMAIL, api_token=TOKEN, pat=PAT, **kwargs)  # type: ignore[arg-type]
    sandbox.seed(SEED)
    sandbox.start()
    return sandbox


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cloud(clock: FakeClock) -> Iterator[JiraSandbox]:
    sandbox = make_sandbox("cloud", clock=clock)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def dc(clock: FakeClock) -> Iterator[JiraSandbox]:
    sandbox = make_sandbox("datacenter", clock=clock)
    yield sandbox
    sandbox.stop()


def connect(sandbox: JiraSandbox, version: str = "2", retries: int = 0) -> JIRA:
    options = {"rest_api_version": version, "check_update": False}
    if sandbox.flavor == "cloud":
        return JIRA(server=sandbox.base_url, basic_auth=(EMAIL, TOKEN), options=options, max_retries=retries)
    return JIRA(server=sandbox.base_url, token_auth=PAT, options=options, max_retries=retries)


def bulk_create(client: JIRA, count: int, **fields: Any) -> None:
    """Create `count` issues in CX through POST /issue/bulk, 50 at a time."""
    for start in range(0, count, 50):
        batch = [
            {"project": {"key": "CX"}, "issuetype": {"name": "Task"}, "summary": f"Issue {n}", **fields}
            for n in range(start, min(count, start + 50))
        ]
        results = client.create_issues(batch, prefetch=False)
        assert all(r["status"] == "Success" for r in results)


def response_of(excinfo: pytest.ExceptionInfo[JIRAError]) -> requests.Response:
    response = excinfo.value.response
    assert isinstance(response, requests.Response)
    return response


def error_of(excinfo: pytest.ExceptionInfo[JIRAError]) -> Any:
    return response_of(excinfo).json()


# -- flavours and authentication -------------------------------------------------------------------


def test_cloud_construction_serves_v2_and_v3(cloud: JiraSandbox) -> None:
    for version in ("2", "3"):
        client = connect(cloud, version)
        info = client.server_info()
        assert info["deploymentType"] == "Cloud"
        assert info["versionNumbers"] == [1001, 0, 0]
        assert client._is_cloud
        assert client.myself()["emailAddress"] == EMAIL
    paths = [c.path for c in cloud.calls("GET", "serverInfo")]
    assert paths == ["/rest/api/2/serverInfo"] * 2 + ["/rest/api/3/serverInfo"] * 2


def test_datacenter_serves_only_v2(dc: JiraSandbox) -> None:
    client = connect(dc)
    assert client.server_info()["deploymentType"] == "Server"
    assert client._version == (9, 12, 0)
    session = client._session
    assert session.get(f"{dc.base_url}/rest/api/latest/serverInfo").ok
    for path in ("/rest/api/3/serverInfo", "/rest/api/2/search/jql"):
        with pytest.raises(JIRAError) as excinfo:
            session.get(f"{dc.base_url}{path}", params={"jql": "project = CX"})
        assert excinfo.value.status_code == 404


@pytest.mark.parametrize(
    ("flavor", "auth"),
    [
        ("cloud", {"basic_auth": (EMAIL, "wrong-token")}),
        ("cloud", {"token_auth": TOKEN}),
        ("datacenter", {"token_auth": "wrong-pat"}),
        ("datacenter", {"basic_auth": (EMAIL, PAT)}),
    ],
)
def test_bad_credentials_fail_construction_with_401(flavor: str, auth: dict[str, Any]) -> None:
    sandbox = make_sandbox(flavor)
    try:
        with pytest.raises(JIRAError) as excinfo:
            JIRA(server=sandbox.base_url, max_retries=0, **auth)
        assert excinfo.value.status_code == 401
        assert error_of(excinfo)["errorMessages"]
    finally:
        sandbox.stop()


def test_reference_data_endpoints(cloud: JiraSandbox) -> None:
    client = connect(cloud, "3")
    assert [(p.key, p.id) for p in client.projects()] == [("CX", "10000"), ("VOC", "10100")]
    assert [t.name for t in client.project("CX", expand="issueTypes").issueTypes] == ["Task", "Improvement"]
    assert {t.name for t in client.issue_types()} == {"Task", "Improvement"}
    assert [p.name for p in client.priorities()] == ["Highest", "High", "Medium", "Low", "Lowest"]
    assert {(s.name, s.statusCategory.key) for s in client.statuses()} == {
        ("To Do", "new"),
        ("In Progress", "indeterminate"),
        ("Done", "done"),
        ("Won't Do", "done"),
    }
    categories = {c["key"]: (c["id"], c["colorName"], c["name"]) for c in client._get_json("statuscategory")}
    assert categories["new"] == (2, "blue-gray", "To Do")
    assert categories["indeterminate"] == (4, "yellow", "In Progress")
    assert categories["done"] == (3, "green", "Done")
    with pytest.raises(JIRAError) as excinfo:
        client.project("NOPE")
    assert error_of(excinfo) == {"errorMessages": ["No project could be found with key 'NOPE'."], "errors": {}}


# -- create ----------------------------------------------------------------------------------------


def test_create_issue_v2_resolves_project_key_and_stores_wiki_string(cloud: JiraSandbox) -> None:
    client = connect(cloud, "2")
    issue = client.create_issue(
        fields={
            "project": "CX",
            "issuetype": "Improvement",
            "summary": "Export to Excel",
            "description": "h1. Why\nbecause",
        }
    )
    assert (issue.key, issue.id) == ("CX-1", "10001")
    assert issue.self == f"{cloud.base_url}/rest/api/2/issue/10001"
    assert issue.fields.description == "h1. Why\nbecause"
    assert issue.fields.status.name == "To Do"
    assert issue.fields.status.statusCategory.key == "new"
    assert issue.fields.issuetype.name == "Improvement"
    assert issue.fields.created.endswith(".000+0000")
    paths = [(c.method, c.path) for c in cloud.calls()][-4:]
    assert paths == [
        ("GET", "/rest/api/2/project/CX"),
        ("GET", "/rest/api/2/project/10000"),
        ("POST", "/rest/api/2/issue"),
        ("GET", "/rest/api/2/issue/CX-1"),
    ]
    assert cloud.last_body("POST", "/issue")["fields"]["project"] == {"id": "10000"}
    # the v3 view of a wiki string is a minimal ADF document
    as_adf = connect(cloud, "3").issue("CX-1").raw["fields"]["description"]
    assert as_adf["type"] == "doc" and as_adf["content"][0]["content"][0]["text"] == "h1. Why"
    second = client.create_issue(fields={"project": {"key": "VOC"}, "issuetype": {"name": "Task"}, "summary": "B"})
    assert (second.key, second.id) == ("VOC-1", "10002")


def test_create_issue_v3_takes_adf_and_v2_renders_it_as_text(cloud: JiraSandbox) -> None:
    client = connect(cloud, "3")
    issue = client.create_issue(fields={"project": "CX", "issuetype": "Task", "summary": "ADF", "description": DOC})
    assert issue.raw["fields"]["description"] == DOC
    assert issue.self.endswith("/rest/api/3/issue/10001")
    assert connect(cloud, "2").issue(issue.key).fields.description == "Hi"


def test_v3_string_description_and_v2_object_description_are_rejected(cloud: JiraSandbox) -> None:
    with pytest.raises(JIRAError) as excinfo:
        connect(cloud, "3").create_issue(
            fields={"project": "CX", "issuetype": "Task", "summary": "x", "description": "s"}
        )
    assert excinfo.value.status_code == 400
    assert error_of(excinfo) == {
        "errorMessages": [],
        "errors": {"description": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"},
    }
    with pytest.raises(JIRAError) as excinfo:
        connect(cloud, "2").create_issue(
            fields={"project": "CX", "issuetype": "Task", "summary": "x", "description": DOC}
        )
    assert excinfo.value.status_code == 400
    assert "description" in error_of(excinfo)["errors"]
    with pytest.raises(JIRAError) as excinfo:  # a comment body on v3 must be ADF too
        connect(cloud, "3").add_comment("CX-1", "plain")
    assert excinfo.value.status_code == 404  # nothing was created above
    assert cloud.all_issues() == []


@pytest.mark.parametrize(
    "bad_doc",
    [
        {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}]},
        {"type": "doc", "version": 1, "content": [{"type": "heading", "content": [{"type": "text", "text": "x"}]}]},
        {"type": "doc", "version": 1, "content": [{"type": "marquee", "content": []}]},
        {"type": "doc", "version": 1, "content": [{"type": "text", "text": "inline at top level"}]},
        {
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "x", "marks": [{"type": "blink"}]}]}
            ],
        },
    ],
)
def test_malformed_adf_is_invalid_input(cloud: JiraSandbox, bad_doc: dict[str, Any]) -> None:
    with pytest.raises(JIRAError) as excinfo:
        connect(cloud, "3").create_issue(
            fields={"project": "CX", "issuetype": "Task", "summary": "x", "description": bad_doc}
        )
    assert excinfo.value.status_code == 400
    assert error_of(excinfo) == {"errorMessages": ["INVALID_INPUT"], "errors": {}}
    assert response_of(excinfo).headers["X-Sandbox-Detail"]


def test_rich_adf_document_is_accepted(cloud: JiraSandbox) -> None:
    text = {
        "type": "text",
        "text": "link",
        "marks": [{"type": "link", "attrs": {"href": "https://x.test"}}, {"type": "strong"}],
    }
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Evidence"}]},
            {
                "type": "bulletList",
                "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": [text]}]}],
            },
            {"type": "rule"},
            {"type": "codeBlock", "attrs": {"language": "json"}, "content": [{"type": "text", "text": "{}"}]},
            {"type": "panel", "attrs": {"panelType": "info"}, "content": [{"type": "paragraph"}]},
            {
                "type": "table",
                "content": [
                    {
                        "type": "tableRow",
                        "content": [
                            {
                                "type": "tableHeader",
                                "content": [{"type": "paragraph", "content": [{"type": "text", "text": "A"}]}],
                            },
                            {
                                "type": "tableCell",
                                "content": [{"type": "paragraph", "content": [{"type": "hardBreak"}]}],
                            },
                        ],
                    }
                ],
            },
        ],
    }
    issue = connect(cloud, "3").create_issue(
        fields={"project": "CX", "issuetype": "Task", "summary": "x", "description": doc}
    )
    assert issue.raw["fields"]["description"] == doc
    assert "- link" in str(connect(cloud, "2").issue(issue.key).fields.description)


def test_label_with_space_is_rejected_with_the_real_message(cloud: JiraSandbox) -> None:
    with pytest.raises(JIRAError) as excinfo:
        connect(cloud).create_issue(
            fields={"project": "CX", "issuetype": "Task", "summary": "x", "labels": ["Severity: high"]}
        )
    assert excinfo.value.status_code == 400
    assert error_of(excinfo) == {
        "errorMessages": [],
        "errors": {"labels": "The label 'Severity: high' contains spaces which is invalid."},
    }
    assert "contains spaces" in str(excinfo.value.text)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"summary": "x" * 256}, "summary", "Summary must be less than 255 characters."),
        ({"summary": "two\nlines"}, "summary", "The summary is invalid because it contains newline characters."),
        ({"summary": "ok", "labels": ["l" * 256]}, "labels", "exceeds the maximum length"),
        (
            {"summary": "ok", "duedate": "2026-12-01"},
            "duedate",
            "Field 'duedate' cannot be set. It is not on the appropriate screen, or unknown.",
        ),
        ({"summary": "ok", "customfield_10050": "12"}, "customfield_10050", "Operation value must be a number"),
        ({"summary": "ok", "customfield_99999": 1}, "customfield_99999", "cannot be set"),
        ({"summary": "ok", "priority": {"name": "Urgent"}}, "priority", "Priority"),
        ({"summary": "ok", "status": {"name": "Done"}}, "status", "cannot be set"),
    ],
)
def test_invalid_fields_are_rejected_per_field(
    cloud: JiraSandbox, fields: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(JIRAError) as excinfo:
        connect(cloud).create_issue(fields={"project": {"key": "CX"}, "issuetype": {"id": "10001"}, **fields})
    assert excinfo.value.status_code == 400
    body = error_of(excinfo)
    assert body["errorMessages"] == []
    assert message in body["errors"][field]
    assert cloud.all_issues() == []


def test_custom_number_field_and_priority_by_name(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    issue = client.create_issue(
        fields={
            "project": {"id": "10000"},
            "issuetype": {"id": "10002"},
            "summary": "Counted",
            "customfield_10050": 7,
            "priority": {"name": "High"},
        }
    )
    assert issue.raw["fields"]["customfield_10050"] == 7
    assert issue.fields.priority.name == "High"
    fields = {f["id"]: f for f in client.fields()}
    assert fields["customfield_10050"]["clauseNames"] == ["cf[10050]", "Customer requests"]
    assert fields["customfield_10050"]["schema"] == {
        "type": "number",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
        "customId": 10050,
    }
    assert client.search_issues("cf[10050] >= 7", fields="Customer requests")[0].raw["fields"]["Customer requests"] == 7


def test_bulk_create_reports_the_bad_element_and_keeps_both_keys(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    results = client.create_issues(
        [
            {"project": "CX", "issuetype": "Task", "summary": "one"},
            {"project": "CX", "issuetype": "Task", "summary": "bad", "labels": ["has space"]},
            {"project": "CX", "issuetype": "Task", "summary": "three"},
        ]
    )
    assert [r["status"] for r in results] == ["Success", "Error", "Success"]
    assert results[1]["error"] == {"labels": "The label 'has space' contains spaces which is invalid."}
    assert [r["issue"].key for r in results if r["issue"]] == ["CX-1", "CX-2"]
    all_bad = client.create_issues([{"project": "CX", "issuetype": "Task", "summary": "x" * 300}])
    assert all_bad[0]["status"] == "Error"
    too_many = {"issueUpdates": [{"fields": {"summary": "x"}}] * 51}
    with pytest.raises(JIRAError) as excinfo:
        client._session.post(client._get_url("issue/bulk"), data=json.dumps(too_many))
    assert excinfo.value.status_code == 400


# -- read, edit, delete ----------------------------------------------------------------------------


def test_issue_update_puts_to_self_and_reloads(cloud: JiraSandbox, clock: FakeClock) -> None:
    client = connect(cloud, "3")
    issue = client.create_issue(fields={"project": "CX", "issuetype": "Task", "summary": "Before", "labels": ["a"]})
    created = issue.fields.updated
    clock.advance(60)
    issue.update(fields={"summary": "After"}, update={"labels": [{"add": "b"}, {"remove": "a"}]}, notify=False)
    assert issue.fields.summary == "After"
    assert issue.fields.labels == ["b"]
    assert issue.fields.updated != created
    put = cloud.calls("PUT")[-1]
    assert put.path == "/rest/api/3/issue/10001"
    assert cloud.last_body("PUT", "/issue/10001") == {
        "fields": {"summary": "After"},
        "update": {"labels": [{"add": "b"}, {"remove": "a"}]},
    }
    assert cloud.issue("CX-1")["summary"] == "After"
    # returnIssue answers 200 with the issue; a no-op edit leaves `updated` alone
    clock.advance(60)
    response = client._session.put(
        client._get_url("issue/CX-1"), params={"returnIssue": "true"}, data=json.dumps({"fields": {"summary": "After"}})
    )
    assert response.status_code == 200
    assert response.json()["fields"]["updated"] == issue.fields.updated


def test_get_issue_field_selection_and_properties(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    body = {
        "fields": {"project": {"key": "CX"}, "issuetype": {"name": "Task"}, "summary": "With property"},
        "properties": [{"key": "cxsync", "value": {"group": "g-1", "pages": ["p1"]}}],
    }
    created = client._session.post(client._get_url("issue"), data=json.dumps(body)).json()
    raw = client.issue(created["key"], fields="summary,labels", properties="cxsync").raw
    assert set(raw["fields"]) == {"summary", "labels"}
    assert raw["properties"] == {"cxsync": {"group": "g-1", "pages": ["p1"]}}
    everything_but = client._get_json(f"issue/{created['key']}", params={"fields": "*all,-comment,-issuelinks"})
    assert "comment" not in everything_but["fields"] and "status" in everything_but["fields"]
    default = client.issue(created["key"]).raw
    assert {"summary", "status", "project", "reporter", "created", "updated", "customfield_10050"} <= set(
        default["fields"]
    )
    assert "properties" not in default


def test_delete_and_move(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    bulk_create(client, 2)
    new_key = cloud.move_issue("CX-1", "VOC")
    assert new_key == "VOC-1"
    with pytest.raises(JIRAError) as excinfo:
        client.issue("CX-1")  # real Jira would redirect; the sandbox answers 404
    assert excinfo.value.status_code == 404
    assert client.issue("10001").key == "VOC-1"
    assert [i.key for i in client.search_issues("key = CX-1")] == ["VOC-1"]
    client.issue("CX-2").delete()
    with pytest.raises(JIRAError) as excinfo:
        client.issue("CX-2")
    assert excinfo.value.status_code == 404
    with pytest.raises(JIRAError) as excinfo:
        client.search_issues("key = CX-2")
    assert "An issue with key 'CX-2' does not exist for field 'key'." in str(excinfo.value.text)


# -- search ----------------------------------------------------------------------------------------


def test_cloud_search_all_follows_next_page_tokens_exactly_once(cloud: JiraSandbox) -> None:
    client = connect(cloud, "3")
    bulk_create(client, 230, labels=["cxsync"])
    found = client.search_issues("project = CX AND labels = cxsync", maxResults=False, fields="summary,labels")
    keys = [issue.key for issue in found]
    assert len(keys) == 230 and len(set(keys)) == 230
    assert found[0].fields.labels == ["cxsync"]
    searches = cloud.calls("GET", r"/rest/api/3/search/jql$")
    assert len(searches) == 3
    assert len(cloud.calls("GET", r"/field$")) == 1  # the jira lib's field cache

    posted = client.enhanced_search_issues(
        "project = CX ORDER BY key ASC", maxResults=0, fields=["summary"], use_post=True
    )
    assert [i.key for i in posted] == [f"CX-{n}" for n in range(1, 231)]
    body = cloud.last_body("POST", "/search/jql")
    assert body["expand"] is None and body["properties"] is None and body["reconcileIssues"] == []
    assert "nextPageToken" in body

    one_page = client.search_issues("project = CX")
    assert len(one_page) == 50 and one_page.nextPageToken
    raw = client._get_json("search/jql", params={"jql": "project = CX", "maxResults": 5000})
    assert len(raw["issues"]) == 230 and raw["isLast"] is True and "nextPageToken" not in raw
    capped = client._get_json("search/jql", params={"jql": "project = CX", "maxResults": 5000, "fields": "summary"})
    assert len(capped["issues"]) == 100 and capped["isLast"] is False
    assert client.approximate_issue_count("project = CX") == 230
    with pytest.raises(JIRAError) as excinfo:
        client._get_json("search/jql", params={"jql": "project = CX", "nextPageToken": "garbage"})
    assert excinfo.value.status_code == 400
    with pytest.raises(JIRAError):  # a token only works with the query that made it
        client._get_json("search/jql", params={"jql": "project = VOC", "nextPageToken": one_page.nextPageToken})


def test_search_jql_returns_only_ids_by_default(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    bulk_create(client, 3)
    raw = client._get_json("search/jql", params={"jql": "project = CX"})
    assert raw == {"issues": [{"id": "10003"}, {"id": "10002"}, {"id": "10001"}], "isLast": True}
    assert "total" not in raw
    with_key = client._get_json("search/jql", params={"jql": "project = CX", "fields": "key"})
    assert with_key["issues"][0]["key"] == "CX-3" and with_key["issues"][0]["fields"] == {}


def test_datacenter_legacy_search_pages_with_start_at(dc: JiraSandbox) -> None:
    client = connect(dc)
    bulk_create(client, 120)
    page = client.search_issues("project = CX ORDER BY key ASC", startAt=10, maxResults=5)
    assert [i.key for i in page] == [f"CX-{n}" for n in range(11, 16)]
    assert page.total == 120 and page.startAt == 10
    everything = client.search_issues("project = CX", maxResults=False, fields="summary")
    assert len({i.key for i in everything}) == 120
    assert len(dc.calls("GET", r"/rest/api/2/search$")) == 3
    posted = client.search_issues("project = CX", maxResults=3, use_post=True)
    assert len(posted) == 3
    unbounded = client.search_issues("ORDER BY created DESC", maxResults=1)  # fine on Data Center
    assert len(unbounded) == 1


@pytest.mark.parametrize(("version", "method"), [("2", "GET"), ("3", "GET"), ("3", "POST")])
def test_legacy_search_on_cloud_is_gone(cloud: JiraSandbox, version: str, method: str) -> None:
    client = connect(cloud, version)
    with pytest.raises(JIRAError) as excinfo:
        client._session.request(method, client._get_url("search"), params={"jql": "project = CX"}, data="{}")
    assert excinfo.value.status_code == 410
    assert error_of(excinfo) == {
        "errorMessages": [
            "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
            "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
        ],
        "errors": {},
    }


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        (
            "ORDER BY created DESC",
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
        ),
        ("", "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."),
        ("project = CX AND (labels = a", "Error in the JQL Query: Expecting ')' before the end of the query."),
        ('summary ~ "unfinished', "Error in the JQL Query: The quoted string 'unfinished' has not been completed."),
        ("project CX", "Error in the JQL Query: Expecting operator but got 'CX'."),
        ("project = CX labels = a", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'labels'."),
        ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("summary = x", "The operator '=' is not supported by the 'summary' field."),
        ("labels ~ x", "The operator '~' is not supported by the 'labels' field."),
        ("created > yesterday", "Date value 'yesterday' for field 'created' is invalid."),
        ("project = CX ORDER BY a, b, c, d, e, f, g, h", "at most 7 fields"),
    ],
)
def test_bad_jql_is_a_400_error_collection(cloud: JiraSandbox, jql: str, message: str) -> None:
    client = connect(cloud)
    with pytest.raises(JIRAError) as excinfo:
        client.search_issues(jql)
    assert excinfo.value.status_code == 400
    body = error_of(excinfo)
    assert body["errors"] == {}
    assert message in body["errorMessages"][0]


def test_jql_semantics(cloud: JiraSandbox, clock: FakeClock) -> None:
    client = connect(cloud, "3")

    def create(summary: str, labels: list[str], project: str = "CX") -> str:
        fields = {"project": {"key": project}, "issuetype": {"name": "Task"}, "summary": summary, "labels": labels}
        return str(client.create_issue(fields=fields, prefetch=False).key)

    create('Quote "me"', ['a"b'])  # CX-1
    create("Export to Excel", ["export", "cxsync"])  # CX-2
    clock.advance(3600)
    create("Slack alerts", ["alerts", "cxsync"])  # CX-3
    create("No labels", [])  # CX-4
    create("Other project", ["export"], "VOC")  # VOC-1
    cloud.transition("CX-3", "In Progress")

    def keys(jql: str) -> list[str]:
        return [i.key for i in client.search_issues(jql, maxResults=False, fields="summary")]

    assert keys(r'labels = "a\"b"') == ["CX-1"]
    assert keys("labels in (export, alerts) ORDER BY key ASC") == ["CX-2", "CX-3", "VOC-1"]
    assert keys("project = CX AND (labels = export OR labels = alerts) ORDER BY key DESC") == ["CX-3", "CX-2"]
    assert keys("project = CX AND labels != export ORDER BY key") == ["CX-1", "CX-3"]  # != never matches EMPTY
    assert keys("project = CX AND labels is EMPTY") == ["CX-4"]
    assert keys("project in (CX, VOC) AND labels not in (cxsync) ORDER BY key") == ["CX-1", "VOC-1"]
    assert keys("summary ~ excel") == ["CX-2"]
    assert keys("project = CX AND NOT summary ~ excel ORDER BY key") == ["CX-1", "CX-3", "CX-4"]
    assert keys('statusCategory = "In Progress"') == ["CX-3"]
    assert keys("status = 'To Do' AND project = cx ORDER BY summary ASC") == ["CX-2", "CX-4", "CX-1"]
    assert keys("project = CX AND created >= -30m ORDER BY key") == ["CX-3", "CX-4"]
    assert keys("project = CX AND created < -30m ORDER BY key") == ["CX-1", "CX-2"]
    assert keys("project = CX AND issuetype = Task AND labels = cxsync ORDER BY status DESC, key ASC") == [
        "CX-3",
        "CX-2",
    ]
    assert keys("key in (CX-1, CX-2) ORDER BY created DESC, key DESC") == ["CX-2", "CX-1"]
    assert keys("project = VOC AND reporter = currentUser()") == ["VOC-1"]
    ids = {key: client.issue(key, fields="summary").id for key in ("CX-1", "CX-2", "CX-3", "VOC-1")}
    # queries that name ids look at those issues alone, with the same answers as a look at every issue
    assert keys(f"id = {ids['CX-2']}") == ["CX-2"]
    assert keys(f"project = CX AND id in ({ids['CX-3']}, {ids['VOC-1']}, {ids['CX-1']}) ORDER BY key DESC") == [
        "CX-3",
        "CX-1",
    ]
    assert keys(f"id in ({ids['CX-1']}, {ids['CX-2']}) AND labels = cxsync") == ["CX-2"]
    assert keys(f"id in ({ids['CX-1']}, {ids['CX-2']}) AND id = {ids['CX-3']}") == []
    assert keys(f"id = {ids['CX-1']} OR labels = alerts ORDER BY key") == ["CX-1", "CX-3"]
    assert keys(f"NOT id = {ids['CX-1']} AND project = CX ORDER BY key") == ["CX-2", "CX-3", "CX-4"]
    assert keys("id in (999999)") == []


def test_index_lag_hides_new_issues_until_reconciled_or_indexed(clock: FakeClock) -> None:
    sandbox = make_sandbox("cloud", clock=clock, search_lag_seconds=5.0)
    try:
        client = connect(sandbox, "3")
        issue = client.create_issue(
            fields={"project": "CX", "issuetype": "Task", "summary": "Fresh", "labels": ["new"]}
        )
        assert client.issue(issue.key).fields.summary == "Fresh"  # GET by key is always consistent
        assert client.search_issues("labels = new") == []
        assert client.search_issues(f"id = {issue.id}") == []  # named by id, but not indexed yet either
        reconciled = client.enhanced_search_issues("labels = new", reconcileIssues=[int(issue.id)], fields=["summary"])
        assert [i.key for i in reconciled] == [issue.key]
        by_id = client.enhanced_search_issues(
            f"id in ({issue.id})", reconcileIssues=[int(issue.id)], fields=["summary"]
        )
        assert [i.key for i in by_id] == [issue.key]
        clock.advance(5)
        assert [i.key for i in client.search_issues("labels = new")] == [issue.key]

        issue.update(fields={"summary": "Renamed", "labels": ["renamed"]})
        stale = client.search_issues("labels = new", fields="summary")
        assert [i.fields.summary for i in stale] == ["Fresh"]
        assert client.search_issues("labels = renamed") == []
        fresh = client.enhanced_search_issues("labels = renamed", reconcileIssues=[int(issue.id)], fields=["summary"])
        assert [i.fields.summary for i in fresh] == ["Renamed"]
        clock.advance(5)
        assert [i.fields.summary for i in client.search_issues("labels = renamed", fields="summary")] == ["Renamed"]
        assert client.search_issues("labels = new") == []

        def described(text: str) -> dict[str, Any]:
            return {
                "type": "doc",
                "version": 1,
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
            }

        issue.update(fields={"description": described("first")})
        clock.advance(5)
        issue.update(fields={"description": described("second")})
        seen = client.search_issues("labels = renamed", fields="description", json_result=True)["issues"]
        assert seen[0]["fields"]["description"] == described("first")  # the index's version keeps its own
        assert client.issue(issue.key, fields="description", expand="").raw["fields"]["description"] == described(
            "second"
        )
    finally:
        sandbox.stop()


# -- remote links, properties, comments, transitions, links ----------------------------------------


def test_remote_link_upsert_by_global_id(cloud: JiraSandbox) -> None:
    client = connect(cloud, "3")
    bulk_create(client, 1)
    global_id = "cxsync:notion-page:393abc1eedcd816985cec64d3d3f20fd"
    first = client.add_remote_link(
        "CX-1",
        {"url": "https://www.notion.so/393abc", "title": "Notion: first"},
        globalId=global_id,
        application={"type": "com.notion", "name": "Notion"},
        relationship="customer request",
    )
    second = client.add_remote_link(
        "CX-1", {"url": "https://www.notion.so/393abc", "title": "Notion: renamed"}, globalId=global_id
    )
    assert first.id == second.id
    assert [c.status for c in cloud.calls("POST", "/remotelink$")] == [201, 200]
    links = client.remote_links("CX-1")
    assert len(links) == 1 and links[0].object.title == "Notion: renamed"
    assert cloud.remote_links("CX-1")[0]["relationship"] is None  # left out, so set to null
    single = client._get_json("issue/CX-1/remotelink", params={"globalId": global_id})
    assert single["globalId"] == global_id and single["object"]["url"] == "https://www.notion.so/393abc"
    assert client.remote_link("CX-1", str(first.id)).globalId == global_id
    assert {c.status for c in cloud.calls("GET", "listApplicationlinks")} == {404}  # the lib only warns
    with pytest.raises(JIRAError) as excinfo:
        client._get_json("issue/CX-1/remotelink", params={"globalId": "missing"})
    assert excinfo.value.status_code == 404
    with pytest.raises(JIRAError) as excinfo:
        client.add_remote_link("CX-1", {"url": "https://x.test"}, globalId="g")
    assert error_of(excinfo)["errors"] == {"title": "'title' is required."}
    with pytest.raises(JIRAError) as excinfo:
        client.add_remote_link("CX-1", {"url": "https://x.test", "title": "t"}, globalId="g" * 256)
    assert excinfo.value.status_code == 400
    client._session.delete(client._get_url("issue/CX-1/remotelink"), params={"globalId": global_id})
    assert client.remote_links("CX-1") == []


def test_remote_link_limit_is_413(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    bulk_create(client, 1)
    with cloud.lock:  # fill the issue up in-process; 2000 HTTP posts would be slow
        issue = cloud.state.issue("CX-1")
        assert issue is not None
        from cxsync.sandbox.jira_model import RemoteLink

        issue.remote_links.extend(RemoteLink(n, f"g{n}", None, None, {"url": "u", "title": "t"}) for n in range(2000))
    with pytest.raises(JIRAError) as excinfo:
        client.add_remote_link("CX-1", {"url": "https://x.test", "title": "t"}, globalId="one-more")
    assert excinfo.value.status_code == 413
    client.add_remote_link("CX-1", {"url": "https://x.test", "title": "t2"}, globalId="g5")  # an update still works


def test_issue_properties(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    bulk_create(client, 1)
    assert client.add_issue_property("CX-1", "cxsync", {"v": 1}).status_code == 201
    assert client.add_issue_property("CX-1", "cxsync", {"v": 2}).status_code == 200
    assert client.issue_property("CX-1", "cxsync").value.v == 2
    keys = client._get_json("issue/CX-1/properties")
    assert keys == {"keys": [{"key": "cxsync", "self": f"{cloud.base_url}/rest/api/2/issue/10001/properties/cxsync"}]}
    with pytest.raises(JIRAError) as excinfo:
        client.add_issue_property("CX-1", "big", {"blob": "x" * 32_800})
    assert excinfo.value.status_code == 400
    with pytest.raises(JIRAError) as excinfo:
        client.issue_property("CX-1", "missing")
    assert excinfo.value.status_code == 404
    assert cloud.issue("CX-1")["properties"] == {"cxsync": {"v": 2}}


def test_transitions_and_comments(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    bulk_create(client, 1)
    names = [t["name"] for t in client.transitions("CX-1")]
    assert names == ["In Progress", "Done", "Won't Do"]
    client.transition_issue("CX-1", "In Progress", comment="started")
    issue = client.issue("CX-1")
    assert issue.fields.status.statusCategory.key == "indeterminate"
    client.transition_issue("CX-1", "Won't Do")
    issue = client.issue("CX-1")
    assert (issue.fields.status.name, issue.fields.status.statusCategory.key) == ("Won't Do", "done")
    assert issue.raw["fields"]["resolution"]["name"] == "Won't Do"
    with pytest.raises(JIRAError) as excinfo:
        client.transition_issue("CX-1", "999")
    assert excinfo.value.status_code == 400
    client.add_comment("CX-1", "second")
    assert [c.body for c in client.comments("CX-1")] == ["started", "second"]
    adf_comment = connect(cloud, "3")._session.post(
        connect(cloud, "3")._get_url("issue/CX-1/comment"), data=json.dumps({"body": DOC})
    )
    assert adf_comment.status_code == 201
    with pytest.raises(JIRAError) as excinfo:
        connect(cloud, "3").add_comment("CX-1", "plain string on v3")
    assert error_of(excinfo)["errors"] == {"comment": "Comment body is not valid!"}
    cloud.transition("CX-1", "To Do")
    assert cloud.issue("CX-1")["status_category"] == "new" and cloud.issue("CX-1")["resolution"] is None


def test_issue_links(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    bulk_create(client, 2)
    types = {t.name for t in client.issue_link_types()}
    assert {"Blocks", "Duplicate", "Relates", "Cloners"} <= types
    response = client.create_issue_link("Duplicate", "CX-1", "CX-2")
    assert response.status_code == 201 and response.text == ""
    client.create_issue_link("Duplicate", "CX-1", "CX-2")  # idempotent
    links = client.issue("CX-1").fields.issuelinks
    assert len(links) == 1 and links[0].outwardIssue.key == "CX-2"
    assert client.issue("CX-2").fields.issuelinks[0].inwardIssue.key == "CX-1"
    with pytest.raises(JIRAError) as excinfo:
        client.create_issue_link("Duplicate", "CX-1", "CX-404")
    assert excinfo.value.status_code == 404


# -- helpers acting as a person on the board -------------------------------------------------------


def test_board_helpers(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    bulk_create(client, 2, labels=["cxsync"])
    cloud.edit_fields("CX-1", summary="Edited by a human", customfield_10050=4, labels=["cxsync", "triaged"])
    assert client.issue("CX-1").fields.summary == "Edited by a human"
    assert [i["key"] for i in cloud.issues_with_label("triaged")] == ["CX-1"]
    assert cloud.issue("CX-1")["customfield_10050"] == 4
    cloud.delete_issue("CX-2")
    assert [i["key"] for i in cloud.issues_with_label("cxsync")] == ["CX-1"]
    with pytest.raises(KeyError):
        cloud.issue("CX-2")
    with pytest.raises(ValueError):
        cloud.transition("CX-1", "Shipped")


# -- faults, retries and rate limits ---------------------------------------------------------------


def test_429_retry_reposts_create(cloud: JiraSandbox) -> None:
    cloud.inject(Fault(method="POST", path=r"/issue$", status=429, headers={"Retry-After": "0"}))
    client = connect(cloud, retries=1)
    issue = client.create_issue(fields={"project": {"key": "CX"}, "issuetype": {"name": "Task"}, "summary": "once"})
    assert [c.status for c in cloud.calls("POST", r"/issue$")] == [429, 201]
    assert issue.key == "CX-1" and len(cloud.all_issues()) == 1


def test_429_after_commit_makes_the_retry_a_duplicate(cloud: JiraSandbox) -> None:
    cloud.inject(Fault(method="POST", path=r"/issue$", status=429, headers={"Retry-After": "0"}, commit=True))
    client = connect(cloud, retries=1)
    client.create_issue(fields={"project": {"key": "CX"}, "issuetype": {"name": "Task"}, "summary": "dup"})
    assert [c.status for c in cloud.calls("POST", r"/issue$")] == [429, 201]
    assert [i["summary"] for i in cloud.all_issues()] == ["dup", "dup"]  # the duplicate hazard


def test_dropped_response_after_commit(cloud: JiraSandbox) -> None:
    cloud.inject(Fault(method="POST", path=r"/issue$", drop_after_commit=True))
    client = connect(cloud)
    with pytest.raises(requests.ConnectionError):
        client.create_issue(fields={"project": {"key": "CX"}, "issuetype": {"name": "Task"}, "summary": "lost"})
    assert [i["summary"] for i in cloud.all_issues()] == ["lost"]


def test_injected_errors_are_jira_shaped(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    cloud.inject(Fault(method="GET", path="/myself", status=503))
    with pytest.raises(JIRAError) as excinfo:
        client.myself()
    assert excinfo.value.status_code == 503
    assert error_of(excinfo) == {"errorMessages": ["Service Unavailable"], "errors": {}}


def test_rate_limit_answers_429_with_jira_headers(cloud: JiraSandbox) -> None:
    client = connect(cloud)
    cloud.set_rate_limit(0.01, burst=2)
    client.myself()
    client.myself()
    with pytest.raises(JIRAError) as excinfo:
        client.myself()
    cloud.set_rate_limit(None)
    assert excinfo.value.status_code == 429
    headers = response_of(excinfo).headers
    assert int(headers["Retry-After"]) >= 1
    assert headers["X-RateLimit-Limit"] == "2" and headers["X-RateLimit-Remaining"] == "0"
    assert headers["RateLimit-Reason"] == "jira-burst-based" and headers["X-RateLimit-Reset"].endswith("Z")
    assert error_of(excinfo) == {"errorMessages": ["Rate limit exceeded."], "errors": {}}


# -- conformance with the official OpenAPI spec (v3) -----------------------------------------------


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def conforms(spec: dict[str, Any], schema_name: str, instance: Any, *, array: bool = False) -> None:
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    schema = {"components": spec["components"], **({"type": "array", "items": ref} if array else ref)}
    errors = sorted(Draft7Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, f"{schema_name}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.mark.skipif(not SPEC_PATH.exists(), reason="the shared OpenAPI spec is not available")
def test_v3_bodies_conform_to_the_openapi_spec(cloud: JiraSandbox, spec: dict[str, Any]) -> None:
    client = connect(cloud, "3")
    session = client._session
    conforms(spec, "ServerInformation", client.server_info())
    conforms(spec, "FieldDetails", client._get_json("field"), array=True)

    create = {
        "fields": {
            "project": {"key": "CX"},
            "issuetype": {"name": "Task"},
            "summary": "Spec",
            "description": DOC,
            "labels": ["s"],
        },
        "properties": [{"key": "cxsync", "value": {"v": 1}}],
    }
    created = session.post(client._get_url("issue"), data=json.dumps(create)).json()
    conforms(spec, "CreatedIssue", created)
    client.create_issue(fields={"project": "CX", "issuetype": "Task", "summary": "Via library"})
    conforms(spec, "IssueUpdateDetails", cloud.last_body("POST", "/rest/api/3/issue"))

    bean = client._get_json(
        f"issue/{created['key']}", params={"properties": "cxsync", "expand": "names,schema,transitions"}
    )
    conforms(spec, "IssueBean", bean)
    conforms(
        spec,
        "SearchAndReconcileResults",
        client._get_json("search/jql", params={"jql": "project = CX", "fields": "*all"}),
    )
    conforms(spec, "SearchAndReconcileResults", client._get_json("search/jql", params={"jql": "project = CX"}))
    posted = client.enhanced_search_issues("project = CX", fields=["summary"], json_result=True, use_post=True)
    conforms(spec, "SearchAndReconcileResults", posted)

    client.add_remote_link(created["key"], {"url": "https://n.so/p", "title": "P"}, globalId="g", relationship="r")
    conforms(spec, "RemoteIssueLinkRequest", cloud.last_body("POST", "/remotelink"))
    identifies = session.post(
        client._get_url(f"issue/{created['key']}/remotelink"), data=json.dumps({"object": {"url": "u", "title": "t"}})
    ).json()
    conforms(spec, "RemoteIssueLinkIdentifies", identifies)
    conforms(spec, "RemoteIssueLink", client._get_json(f"issue/{created['key']}/remotelink"), array=True)
    conforms(spec, "PropertyKeys", client._get_json(f"issue/{created['key']}/properties"))
    conforms(spec, "Transitions", client._get_json(f"issue/{created['key']}/transitions"))
    multi = {"issues": [{"issueID": int(created["id"]), "properties": {"cxsync": {"v": 2}}}]}
    # (MultiIssueEntityProperties is not checked: the spec types property values as Jackson's JsonNode bean)
    task = session.post(client._get_url("issue/properties/multi"), data=json.dumps(multi)).json()
    conforms(spec, "TaskProgressBeanObject", task)

    with pytest.raises(JIRAError) as excinfo:
        client.create_issue(fields={"project": "CX", "issuetype": "Task", "summary": "x", "labels": ["a b"]})
    conforms(spec, "ErrorCollection", error_of(excinfo))
    with pytest.raises(JIRAError) as excinfo:
        client.search_issues("order by key")
    conforms(spec, "ErrorCollection", error_of(excinfo))


def test_bulk_properties_by_issue_answer_303_to_a_finished_task(cloud: JiraSandbox) -> None:
    client = connect(cloud, "3")
    bulk_create(client, 2)
    url = client._get_url("issue/properties/multi")
    body = {
        "issues": [{"issueID": 10001, "properties": {"cxsync": {"v": 1}}}, {"issueID": 99999, "properties": {"a": 1}}]
    }
    answer = client._session.post(url, data=json.dumps(body), allow_redirects=False)
    assert answer.status_code == 303
    task = client._session.get(answer.headers["Location"]).json()
    assert task["status"] == "COMPLETE" and task["self"] == answer.headers["Location"]
    assert cloud.issue("CX-1")["properties"] == {"cxsync": {"v": 1}}  # the unknown issue 99999 is ignored
    followed = client._session.post(url, data=json.dumps(body))  # requests follows the 303 with a GET
    assert followed.status_code == 200 and followed.json()["status"] == "COMPLETE"

    too_many = {"issues": [{"issueID": 10001, "properties": {"k": i}} for i in range(101)]}
    big = {"issues": [{"issueID": 10001, "properties": {"k": "x" * 32_800}}]}
    for bad in (too_many, big, {"issues": [{"issueID": "CX-1", "properties": {"k": 1}}]}, {"issues": []}):
        with pytest.raises(JIRAError) as excinfo:
            client._session.post(url, data=json.dumps(bad), allow_redirects=False)
        assert excinfo.value.status_code == 400
    with pytest.raises(JIRAError) as excinfo:
        client._get_json("task/424242")
    assert excinfo.value.status_code == 404


def test_bulk_properties_are_cloud_only(dc: JiraSandbox) -> None:
    client = connect(dc, "2")
    bulk_create(client, 1)
    with pytest.raises(JIRAError) as excinfo:
        client._session.post(
            client._get_url("issue/properties/multi"),
            data=json.dumps({"issues": [{"issueID": 10001, "properties": {"k": 1}}]}),
        )
    assert excinfo.value.status_code == 404


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_tracker_reads_every_page_of_a_search(flavor: str) -> None:
    from cxsync.adapters.counting import ApiCounter
    from cxsync.adapters.jira_tracker import SEARCH_PAGE, JiraTracker
    from cxsync.config import JiraCredentials, JiraSettings

    sandbox = make_sandbox(flavor)
    try:
        bulk_create(connect(sandbox), SEARCH_PAGE * 2 + 7, labels=["cxsync"])
        bulk_create(connect(sandbox), 3)  # not cxsync's
        cloud = flavor == "cloud"
        credentials = JiraCredentials(sandbox.base_url, EMAIL if cloud else None, TOKEN if cloud else None, PAT)
        counter = ApiCounter()
        tracker = JiraTracker(credentials, JiraSettings(project="CX"), counter)
        keys = [issue.key for issue in tracker.managed_issues()]
        assert keys == [f"CX-{n}" for n in range(1, SEARCH_PAGE * 2 + 8)]  # each once, in creation order
        searches = sum(n for kind, n in counter.summary().items() if "/search" in kind)
        assert searches == 3
    finally:
        sandbox.stop()

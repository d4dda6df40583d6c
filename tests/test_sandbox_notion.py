"""The Notion sandbox, exercised only through the real notion-client over HTTP.

Besides behaviour, the sandbox's responses are compared with real recorded Notion responses
(/work/shared/specs/notion-cassettes) and the bodies the client sends are validated against the
request schemas of /work/shared/specs/notion-openapi.json.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from notion_client import APIResponseError, Client
from notion_client.client import RetryOptions
from notion_client.errors import UnknownHTTPResponseError
from notion_client.helpers import collect_paginated_api, iterate_paginated_api

from cxsync.sandbox.base import Fault
from cxsync.sandbox.notion_model import ManualClock
from cxsync.sandbox.notion_server import NotionSandbox

TOKEN = "secret_test_token"
SPECS = Path("/work/shared/specs")
ALICE = "0a11ce00-0000-4000-8000-000000000001"
BOB = "0b0b0000-0000-4000-8000-000000000002"
DB = "d0000000-0000-4000-8000-0000000000d1"
BULK_DB = "d0000000-0000-4000-8000-0000000000d2"
R1, R2, R3, R4, R5, R6 = (f"a0000000-0000-4000-8000-00000000000{i}" for i in range(1, 7))
TITLES = {
    R1: "Export payments to Excel",
    R2: "Alert on failed login",
    R3: "Bulk export API",
    R4: "Dark mode",
    R5: "export button broken",
    R6: "Trashed request",
}
BULK_ROWS = 260
NOW = datetime(2026, 11, 20, 10, 15, 42, tzinfo=UTC)


def make_seed() -> dict[str, Any]:
    bulk_rows = [{"values": {"Name": f"bulk {i:03d}", "N": i}} for i in range(BULK_ROWS)]
    rows = [
        {"id": R1, "created_time": "2026-09-14T02:11:37.000Z", "values": {
            "Name": TITLES[R1], "Details": "customer wants xlsx", "Severity": "High", "Tags": ["export"],
            "ARR": 24_000_000, "Received": "2026-09-14", "Owner": [ALICE], "Synced": True, "Status": "New",
            "Jira link": "https://acme.atlassian.net/browse/CX-1", "Email": "kim@hanbit.example", "Score": 24000}},
        {"id": R2, "created_time": "2026-09-20T08:00:00Z", "values": {
            "Name": TITLES[R2], "Severity": "Medium", "Tags": ["alert", "ios"], "ARR": 5_000_000,
            "Received": "2026-09-20", "Owner": [BOB], "Status": "Reviewing", "Related": [R1]}},
        {"id": R3, "created_time": "2026-10-01T09:30:00Z", "values": {
            "Name": TITLES[R3], "Severity": "High", "Tags": ["export"], "ARR": 12_000_000,
            "Received": "2026-10-01T09:30:00Z", "Owner": [ALICE, BOB], "Status": "In progress", "Score": 12000}},
        {"id": R4, "created_time": "2026-10-05T11:00:00Z", "values": {"Name": TITLES[R4], "Severity": "Low",
                                                                      "Status": "Done"}},
        {"id": R5, "created_time": "2026-10-05T11:00:59Z", "values": {"Name": TITLES[R5], "Tags": ["ios"], "ARR": 0,
                                                                      "Status": "Rejected"}},
        {"id": R6, "created_time": "2026-10-06T00:00:00Z", "in_trash": True, "values": {"Name": TITLES[R6]}},
    ]
    return {
        "notion": {
            "users": [{"id": ALICE, "name": "Alice Kim", "email": "alice@example.com"}, {"id": BOB, "name": "Bob Lee"}],
            "databases": [
                {"id": BULK_DB, "title": "Bulk", "properties": {"Name": {"type": "title"}, "N": {"type": "number"}},
                 "rows": bulk_rows},
                {"id": DB, "title": "Customer requests", "properties": {
                    "Name": {"type": "title"}, "Details": {"type": "rich_text"},
                    "Severity": {"type": "select", "options": ["Low", "Medium", "High"]},
                    "Tags": {"type": "multi_select", "options": ["export", "alert", "ios"]},
                    "ARR": {"type": "number", "format": "won"}, "Received": {"type": "date"},
                    "Owner": {"type": "people"}, "Jira link": {"type": "url"}, "Email": {"type": "email"},
                    "Phone": {"type": "phone_number"}, "Synced": {"type": "checkbox"},
                    "Related": {"type": "relation"}, "Bulk items": {"type": "relation", "database_id": BULK_DB},
                    "Status": {"type": "status", "options": ["New", "Reviewing", "In progress", "Done", "Rejected"]},
                    "Created": {"type": "created_time"}, "Edited": {"type": "last_edited_time"},
                    "Ticket": {"type": "unique_id", "prefix": "CX"},
                    "Score": {"type": "formula", "expression": 'prop("ARR") / 1000'}},
                 "rows": rows},
            ],
        },
        "jira": {"projects": []},
    }


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture(scope="module")
def server() -> Iterator[NotionSandbox]:
    # One server for the module; each test gets fresh state from the `sandbox` fixture.
    running = NotionSandbox(TOKEN)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def sandbox(server: NotionSandbox, clock: ManualClock) -> NotionSandbox:
    """The shared server with fresh state: re-seeded, no faults, no rate limit, empty request log."""
    server.reset()
    server.seed(make_seed())
    server.clock = clock
    server.query_result_cap = 10_000
    server.clear_faults()
    server.set_rate_limit(None)
    server.requests.clear()
    return server


@pytest.fixture
def sent() -> list[tuple[str, str, Any]]:
    """Requests the client put on the wire: (method, path, JSON body)."""
    return []


@pytest.fixture
def notion(sandbox: NotionSandbox, sent: list[tuple[str, str, Any]]) -> Iterator[Client]:
    def record(request: httpx.Request) -> None:
        sent.append((request.method, request.url.path, json.loads(request.content) if request.content else None))

    client = Client(auth=TOKEN, base_url=sandbox.base_url, client=httpx.Client(event_hooks={"request": [record]}))
    yield client
    client.close()


@pytest.fixture
def ds(notion: Client) -> str:
    return str(notion.databases.retrieve(DB)["data_sources"][0]["id"])


@pytest.fixture
def bulk_ds(notion: Client) -> str:
    return str(notion.databases.retrieve(BULK_DB)["data_sources"][0]["id"])


@pytest.fixture
def schema(notion: Client, ds: str) -> dict[str, Any]:
    return dict(notion.data_sources.retrieve(ds)["properties"])


def titles(pages: list[dict[str, Any]]) -> list[str]:
    return ["".join(t["plain_text"] for t in p["properties"]["Name"]["title"]) for p in pages]


def api_error(call: Callable[[], Any]) -> APIResponseError:
    with pytest.raises(APIResponseError) as caught:
        call()
    return caught.value


# -- databases, data sources, query --------------------------------------------------------------
def test_database_to_data_source_to_query(notion: Client, sandbox: NotionSandbox) -> None:
    database = notion.databases.retrieve(DB)
    assert database["object"] == "database"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", database["created_time"])
    [source] = database["data_sources"]
    assert source == {"id": sandbox.data_source_id(DB), "name": "Customer requests"}

    data_source = notion.data_sources.retrieve(source["id"])
    assert data_source["parent"] == {"type": "database_id", "database_id": DB}
    props = data_source["properties"]
    assert props["Name"] == {"id": "title", "name": "Name", "description": None, "type": "title", "title": {}}
    assert [o["name"] for o in props["Severity"]["select"]["options"]] == ["Low", "Medium", "High"]
    assert set(props["Severity"]["select"]["options"][0]) == {"id", "name", "color", "description"}
    assert props["ARR"]["number"] == {"format": "won"}
    assert props["Status"]["status"]["groups"][0]["name"] == "To-do"
    for prop in props.values():  # short, URL-encoded ids
        assert prop["id"] == "title" or re.fullmatch(r"(?:[A-Za-z0-9_~]|%[0-9A-F]{2}){4,12}", prop["id"])

    result = notion.data_sources.query(source["id"])
    assert set(titles(result["results"])) == {TITLES[r] for r in (R1, R2, R3, R4, R5)}
    page = next(p for p in result["results"] if p["id"] == R1)
    assert page["parent"] == {"type": "data_source_id", "data_source_id": source["id"], "database_id": DB}
    assert page["created_time"] == "2026-09-14T02:11:00.000Z"
    assert page["properties"]["Severity"]["select"]["name"] == "High"
    assert page["properties"]["Owner"]["people"][0] == {
        "object": "user", "id": ALICE, "name": "Alice Kim", "avatar_url": None, "type": "person",
        "person": {"email": "alice@example.com"},
    }
    assert page["properties"]["Ticket"]["unique_id"] == {"prefix": "CX", "number": 1}
    assert page["properties"]["Score"]["formula"] == {"type": "number", "number": 24000}


def test_ids_are_accepted_without_dashes_and_returned_dashed(notion: Client) -> None:
    assert notion.pages.retrieve(R1.replace("-", ""))["id"] == R1
    assert notion.databases.retrieve(DB.replace("-", "").upper())["id"] == DB


def test_seeding_is_deterministic(notion: Client, ds: str) -> None:
    twin = NotionSandbox(TOKEN)
    twin.seed(make_seed())
    twin.start()
    try:
        other = Client(auth=TOKEN, base_url=twin.base_url)
        strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
        assert strip(other.data_sources.retrieve(ds)) == strip(notion.data_sources.retrieve(ds))
        assert strip(other.data_sources.query(ds)) == strip(notion.data_sources.query(ds))
        other.close()
    finally:
        twin.stop()


def test_pagination_yields_every_row_exactly_once(notion: Client, sandbox: NotionSandbox, bulk_ds: str) -> None:
    rows = collect_paginated_api(notion.data_sources.query, data_source_id=bulk_ds)
    assert len(rows) == BULK_ROWS and len({r["id"] for r in rows}) == BULK_ROWS
    assert len(sandbox.calls("POST", "/query$")) == 3  # default page size 100

    numbers = [
        r["properties"]["N"]["number"]
        for r in iterate_paginated_api(
            notion.data_sources.query, data_source_id=bulk_ds, page_size=37,
            sorts=[{"property": "N", "direction": "descending"}],
        )
    ]
    assert numbers == list(range(BULK_ROWS - 1, -1, -1))


def test_cursors_are_opaque_and_final_page_has_null_cursor(notion: Client, bulk_ds: str) -> None:
    first = notion.data_sources.query(bulk_ds, page_size=100)
    cursor = first["next_cursor"]
    assert first["has_more"] and isinstance(cursor, str)
    assert not re.fullmatch(r"[0-9a-f-]{32,36}", cursor)
    assert all(cursor != r["id"] for r in first["results"])
    last = notion.data_sources.query(bulk_ds, start_cursor=cursor, page_size=100)
    last = notion.data_sources.query(bulk_ds, start_cursor=last["next_cursor"], page_size=100)
    assert len(last["results"]) == BULK_ROWS - 200 and last["has_more"] is False and last["next_cursor"] is None
    assert api_error(lambda: notion.data_sources.query(bulk_ds, start_cursor="garbage")).code == "validation_error"


def test_cursor_from_another_data_source_is_rejected(notion: Client, bulk_ds: str, ds: str) -> None:
    cursor = notion.data_sources.query(bulk_ds, page_size=1)["next_cursor"]
    assert api_error(lambda: notion.data_sources.query(ds, start_cursor=cursor)).code == "validation_error"


@pytest.mark.parametrize(("page_size", "message"), [(101, "should be ≤ `100`, instead was `101`"),
                                                     (0, "should be ≥ `1`, instead was `0`")])
def test_page_size_out_of_range_is_a_validation_error(notion: Client, ds: str, page_size: int, message: str) -> None:
    error = api_error(lambda: notion.data_sources.query(ds, page_size=page_size))
    assert error.code == "validation_error" and error.status == 400
    assert f"body failed validation: body.page_size {message}." == str(error)


def test_filter_none_is_a_validation_error(notion: Client, ds: str) -> None:
    error = api_error(lambda: notion.data_sources.query(ds, filter=None))
    assert error.code == "validation_error"
    assert str(error) == "body failed validation: body.filter should be an object or undefined, instead was `null`."
    assert api_error(lambda: notion.data_sources.query(ds, sorts=None)).code == "validation_error"


def test_unknown_body_key_is_a_validation_error(notion: Client, ds: str) -> None:
    error = api_error(lambda: notion.request(path=f"data_sources/{ds}/query", method="POST", body={"limit": 5}))
    assert error.code == "validation_error" and "body.limit should be not present" in str(error)


FILTER_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("title contains, case-insensitive", {"property": "Name", "title": {"contains": "export"}}, {R1, R3, R5}),
    ("title equals", {"property": "Name", "title": {"equals": "Dark mode"}}, {R4}),
    ("title starts_with", {"property": "Name", "title": {"starts_with": "export"}}, {R1, R5}),
    ("title ends_with", {"property": "Name", "title": {"ends_with": "API"}}, {R3}),
    ("title does_not_contain", {"property": "Name", "rich_text": {"does_not_contain": "export"}}, {R2, R4}),
    ("rich_text is_empty", {"property": "Details", "rich_text": {"is_empty": True}}, {R2, R3, R4, R5}),
    ("rich_text contains", {"property": "Details", "rich_text": {"contains": "XLSX"}}, {R1}),
    ("number greater_than", {"property": "ARR", "number": {"greater_than": 10_000_000}}, {R1, R3}),
    ("number <= skips empty", {"property": "ARR", "number": {"less_than_or_equal_to": 5_000_000}}, {R2, R5}),
    ("number is_empty", {"property": "ARR", "number": {"is_empty": True}}, {R4}),
    ("number does_not_equal keeps empty", {"property": "ARR", "number": {"does_not_equal": 0}}, {R1, R2, R3, R4}),
    ("checkbox equals", {"property": "Synced", "checkbox": {"equals": True}}, {R1}),
    ("checkbox does_not_equal", {"property": "Synced", "checkbox": {"does_not_equal": True}}, {R2, R3, R4, R5}),
    ("select equals", {"property": "Severity", "select": {"equals": "High"}}, {R1, R3}),
    ("select does_not_equal keeps empty", {"property": "Severity", "select": {"does_not_equal": "High"}},
     {R2, R4, R5}),
    ("select is_empty", {"property": "Severity", "select": {"is_empty": True}}, {R5}),
    ("status equals", {"property": "Status", "status": {"equals": "Done"}}, {R4}),
    ("status does_not_equal", {"property": "Status", "status": {"does_not_equal": "New"}}, {R2, R3, R4, R5}),
    ("multi_select contains", {"property": "Tags", "multi_select": {"contains": "ios"}}, {R2, R5}),
    ("multi_select does_not_contain", {"property": "Tags", "multi_select": {"does_not_contain": "export"}},
     {R2, R4, R5}),
    ("multi_select is_empty", {"property": "Tags", "multi_select": {"is_empty": True}}, {R4}),
    ("people contains", {"property": "Owner", "people": {"contains": BOB}}, {R2, R3}),
    ("people contains (no dashes)", {"property": "Owner", "people": {"contains": ALICE.replace("-", "")}}, {R1, R3}),
    ("people is_empty", {"property": "Owner", "people": {"is_empty": True}}, {R4, R5}),
    ("relation contains", {"property": "Related", "relation": {"contains": R1}}, {R2}),
    ("relation is_not_empty", {"property": "Related", "relation": {"is_not_empty": True}}, {R2}),
    ("date on_or_after (date)", {"property": "Received", "date": {"on_or_after": "2026-09-20"}}, {R2, R3}),
    ("date before", {"property": "Received", "date": {"before": "2026-09-20"}}, {R1}),
    ("date equals day of a date-time", {"property": "Received", "date": {"equals": "2026-10-01"}}, {R3}),
    ("date after (date-time, UTC)", {"property": "Received", "date": {"after": "2026-10-01T09:00:00"}}, {R3}),
    ("date is_empty", {"property": "Received", "date": {"is_empty": True}}, {R4, R5}),
    ("url is_not_empty", {"property": "Jira link", "url": {"is_not_empty": True}}, {R1}),
    ("url contains", {"property": "Jira link", "url": {"contains": "CX-1"}}, {R1}),
    ("email equals", {"property": "Email", "email": {"equals": "kim@hanbit.example"}}, {R1}),
    ("phone is_empty", {"property": "Phone", "phone_number": {"is_empty": True}}, {R1, R2, R3, R4, R5}),
    ("timestamp created_time", {"timestamp": "created_time", "created_time": {"on_or_after": "2026-10-01"}},
     {R3, R4, R5}),
    ("timestamp created_time date-time",
     {"timestamp": "created_time", "created_time": {"before": "2026-09-20T08:00:00Z"}}, {R1}),
    ("timestamp last_edited_time", {"timestamp": "last_edited_time", "last_edited_time": {"after": "2026-10-02"}},
     {R4, R5}),
    ("created_time property", {"property": "Created", "created_time": {"after": "2026-10-02"}}, {R4, R5}),
    ("unique_id", {"property": "Ticket", "unique_id": {"equals": 2}}, {R2}),
    ("formula number", {"property": "Score", "formula": {"number": {"greater_than": 20000}}}, {R1}),
    ("and", {"and": [{"property": "Severity", "select": {"equals": "High"}},
                     {"property": "Synced", "checkbox": {"equals": True}}]}, {R1}),
    ("or", {"or": [{"property": "Tags", "multi_select": {"contains": "ios"}},
                   {"property": "Status", "status": {"equals": "Done"}}]}, {R2, R4, R5}),
    ("and with nested or", {"and": [
        {"property": "ARR", "number": {"greater_than_or_equal_to": 0}},
        {"or": [{"property": "Severity", "select": {"equals": "Medium"}},
                {"property": "Tags", "multi_select": {"contains": "ios"}}]}]}, {R2, R5}),
]


@pytest.mark.parametrize(("filter_", "expected"), [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES])
def test_filters(notion: Client, ds: str, filter_: dict[str, Any], expected: set[str]) -> None:
    results = collect_paginated_api(notion.data_sources.query, data_source_id=ds, filter=filter_)
    assert {r["id"] for r in results} == expected


def test_filter_by_property_id(notion: Client, ds: str, schema: dict[str, Any]) -> None:
    result = notion.data_sources.query(ds, filter={"property": schema["Severity"]["id"], "select": {"equals": "Low"}})
    assert [r["id"] for r in result["results"]] == [R4]


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        ({"property": "Nope", "select": {"equals": "x"}}, "Could not find property with name or id: Nope"),
        ({"and": [{"or": [{"and": [{"property": "ARR", "number": {"equals": 1}}]}]}]}, "nested too deeply"),
        ({"property": "Severity", "status": {"equals": "High"}}, "does not match filter status"),
        ({"property": "ARR", "number": {"contains": 1}}, "not a valid filter condition"),
        ({"property": "Name", "title": {"contains": 5}}, "should be a string"),
        ({"property": "Received", "date": {"after": "last tuesday"}}, "ISO 8601"),
        ({"property": "Tags", "multi_select": {"is_empty": False}}, "should be `true`"),
        ({"timestamp": "edited", "edited": {"after": "2026-01-01"}}, "body.filter.timestamp"),
    ],
)
def test_invalid_filters_are_validation_errors(notion: Client, ds: str, filter_: dict[str, Any], message: str) -> None:
    error = api_error(lambda: notion.data_sources.query(ds, filter=filter_))
    assert error.code == "validation_error" and message in str(error)


@pytest.mark.parametrize(
    ("sorts", "expected"),
    [
        ([], [R4, R5, R3, R2, R1]),  # default: created_time descending, then id
        ([{"property": "ARR", "direction": "ascending"}], [R5, R2, R3, R1, R4]),  # empty last
        ([{"property": "ARR", "direction": "descending"}], [R1, R3, R2, R5, R4]),  # empty still last
        ([{"property": "Severity", "direction": "ascending"}], [R4, R2, R3, R1, R5]),  # option order
        ([{"property": "Severity", "direction": "descending"}, {"property": "ARR", "direction": "ascending"}],
         [R3, R1, R2, R4, R5]),
        ([{"timestamp": "created_time", "direction": "ascending"}], [R1, R2, R3, R4, R5]),
        ([{"property": "Name", "direction": "ascending"}], [R2, R3, R4, R5, R1]),  # case-insensitive
    ],
)
def test_sorts(notion: Client, ds: str, sorts: list[dict[str, Any]], expected: list[str]) -> None:
    assert [r["id"] for r in notion.data_sources.query(ds, sorts=sorts)["results"]] == expected


def test_unknown_sort_property_is_a_validation_error(notion: Client, ds: str) -> None:
    error = api_error(lambda: notion.data_sources.query(ds, sorts=[{"property": "Nope", "direction": "ascending"}]))
    assert error.code == "validation_error" and "Nope" in str(error)


def test_query_result_cap(notion: Client, sandbox: NotionSandbox, bulk_ds: str) -> None:
    sandbox.query_result_cap = 30
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = notion.data_sources.query(bulk_ds, page_size=7, **({"start_cursor": cursor} if cursor else {}))
        assert page["request_status"] == {"type": "incomplete", "incomplete_reason": "query_result_limit_reached"}
        pages += page["results"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert len(pages) == 30 and len({p["id"] for p in pages}) == 30 and cursor is None
    assert len(collect_paginated_api(notion.data_sources.query, data_source_id=bulk_ds)) == 30
    small = notion.data_sources.query(bulk_ds, filter={"property": "N", "number": {"less_than": 10}})
    assert len(small["results"]) == 10 and "request_status" not in small


def test_trashed_pages(notion: Client, sandbox: NotionSandbox, ds: str) -> None:
    assert R6 not in {r["id"] for r in notion.data_sources.query(ds)["results"]}
    assert [r["id"] for r in notion.data_sources.query(ds, in_trash=True)["results"]] == [R6]
    assert [r["id"] for r in notion.data_sources.query(ds, archived=True)["results"]] == [R6]
    trashed = notion.pages.retrieve(R6)
    assert trashed["in_trash"] is True and trashed["archived"] is True

    sandbox.trash_page(R1)
    assert R1 not in {r["id"] for r in notion.data_sources.query(ds)["results"]}
    assert notion.pages.retrieve(R1)["last_edited_by"]["id"] == ALICE
    error = api_error(lambda: notion.pages.update(R1, properties={"ARR": {"number": 1}}))
    assert error.code == "validation_error" and "archived" in str(error)
    restored = notion.pages.update(R1, in_trash=False, properties={"ARR": {"number": 1}})
    assert restored["in_trash"] is False and restored["properties"]["ARR"]["number"] == 1
    notion.pages.update(R2, in_trash=True)
    assert R2 in {r["id"] for r in notion.data_sources.query(ds, in_trash=True)["results"]}


def test_filter_properties(notion: Client, ds: str, schema: dict[str, Any]) -> None:
    ids = [schema["Name"]["id"], schema["Severity"]["id"]]
    for page in notion.data_sources.query(ds, filter_properties=ids)["results"]:
        assert set(page["properties"]) == {"Name", "Severity"}
    by_name = notion.data_sources.query(ds, filter_properties=["ARR"])["results"][0]
    assert set(by_name["properties"]) == {"ARR"}
    assert set(notion.pages.retrieve(R1, filter_properties=[schema["Owner"]["id"]])["properties"]) == {"Owner"}
    assert api_error(lambda: notion.data_sources.query(ds, filter_properties=["nope"])).code == "validation_error"


# -- errors, auth, users -------------------------------------------------------------------------
def test_bad_token_is_unauthorized(sandbox: NotionSandbox) -> None:
    error = api_error(lambda: Client(auth="wrong", base_url=sandbox.base_url).users.list())
    assert (error.code, error.status, str(error)) == ("unauthorized", 401, "API token is invalid.")
    assert api_error(lambda: Client(base_url=sandbox.base_url).users.me()).code == "unauthorized"


def test_missing_notion_version_is_rejected(sandbox: NotionSandbox) -> None:
    client = Client(auth=TOKEN, base_url=sandbox.base_url, notion_version="")
    with pytest.raises(UnknownHTTPResponseError) as caught:  # missing_version is not a code the client knows
        client.users.me()
    assert caught.value.status == 400 and json.loads(caught.value.body)["code"] == "missing_version"


def test_unknown_objects_and_urls(notion: Client, ds: str) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    error = api_error(lambda: notion.pages.retrieve(missing))
    assert (error.code, error.status) == ("object_not_found", 404)
    assert str(error) == (
        f"Could not find page with ID: {missing}. "
        "Make sure the relevant pages and databases are shared with your integration."
    )
    assert error.request_id and error.additional_data == {"integration_id": notion.users.me()["id"]}
    assert api_error(lambda: notion.databases.retrieve(missing)).code == "object_not_found"
    assert api_error(lambda: notion.data_sources.query(missing)).code == "object_not_found"
    assert api_error(lambda: notion.pages.retrieve("not-a-uuid")).code == "validation_error"
    invalid = api_error(lambda: notion.request(path="invalid", method="GET"))
    assert (invalid.code, str(invalid)) == ("invalid_request_url", "Invalid request URL.")
    assert api_error(lambda: notion.request(path=f"databases/{DB}/query", method="POST")).code == (
        "invalid_request_url"
    )


def test_users(notion: Client) -> None:
    me = notion.users.me()
    assert me["type"] == "bot" and me["bot"]["owner"] == {"type": "workspace", "workspace": True}
    everyone = collect_paginated_api(notion.users.list, page_size=1)
    assert [u["id"] for u in everyone] == [ALICE, BOB, me["id"]]
    assert notion.users.retrieve(BOB)["name"] == "Bob Lee"


# -- page updates --------------------------------------------------------------------------------
def test_patch_round_trips_values_and_bumps_last_edited_time(
    notion: Client, clock: ManualClock, ds: str, schema: dict[str, Any]
) -> None:
    clock.advance(minutes=3, seconds=7)  # 10:18:49 → rounded down to 10:18
    updated = notion.pages.update(R2, properties={
        "Details": {"rich_text": [
            {"text": {"content": "see ", "link": None}},
            {"type": "text", "text": {"content": "CX-7", "link": {"url": "https://acme.atlassian.net/browse/CX-7"}},
             "annotations": {"bold": True}}]},
        "Severity": {"select": {"name": "Critical"}},
        "Tags": {"multi_select": [{"name": "export"}, {"name": "android"}]},
        "ARR": {"number": 1234.5},
        "Received": {"date": {"start": "2026-12-01T09:00:00+09:00"}},
        "Owner": {"people": [{"object": "user", "id": ALICE}]},
        "Jira link": {"url": "https://acme.atlassian.net/browse/CX-7"},
        "Synced": {"checkbox": True},
        schema["Status"]["id"]: {"status": {"name": "Done"}},
        "Related": {"relation": [{"id": R3}, {"id": R4}]},
        "Phone": {"phone_number": None},
    })
    assert updated["last_edited_time"] == "2026-11-20T10:18:00.000Z"
    assert updated["created_time"] == "2026-09-20T08:00:00.000Z"
    assert updated["last_edited_by"]["id"] == notion.users.me()["id"]
    assert notion.pages.retrieve(R2)["properties"] == updated["properties"]

    props = updated["properties"]
    details = props["Details"]["rich_text"]
    assert "".join(t["plain_text"] for t in details) == "see CX-7"
    assert details[1]["href"] == "https://acme.atlassian.net/browse/CX-7" and details[1]["annotations"]["bold"]
    assert props["Severity"]["select"]["name"] == "Critical"
    assert [t["name"] for t in props["Tags"]["multi_select"]] == ["export", "android"]
    assert props["Received"]["date"] == {"start": "2026-12-01T00:00:00.000+00:00", "end": None, "time_zone": None}
    assert props["Status"]["status"]["name"] == "Done" and props["Synced"]["checkbox"] is True
    assert props["Related"] == {"id": schema["Related"]["id"], "type": "relation",
                                "relation": [{"id": R3}, {"id": R4}], "has_more": False}
    assert props["Edited"]["last_edited_time"] == "2026-11-20T10:18:00.000Z"
    new_schema = notion.data_sources.retrieve(ds)["properties"]
    assert "Critical" in [o["name"] for o in new_schema["Severity"]["select"]["options"]]
    assert "android" in [o["name"] for o in new_schema["Tags"]["multi_select"]["options"]]

    changed = notion.data_sources.query(
        ds, filter={"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "2026-11-20T10:18:00Z"}}
    )
    assert [r["id"] for r in changed["results"]] == [R2]


def test_human_edits_are_attributed_to_a_person(notion: Client, sandbox: NotionSandbox, clock: ManualClock) -> None:
    clock.advance(minutes=1)
    sandbox.edit_page(R4, {"Status": "Rejected", "Tags": ["brand-new"]}, by=BOB)
    page = notion.pages.retrieve(R4)
    assert page["last_edited_by"]["id"] == BOB and page["last_edited_time"] == "2026-11-20T10:16:00.000Z"
    assert page["properties"]["Status"]["status"]["name"] == "Rejected"
    row = sandbox.add_row(sandbox.data_source_id(DB), {"Name": "Typed in the app"})
    assert notion.pages.retrieve(row)["created_by"]["id"] == ALICE


def test_patch_text_over_2000_characters_is_rejected(notion: Client) -> None:
    notion.pages.update(R1, properties={"Details": {"rich_text": [{"text": {"content": "x" * 2000}}]}})
    error = api_error(
        lambda: notion.pages.update(R1, properties={"Details": {"rich_text": [{"text": {"content": "x" * 2001}}]}})
    )
    assert error.code == "validation_error"
    assert str(error) == (
        "body failed validation: body.properties.Details.rich_text[0].text.content.length "
        "should be ≤ `2000`, instead was `2001`."
    )


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"Tags": {"multi_select": [{"name": f"t{i}"} for i in range(101)]}}, "multi_select.length should be ≤ `100`"),
        ({"Details": {"rich_text": [{"text": {"content": "a"}}] * 101}}, "rich_text.length should be ≤ `100`"),
        ({"Nope": {"rich_text": []}}, "Nope is not a property that exists."),
        ({"ARR": {"number": "lots"}}, "body.properties.ARR.number should be a number or `null`"),
        ({"ARR": {"rich_text": []}}, "body.properties.ARR.number should be defined"),
        ({"ARR": 5}, "body.properties.ARR should be an object"),
        ({"Jira link": {"url": "https://x.example/" + "a" * 1990}}, "url.length should be ≤ `2000`"),
        ({"Jira link": {"url": ""}}, "should be a non-empty string"),
        ({"Status": {"status": {"name": "Shipped"}}}, 'Status option "Shipped" does not exist'),
        ({"Severity": {"select": {"name": "a,b"}}}, "without commas"),
        ({"Owner": {"people": [{"id": "99999999-9999-4999-8999-999999999999"}]}}, "Owner.people[0].id"),
        ({"Related": {"relation": [{"id": "a0000000-0000-4000-8000-000000000099"}]}}, "Related.relation[0].id"),
        ({"Received": {"date": {"start": "soon"}}}, "Received.date.start"),
        ({"Synced": {"checkbox": None}}, "should be a boolean"),
        ({"Created": {"created_time": "2026-01-01T00:00:00Z"}}, "cannot be updated"),
        ({"Ticket": {"unique_id": {"number": 9}}}, "cannot be updated"),
        ({"Score": {"formula": {"number": 1}}}, "cannot be updated"),
    ],
)
def test_invalid_patches_are_validation_errors(notion: Client, properties: dict[str, Any], message: str) -> None:
    error = api_error(lambda: notion.pages.update(R1, properties=properties))
    assert error.code == "validation_error" and message in str(error)


def test_relation_must_point_into_its_data_source(notion: Client) -> None:
    error = api_error(lambda: notion.pages.update(R1, properties={"Bulk items": {"relation": [{"id": R2}]}}))
    assert error.code == "validation_error"


def test_failed_patch_changes_nothing(notion: Client, ds: str) -> None:
    before = notion.pages.retrieve(R1)
    error = api_error(lambda: notion.pages.update(R1, properties={
        "ARR": {"number": 1}, "Severity": {"select": {"name": "Brand new"}}, "Nope": {"number": 1}}))
    assert error.code == "validation_error"
    assert notion.pages.retrieve(R1)["properties"] == before["properties"]
    options = notion.data_sources.retrieve(ds)["properties"]["Severity"]["select"]["options"]
    assert "Brand new" not in [o["name"] for o in options]


def test_oversized_body_is_rejected(notion: Client) -> None:
    error = api_error(lambda: notion.pages.update(R1, template={"padding": "x" * 600_000}))
    assert error.code == "validation_error" and error.status == 400


def test_patch_icon_cover_and_lock(notion: Client) -> None:
    page = notion.pages.update(R1, icon={"type": "emoji", "emoji": "🛴"}, is_locked=True,
                               cover={"external": {"url": "https://example.com/c.png"}})
    assert page["icon"] == {"type": "emoji", "emoji": "🛴"} and page["is_locked"] is True
    assert page["cover"] == {"type": "external", "external": {"url": "https://example.com/c.png"}}
    assert notion.pages.update(R1, icon=None)["icon"] is None


def test_create_page_in_data_source(notion: Client, ds: str, clock: ManualClock) -> None:
    created = notion.pages.create(
        parent={"data_source_id": ds},
        properties={"Name": {"title": [{"text": {"content": "New request"}}]}, "Severity": {"select": {"name": "Low"}}},
    )
    assert created["parent"] == {"type": "data_source_id", "data_source_id": ds, "database_id": DB}
    assert created["created_time"] == created["last_edited_time"] == "2026-11-20T10:15:00.000Z"
    assert created["properties"]["Ticket"]["unique_id"]["number"] == 7
    assert created["properties"]["Details"]["rich_text"] == [] and created["properties"]["Severity"]["select"]
    via_db = notion.pages.create(parent={"type": "database_id", "database_id": DB}, properties={})
    assert via_db["parent"]["data_source_id"] == ds and titles([via_db]) == [""]
    found = {r["id"] for r in notion.data_sources.query(ds)["results"]}
    assert {created["id"], via_db["id"]} <= found
    missing = {"data_source_id": "00000000-0000-4000-8000-000000000000"}
    assert api_error(lambda: notion.pages.create(parent=missing, properties={})).code == "object_not_found"
    assert api_error(lambda: notion.pages.create(parent={"page_id": R1}, properties={})).code == "validation_error"


# -- property items ------------------------------------------------------------------------------
def test_property_items(notion: Client, sandbox: NotionSandbox, schema: dict[str, Any]) -> None:
    bulk_ids = [r["id"] for r in notion.data_sources.query(sandbox.data_source_id(BULK_DB), page_size=30)["results"]]
    page = notion.pages.update(R1, properties={"Bulk items": {"relation": [{"id": i} for i in bulk_ids]}})
    assert len(page["properties"]["Bulk items"]["relation"]) == 25 and page["properties"]["Bulk items"]["has_more"]

    relation_id = schema["Bulk items"]["id"]
    items = collect_paginated_api(notion.pages.properties.retrieve, page_id=R1, property_id=relation_id, page_size=10)
    assert [i["relation"]["id"] for i in items] == bulk_ids

    title = notion.pages.properties.retrieve(R1, "title")
    assert title["property_item"] == {"id": "title", "next_url": None, "type": "title", "title": {}}
    assert title["results"][0]["title"]["plain_text"] == TITLES[R1]
    number = notion.pages.properties.retrieve(R1, schema["ARR"]["id"])
    assert {k: number[k] for k in ("object", "type", "number")} == {
        "object": "property_item", "type": "number", "number": 24_000_000}
    for prop in schema.values():  # every (URL-encoded) id resolves
        notion.pages.properties.retrieve(R2, prop["id"])
    assert api_error(lambda: notion.pages.properties.retrieve(R1, "zzzz")).code == "object_not_found"


# -- rate limits and faults ----------------------------------------------------------------------
def test_rate_limit_then_client_retry_honours_retry_after(notion: Client, sandbox: NotionSandbox) -> None:
    strict = Client(auth=TOKEN, base_url=sandbox.base_url, retry=False)
    sandbox.set_rate_limit(2.0, burst=1)
    notion.users.me()
    error = api_error(strict.users.me)
    assert (error.code, error.status, error.headers["retry-after"]) == ("rate_limited", 429, "1")

    time.sleep(0.6)  # let one token come back
    notion.users.me()
    started = time.monotonic()
    assert notion.users.me()["type"] == "bot"  # 429 → client sleeps Retry-After (1 s) → 200
    assert time.monotonic() - started >= 0.9
    assert [r.status for r in sandbox.calls("GET", "/users/me")] == [200, 429, 200, 429, 200]
    strict.close()


def test_server_error_is_retried_on_get_but_not_on_patch(sandbox: NotionSandbox) -> None:
    client = Client(auth=TOKEN, base_url=sandbox.base_url, retry=RetryOptions(initial_retry_delay_ms=20))
    sandbox.inject(Fault(method="GET", path=r"^/v1/pages/", status=500))
    assert client.pages.retrieve(R1)["id"] == R1
    assert [r.status for r in sandbox.calls("GET", "^/v1/pages/")] == [500, 200]

    sandbox.inject(Fault(method="PATCH", path=r"^/v1/pages/", status=500))
    error = api_error(lambda: client.pages.update(R1, properties={"ARR": {"number": 1}}))
    assert error.code == "internal_server_error"
    assert [r.status for r in sandbox.calls("PATCH")] == [500]
    assert client.pages.retrieve(R1)["properties"]["ARR"]["number"] == 24_000_000
    client.close()


@pytest.mark.parametrize("status", [502, 529])
def test_unknown_error_codes_are_not_retried(sandbox: NotionSandbox, status: int) -> None:
    client = Client(auth=TOKEN, base_url=sandbox.base_url, retry=RetryOptions(initial_retry_delay_ms=20))
    sandbox.inject(Fault(method="GET", status=status))
    with pytest.raises(UnknownHTTPResponseError):
        client.users.me()
    assert [r.status for r in sandbox.calls("GET")] == [status]
    client.close()


# -- conformance with real recordings and the OpenAPI request schemas ------------------------------
def recorded(cassette: str, method: str, uri: str) -> dict[str, Any]:
    data = yaml.safe_load((SPECS / "notion-cassettes" / cassette).read_text())
    for interaction in data["interactions"]:
        request = interaction["request"]
        if request["method"] == method and re.search(uri, request["uri"]):
            body: dict[str, Any] = json.loads(interaction["response"]["body"]["string"])
            return body
    raise AssertionError(f"no {method} {uri} in {cassette}")


# Keys whose value is null in one response and an object in the other for legitimate reasons
# (e.g. the recorded data source has an emoji icon, ours has none).
NULLABLE = {"icon", "cover", "next_cursor", "public_url"}


def assert_same_shape(ours: dict[str, Any], real: dict[str, Any], *, extra: frozenset[str] = frozenset()) -> None:
    """Same top-level keys (besides `extra`, which only we send) with the same JSON types."""
    assert set(ours) - extra == set(real)
    for key, value in real.items():
        if key in NULLABLE and (value is None or ours[key] is None):
            continue
        assert type(ours[key]) is type(value), key


def test_shapes_match_real_recordings(notion: Client, ds: str) -> None:
    assert_same_shape(notion.databases.retrieve(DB), recorded("test_databases_retrieve.yaml", "GET", "/databases/"))

    real_ds = recorded("test_data_sources_retrieve.yaml", "GET", "/data_sources/")
    ours_ds = notion.data_sources.retrieve(ds)
    assert_same_shape(ours_ds, real_ds)
    assert set(ours_ds["properties"]["Name"]) == set(real_ds["properties"]["Name"])
    assert ours_ds["properties"]["Name"]["id"] == real_ds["properties"]["Name"]["id"] == "title"
    # database_parent differs on purpose: seeded databases live at the workspace root, not in a page.
    assert set(ours_ds["parent"]) == set(real_ds["parent"])

    real_page = recorded("test_pages_retrieve.yaml", "GET", r"/pages/[0-9a-f-]+$")
    ours_page = notion.pages.retrieve(R1)
    assert_same_shape(ours_page, real_page)
    for key in ("created_time", "last_edited_time"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z", ours_page[key])
    assert set(ours_page["created_by"]) == set(real_page["created_by"])
    # The recorded page is a child page (parent.type page_id); ours are rows (data_source_id + database_id).
    real_title, ours_title = real_page["properties"]["title"], ours_page["properties"]["Name"]
    assert set(ours_title) == set(real_title)
    assert set(ours_title["title"][0]) == set(real_title["title"][0])
    assert ours_title["title"][0]["annotations"] == real_title["title"][0]["annotations"]

    assert_same_shape(notion.pages.update(R1, icon={"type": "emoji", "emoji": "🛴"}),
                      recorded("test_pages_update.yaml", "PATCH", "/pages/"))

    real_list = recorded("test_data_sources_query.yaml", "POST", "/query$")
    ours_list = notion.data_sources.query(ds, page_size=2)
    assert_same_shape(ours_list, real_list)
    # Pages inside a list carry no request_id of their own; the envelope does.
    assert_same_shape(ours_list["results"][0], {k: v for k, v in real_page.items() if k != "request_id"})

    real_items = recorded("test_pages_properties_retrieve.yaml", "GET", "/properties/title")
    ours_items = notion.pages.properties.retrieve(R1, "title")
    assert_same_shape(ours_items, real_items)
    assert set(ours_items["results"][0]) == set(real_items["results"][0])
    assert set(ours_items["property_item"]) == set(real_items["property_item"])


def test_error_shapes_match_real_recordings(notion: Client, sandbox: NotionSandbox) -> None:
    cases = [
        (lambda: notion.request(path="invalid", method="GET"), ("test_api_response_error.yaml", "/v1/invalid")),
        (lambda: Client(auth="x", base_url=sandbox.base_url).users.list(), ("test_api_response_error.yaml", "/users")),
        (lambda: notion.pages.retrieve("00000000-0000-0000-0000-000000000000"),
         ("test_build_request_error_integration.yaml", "/pages/")),
    ]
    for call, (cassette, uri) in cases:
        error = api_error(call)
        real = recorded(cassette, "GET", uri)
        ours = json.loads(error.body)
        assert_same_shape(ours, real)
        assert (ours["status"], ours["code"]) == (real["status"], real["code"])


def openapi_validator(path: str, method: str) -> Draft202012Validator:
    spec = json.loads((SPECS / "notion-openapi.json").read_text())
    schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": spec["components"]})


def test_client_request_bodies_match_openapi(notion: Client, ds: str, sent: list[tuple[str, str, Any]]) -> None:
    notion.data_sources.query(
        ds, page_size=50, in_trash=False,
        filter={"and": [{"property": "Severity", "select": {"equals": "High"}},
                        {"timestamp": "last_edited_time", "last_edited_time": {"after": "2026-01-01"}}]},
        sorts=[{"property": "ARR", "direction": "descending"}],
    )
    notion.pages.update(R1, properties={"ARR": {"number": 2}}, in_trash=False, icon={"emoji": "🚀"})
    notion.pages.create(parent={"database_id": DB}, properties={"Name": {"title": [{"text": {"content": "x"}}]}})
    query, update, create = (
        openapi_validator("/v1/data_sources/{data_source_id}/query", "post"),
        openapi_validator("/v1/pages/{page_id}", "patch"),
        openapi_validator("/v1/pages", "post"),
    )
    bodies = {(method, path.rsplit("/", 1)[-1] if method == "POST" else "page"): body for method, path, body in sent}
    query.validate(bodies[("POST", "query")])
    update.validate(bodies[("PATCH", "page")])
    create.validate(bodies[("POST", "pages")])
    # The spec's sortObject requires `property`; timestamp sorts are real (the sandbox accepts them) but the
    # simplified spec rejects them, so that is a spec gap rather than a client bug.
    assert not query.is_valid({"sorts": [{"timestamp": "created_time", "direction": "ascending"}]})

"""The sandbox routes `cxsync init` and `cxsync doctor` rely on: Notion search and Jira mypermissions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from notion_client import Client
from notion_client.errors import APIResponseError

from cxsync.sandbox.runner import JIRA_API_TOKEN, JIRA_EMAIL, Sandboxes, start_sandboxes


@pytest.fixture(scope="module")
def boxes() -> Iterator[Sandboxes]:
    started = start_sandboxes()
    yield started
    started.stop()


def _notion(boxes: Sandboxes) -> Client:
    return Client(auth=boxes.notion.token, base_url=boxes.notion.base_url)


def test_search_data_sources(boxes: Sandboxes) -> None:
    found = _notion(boxes).search(filter={"property": "object", "value": "data_source"}, query="customer")
    assert [(r["object"], r["title"][0]["plain_text"]) for r in found["results"]] == [
        ("data_source", "Customer requests")
    ]
    assert "Need" in found["results"][0]["properties"] and found["has_more"] is False


def test_search_pages_paginate_without_repeats(boxes: Sandboxes) -> None:
    client = _notion(boxes)
    seen: list[str] = []
    body: dict[str, object] = {"filter": {"property": "object", "value": "page"}, "page_size": 40}
    while True:
        page = client.search(**body)
        assert len(page["results"]) <= 40 and all(r["object"] == "page" for r in page["results"])
        seen += [r["id"] for r in page["results"]]
        if not page["has_more"]:
            break
        body["start_cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen)) == len(boxes.notion.pages)


@pytest.mark.parametrize(
    "body",
    [
        {"filter": {"property": "object", "value": "database"}},  # removed in API version 2025-09-03
        {"page_size": 101},
    ],
)
def test_search_rejects_bad_bodies(boxes: Sandboxes, body: dict[str, object]) -> None:
    with pytest.raises(APIResponseError) as raised:
        _notion(boxes).search(**body)
    assert raised.value.status == 400


def _permissions(boxes: Sandboxes, **params: str) -> requests.Response:
    return requests.get(
        f"{boxes.jira.base_url}/rest/api/3/mypermissions",
        params=params,
        auth=(JIRA_EMAIL, JIRA_API_TOKEN),
        timeout=5,
    )


def test_mypermissions(boxes: Sandboxes) -> None:
    boxes.jira.denied_permissions = {"LINK_ISSUES"}
    try:
        answer = _permissions(boxes, projectKey="CX", permissions="CREATE_ISSUES,LINK_ISSUES")
        assert answer.status_code == 200
        perms = answer.json()["permissions"]
        assert set(perms) == {"CREATE_ISSUES", "LINK_ISSUES"}
        assert perms["CREATE_ISSUES"]["havePermission"] is True and perms["LINK_ISSUES"]["havePermission"] is False
        assert perms["CREATE_ISSUES"]["type"] == "PROJECT" and perms["CREATE_ISSUES"]["key"] == "CREATE_ISSUES"
    finally:
        boxes.jira.denied_permissions = set()
    assert _permissions(boxes, projectKey="CX").status_code == 400  # Cloud requires `permissions`
    assert _permissions(boxes, permissions="FLY").status_code == 400
    assert _permissions(boxes, projectKey="NOPE", permissions="CREATE_ISSUES").status_code == 404

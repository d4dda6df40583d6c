"""Closing the loop: who to tell once an issue ships."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import MAPPING, World, all_pages, open_world, text_of


@pytest.fixture(params=["cloud", "datacenter"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, flavor=request.param)


def _notify(world: World, *args: str) -> list[dict[str, str]]:
    result = world.cli("notify-list", "--mapping", MAPPING, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, str]] = json.loads(result.stdout)
    return rows


def test_notify_list_names_exactly_the_requesters_of_the_shipped_group(world: World) -> None:
    world.sync_json()
    plan = world.plan_json()
    key = max(plan["groups"], key=lambda g: g["requests"])["key"]
    declined = min(plan["groups"], key=lambda g: g["requests"])["key"]
    assert _notify(world, "--since", "2000-01-01") == []
    world.boxes.jira.transition(key, "Done")
    world.boxes.jira.transition(declined, "Won't Do")
    world.sync_json()
    members = [p for p in all_pages(world.notion()) if text_of(p, "Jira 키") == key]
    rows = _notify(world)
    assert {r["jira_key"] for r in rows} == {key}
    assert sorted(r["request"] for r in rows) == sorted(text_of(p, "요청 내용").strip() for p in members)
    assert all(r["customer"] and r["notion_url"] for r in rows)
    assert _notify(world) == [], "a second run lists only what shipped since the first"
    assert len(_notify(world, "--since", "2000-01-01")) == len(members)


def test_notify_list_csv_neutralises_formulas(world: World) -> None:
    world.sync_json()
    client = world.notion()
    page = next(p for p in all_pages(client) if text_of(p, "Jira 키"))
    key = text_of(page, "Jira 키")
    client.pages.update(page_id=page["id"], properties={"고객명": {"rich_text": [{"text": {"content": "=HYPERLINK(1)"}}]}})
    world.boxes.jira.transition(key, "Done")
    result = world.cli("notify-list", "--mapping", MAPPING, "--since", "2000-01-01")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert any(r["customer"] == "'=HYPERLINK(1)" for r in rows)

"""Issues humans change, delete or move in Jira, and what cxsync does about it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import MAPPING, World, all_pages, open_world, text_of


@pytest.fixture(params=["cloud", "datacenter"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, flavor=request.param)


def _key_of_largest_group(world: World) -> str:
    plan = world.plan_json()
    return str(max(plan["groups"], key=lambda g: g["requests"])["key"])


def _touch_group(world: World, key: str, name: str) -> None:
    client = world.notion()
    page = next(p for p in all_pages(client) if text_of(p, "Jira 키") == key)
    client.pages.update(page_id=page["id"], properties={"고객명": {"rich_text": [{"text": {"content": name}}]}})


def test_priority_comes_from_demand_rules_and_a_human_choice_survives(world: World) -> None:
    world.sync_json()
    key = _key_of_largest_group(world)
    assert world.boxes.jira.issue(key)["priority"] in ("High", "Medium")
    world.boxes.jira.edit_fields(key, priority="Highest")
    _touch_group(world, key, "우선순위 확인용 고객")
    plan = world.plan_json()
    group = next(g for g in plan["groups"] if g["key"] == key)
    assert group["action"] == "update" and "priority" not in group["changes"]
    assert any("priority" in note for note in group["notes"])
    world.sync_json()
    assert world.boxes.jira.issue(key)["priority"] == "Highest"


def test_a_deleted_issue_is_reported_and_recreated_only_when_asked(world: World) -> None:
    world.sync_json()
    key = _key_of_largest_group(world)
    before = len(world.issues())
    world.boxes.jira.delete_issue(key)
    plan = world.plan_json()
    skipped = [g for g in plan["groups"] if g["action"] == "skip"]
    assert len(skipped) == 1 and key in skipped[0]["notes"][0] and "--recreate-missing" in skipped[0]["notes"][0]
    assert plan["created"] == 0 and plan["writes"] == 0
    world.sync_json()
    assert len(world.issues()) == before - 1
    result = world.cli("sync", "--mapping", MAPPING, "--format", "json", "--recreate-missing")
    assert result.exit_code == 0, result.output
    assert len(world.issues()) == before
    assert world.plan_json()["writes"] == 0


def test_a_moved_issue_is_followed_not_duplicated(world: World) -> None:
    world.sync_json()
    key = _key_of_largest_group(world)
    before = len(world.issues())
    new_key = world.boxes.jira.move_issue(key, "VOC")
    summary = world.sync_json()
    assert summary["created"] == 0 and len(world.issues()) == before
    pages = [p for p in all_pages(world.notion()) if text_of(p, "Jira 키") == new_key]
    assert pages, "entries now point at the moved issue"
    assert world.plan_json()["writes"] == 0

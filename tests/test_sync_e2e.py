"""The whole path against the sandboxes, through the real notion-client and jira libraries."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import MAPPING, MAPPING_EN, World, all_pages, open_world, text_of

from cxsync.sandbox.base import Fault


@pytest.fixture(params=["cloud", "datacenter"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, flavor=request.param)


def _tagged(pages: list[dict]) -> list[dict]:
    return [p for p in pages if text_of(p, "니즈 태그")]


def _group_labels(issue: dict) -> list[str]:
    return [label for label in issue["labels"] if label.startswith("cxsync-g")]


def test_first_sync_makes_one_issue_per_group_and_links_every_entry(world: World) -> None:
    summary = world.sync_json()
    issues = world.issues()
    assert summary["created"] == len(issues) > 0
    assert summary["applied"]["failures"] == []
    labels = Counter(label for issue in issues for label in _group_labels(issue))
    assert all(n == 1 for n in labels.values()), "a group label on two issues is a duplicate"
    pages = _tagged(all_pages(world.notion()))
    keys = {issue["key"] for issue in issues}
    assert all(text_of(p, "Jira 키") in keys for p in pages), "every tagged entry carries its issue key"
    links = sum(len(world.boxes.jira.remote_links(key)) for key in keys)
    assert links == len(pages), "one remote link per Notion entry"
    untagged = [p for p in all_pages(world.notion()) if not text_of(p, "니즈 태그")]
    assert untagged and all(not text_of(p, "Jira 키") for p in untagged)


def test_second_sync_writes_nothing_and_plan_after_apply_is_empty(world: World) -> None:
    world.sync_json()
    second = world.sync_json()
    assert second["writes"] == 0 and second["applied"]["writes"] == 0
    assert second["created"] == 0 and second["updated"] == 0
    result = world.cli("plan", "--mapping", MAPPING, "--detailed-exitcode")
    assert result.exit_code == 0, result.output


def test_lost_local_state_creates_no_duplicate(world: World) -> None:
    world.sync_json()
    before = len(world.issues())
    shutil.rmtree(world.state_dir)
    again = world.sync_json()
    assert again["created"] == 0 and again["writes"] == 0
    assert len(world.issues()) == before


def test_lost_state_and_cleared_keys_are_recovered_from_jira_labels(world: World) -> None:
    world.sync_json()
    before = len(world.issues())
    shutil.rmtree(world.state_dir)
    client = world.notion()
    for page in _tagged(all_pages(client)):
        client.pages.update(page_id=page["id"], properties={"Jira 키": {"rich_text": []}})
    again = world.sync_json()
    assert again["created"] == 0 and len(world.issues()) == before
    assert all(text_of(p, "Jira 키") for p in _tagged(all_pages(client)))


def test_editing_one_entry_updates_exactly_its_issue(world: World) -> None:
    world.sync_json()
    client = world.notion()
    page = next(p for p in _tagged(all_pages(client)) if text_of(p, "고객사") == "한빛커머스")
    key = text_of(page, "Jira 키")
    client.pages.update(page_id=page["id"], properties={"고객명": {"rich_text": [{"text": {"content": "새 담당자"}}]}})
    plan = world.plan_json()
    changed = [g for g in plan["groups"] if g["action"] != "unchanged"]
    assert [g["key"] for g in changed] == [key]
    assert plan["writebacks"] == 0
    applied = world.sync_json()
    assert applied["applied"]["updated"] == [key]
    assert world.plan_json()["writes"] == 0


def test_a_lost_create_response_does_not_create_a_second_issue(world: World) -> None:
    world.boxes.jira.inject(Fault(method="POST", path=r"/issue$", drop_after_commit=True, times=1))
    world.sync_json()
    labels = Counter(label for issue in world.issues() for label in _group_labels(issue))
    assert labels and all(n == 1 for n in labels.values())
    assert world.plan_json()["writes"] == 0


def test_jira_status_is_written_back_to_notion(world: World) -> None:
    world.sync_json()
    client = world.notion()
    page = _tagged(all_pages(client))[0]
    key = text_of(page, "Jira 키")
    assert text_of(page, "상태") == "접수"
    world.boxes.jira.transition(key, "Done")
    world.sync_json()
    members = [p for p in all_pages(client) if text_of(p, "Jira 키") == key]
    assert members and all(text_of(p, "상태") == "완료" for p in members)
    world.boxes.jira.transition(key, "Won't Do")
    world.sync_json()
    assert all(text_of(p, "상태") == "반려" for p in all_pages(client) if text_of(p, "Jira 키") == key)


def test_human_edits_in_jira_survive_an_update(world: World) -> None:
    world.sync_json()
    client = world.notion()
    page = _tagged(all_pages(client))[0]
    key = text_of(page, "Jira 키")
    world.boxes.jira.edit_fields(key, summary="PM이 다시 쓴 제목")
    client.pages.update(page_id=page["id"], properties={"고객명": {"rich_text": [{"text": {"content": "새 고객"}}]}})
    plan = world.plan_json()
    group = next(g for g in plan["groups"] if g["key"] == key)
    assert "summary" not in group["changes"] and any("summary" in n for n in group["notes"])
    world.sync_json()
    assert world.boxes.jira.issue(key)["summary"] == "PM이 다시 쓴 제목"


def test_english_mapping_syncs_into_its_own_project(world: World) -> None:
    summary = world.sync_json(MAPPING_EN)
    assert summary["created"] > 0
    assert all(i["key"].startswith("VOC-") for i in world.issues() if i["key"].startswith("VOC"))
    assert world.sync_json(MAPPING_EN)["writes"] == 0


def test_saved_plan_applies_and_a_stale_one_is_refused(world: World, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert world.cli("plan", "--mapping", MAPPING, "--out", str(saved), "--format", "json").exit_code == 0
    client = world.notion()
    page = _tagged(all_pages(client))[0]
    client.pages.update(page_id=page["id"], properties={"ARR": {"number": 1}})
    refused = world.cli("--lang", "en", "apply", "--mapping", MAPPING, str(saved))
    assert refused.exit_code == 7 and "stale" in refused.stderr
    assert world.issues() == []
    assert world.cli("plan", "--mapping", MAPPING, "--out", str(saved), "--format", "json").exit_code == 0
    applied = world.cli("apply", "--mapping", MAPPING, str(saved))
    assert applied.exit_code == 0, applied.output
    assert world.issues()


def test_datacenter_flavour_uses_wiki_markup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for world in open_world(monkeypatch, tmp_path, flavor="datacenter"):
        first = world.sync_json()
        issues = world.issues()
        assert first["created"] == len(issues) > 0
        description = issues[0]["description"]
        assert isinstance(description, str) and "⟦cxsync:begin⟧" in description
        assert world.sync_json()["writes"] == 0

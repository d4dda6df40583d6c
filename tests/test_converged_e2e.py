"""A scheduled sync that finds nothing changed since a run with nothing to do carries that run's plan
forward instead of planning again; anything a plan reads that changes makes it plan in full."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import make_entry
from e2e import MAPPING, World, all_pages, mapping_with_overrides, open_world
from small_seed import small_seed

from cxsync.cache import SyncCache
from cxsync.converged import converged_key
from cxsync.document import pack_json
from cxsync.models import ActualIssue, SkippedEntry

PAGE = "5e11a11a-0000-4000-8000-{:012d}"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, seed=small_seed())


def _sync_text(world: World, mapping: str = MAPPING) -> str:
    result = world.cli("--lang", "en", "sync", "--mapping", mapping)
    assert result.exit_code == 0, result.output
    return result.stdout


def _last_inputs(world: World) -> dict[str, Any]:
    lines = (world.state_dir / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    return [e for e in events if e.get("type") == "inputs"][-1]


def _requests(world: World) -> tuple[int, int]:
    counts = len(world.boxes.notion.requests), len(world.boxes.jira.requests)
    world.boxes.notion.requests.clear()
    world.boxes.jira.requests.clear()
    return counts


def test_after_a_sync_that_wrote_the_next_noop_carries_its_confirmed_plan(world: World) -> None:
    first = _sync_text(world)
    assert "to create" in first
    assert _last_inputs(world)["carried"] is None
    full = world.plan_json()  # planned in full: the figures the carried plan must repeat
    assert full["writes"] == 0 and full["unchanged"] > 0
    _requests(world)

    again = _sync_text(world)
    notion_calls, jira_calls = _requests(world)
    inputs = _last_inputs(world)
    assert inputs["carried"] is not None, "the sync that wrote confirmed it converged"
    assert inputs["carried"]["groups"] == full["unchanged"]
    assert inputs["groups"] == len(full["groups"])
    assert inputs["entries"] == sum(len(g["members"]) for g in full["groups"])
    assert inputs["planned"]["writes"] == 0
    assert "No changes" in again
    assert f"Unchanged groups not shown: {full['unchanged']}" in again
    # Notion: the data source (found last time; the database is not looked up again) and the window's
    # query; Jira: serverInfo, fields (twice, one is the library's cache), the count and the window's search
    assert notion_calls <= 3 and jira_calls <= 6, (notion_calls, jira_calls)


def test_a_notion_edit_ends_the_carry_and_reaches_jira(world: World) -> None:
    _sync_text(world)
    _sync_text(world)
    assert _last_inputs(world)["carried"] is not None
    page = next(p for p in all_pages(world.notion()) if p["properties"]["니즈 태그"]["select"])
    world.boxes.notion.edit_page(page["id"], {"ARR": 987_654_321})

    edited = _sync_text(world)
    assert _last_inputs(world)["carried"] is None
    assert "1 to update" in edited
    after = world.plan_json()
    assert after["writes"] == 0, "the edit was applied"
    assert _last_inputs(world)["carried"] is None  # plan itself never carries


def test_a_changed_overrides_file_ends_the_carry(world: World, tmp_path: Path) -> None:
    mapping, overrides = mapping_with_overrides(tmp_path)
    _sync_text(world, mapping)
    _sync_text(world, mapping)
    assert _last_inputs(world)["carried"] is not None
    overrides.write_text(f"split: [{PAGE.format(1)}]\n", encoding="utf-8")

    _sync_text(world, mapping)
    assert _last_inputs(world)["carried"] is None
    plan = world.plan_json(mapping)
    moved = next(g for g in plan["groups"] if PAGE.format(1) in {m["page_id"] for m in g["members"]})
    assert [m["page_id"] for m in moved["members"]] == [PAGE.format(1)] and plan["writes"] == 0


def test_a_status_change_in_jira_ends_the_carry_and_reaches_notion(world: World) -> None:
    _sync_text(world)
    _sync_text(world)
    assert _last_inputs(world)["carried"] is not None
    key = world.issues()[0]["key"]
    world.boxes.jira.transition(key, "Done")

    _sync_text(world)
    inputs = _last_inputs(world)
    assert inputs["carried"] is None and inputs["planned"]["writebacks"] > 0
    _sync_text(world)
    assert _last_inputs(world)["carried"] is not None, "that run confirmed it converged"


def test_a_plan_that_asks_jira_beyond_the_cache_is_never_carried(world: World) -> None:
    _sync_text(world)
    key = world.issues()[0]["key"]
    world.boxes.jira.delete_issue(key)  # its group now looks for the issue by label on every run
    for _ in range(2):
        text = _sync_text(world)
        assert _last_inputs(world)["carried"] is None
        assert "! skip" in text


def test_the_cache_generation_moves_only_when_what_it_holds_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXSYNC_STATE_DIR", str(tmp_path))
    cache = SyncCache("m", "f")
    page = SkippedEntry(page_id="p1", url="https://notion.so/p1", reason_en="no text", reason_ko="텍스트 없음")
    start = cache.generation()
    cache.upsert_pages([page])
    assert cache.generation() == start + 1
    cache.upsert_pages([page])
    cache.upsert_pages([])
    cache.know_links("CX-1", {"cxsync:a": {"object": {"url": "https://a", "title": "A"}}})
    moved = cache.generation()
    assert moved == start + 2
    cache.know_links("CX-1", {"cxsync:a": {"object": {"url": "https://a", "title": "A"}}})
    assert cache.generation() == moved, "the same page and the same links again change nothing"
    cache.know_links("CX-1", {})
    assert cache.generation() == moved + 1 and cache.links("CX-1") == {}
    cache.upsert_pages([page.model_copy(update={"reason_en": "empty"})])
    assert cache.generation() == moved + 2


def test_cached_issues_come_back_equal_and_an_unchanged_one_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXSYNC_STATE_DIR", str(tmp_path))
    description = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "결제 내역 🙂"}]}],
    }
    issue = ActualIssue(
        id="10001",
        key="CX-1",
        summary="엑셀",
        labels=("cxsync",),
        description_json=pack_json(description),
        has_block=True,
        status="To Do",
        status_category="new",
        fields={"customfield_1": 3},
    )
    cache = SyncCache("m", "f")
    cache.upsert_issues([issue])
    moved = cache.generation()
    cache.upsert_issues([issue])
    assert cache.generation() == moved
    (back,) = cache.issues()
    assert back == issue and back.description() == description
    cache.upsert_issues([issue.model_copy(update={"description_json": pack_json(None)})])
    assert cache.generation() == moved + 1, "a new description alone is a change"
    assert cache.issues()[0].description() is None


def test_held_pages_follow_every_write_and_are_let_go_after_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXSYNC_STATE_DIR", str(tmp_path))
    cache = SyncCache("m", "f")
    cache.replace_pages([make_entry(n) for n in range(8, 0, -1)])
    first, _ = cache.pages()
    cache.upsert_pages([make_entry(3, revenue=7), make_entry(9)])
    cache.drop_pages(["00000000-0000-4000-8000-000000000005"])
    held, _ = cache.pages()
    assert held == SyncCache("m", "f").pages()[0], "the held rows are the stored rows, in page id order"
    assert held[0] is first[0], "a row nobody wrote is not parsed again"
    cache.upsert_pages([make_entry(n, revenue=1) for n in (1, 2, 4)])  # now over a quarter replaced
    reloaded, _ = cache.pages()
    assert reloaded == SyncCache("m", "f").pages()[0] and reloaded[-1] is not held[-1]


def test_the_key_changes_with_the_day_and_the_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXSYNC_STATE_DIR", str(tmp_path))
    cache = SyncCache("m", "f")
    today = date(2026, 11, 30)
    key = converged_key(cache, {"fields": {"requests": "customfield_1"}}, None, today)
    assert key == converged_key(cache, {"fields": {"requests": "customfield_1"}}, None, today)
    assert key != converged_key(cache, {"fields": {"requests": "customfield_1"}}, None, date(2026, 12, 1))
    assert key != converged_key(cache, {"fields": {"requests": "customfield_2"}}, None, today)
    overrides = tmp_path / "o.yaml"
    overrides.write_text("{}\n", encoding="utf-8")
    assert key != converged_key(cache, {"fields": {"requests": "customfield_1"}}, overrides, today)


def test_a_data_source_remembered_wrongly_is_looked_up_again(world: World) -> None:
    _sync_text(world)
    cache = next(world.state_dir.glob("*.cache.sqlite"))
    query = "select value from meta where name = 'notion.data_source'"
    with sqlite3.connect(cache) as db:
        (found,) = db.execute(query).fetchone()
        db.execute("update meta set value = '00000000-0000-4000-8000-000000000000' where name = 'notion.data_source'")
    assert "No changes" in _sync_text(world)
    with sqlite3.connect(cache) as db:
        assert db.execute(query).fetchone() == (found,)


def test_issues_written_within_the_search_lag_are_read_back_so_the_run_converges(world: World) -> None:
    world.boxes.jira.search_lag_seconds = 1.0  # search shows each issue as it was a second ago
    world.monkeypatch.setenv("CXSYNC_JIRA_SEARCH_LAG", "1")
    _sync_text(world)  # its last Jira writes are creates and records, moments before the settle's search
    time.sleep(1.1)  # runs are far apart; here only the settle of each run is inside the lag
    _sync_text(world)
    assert _last_inputs(world)["carried"] is not None, "the created issues were read back as they are"
    page = next(p for p in all_pages(world.notion()) if p["properties"]["니즈 태그"]["select"])
    world.boxes.notion.edit_page(page["id"], {"ARR": 987_654_321})
    assert "1 to update" in _sync_text(world)  # its last write is an issue edit
    time.sleep(1.1)
    _sync_text(world)
    assert _last_inputs(world)["carried"] is not None, "the edited issue was read back as it is"

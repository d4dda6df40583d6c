"""Incremental sync: what a scheduled run reads and writes grows with what changed, not with the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e import MAPPING, World, all_pages, open_world, text_of

from cxsync.cache import SyncCache
from cxsync.lock import run_lock
from cxsync.sandbox.base import Fault


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path)


@pytest.fixture(params=["cloud", "datacenter"])
def any_world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, flavor=request.param)


def _calls(world: World, since: int) -> dict[str, int]:
    """Requests each sandbox answered after index `since` of its log, by kind."""
    notion = world.boxes.notion.requests[since:]
    jira = world.boxes.jira.requests[since:]
    return {
        "notion_query": sum(1 for r in notion if r.path.endswith("/query")),
        "notion_write": sum(1 for r in notion if r.method == "PATCH"),
        "notion": len(notion),
        "jira": len(jira),
        "jira_write": sum(1 for r in jira if r.method in ("POST", "PUT", "DELETE") and "/search" not in r.path),
    }


def _mark(world: World) -> int:
    world.boxes.notion.requests.clear()
    world.boxes.jira.requests.clear()
    return 0


def _tagged_pages(world: World) -> list[dict[str, Any]]:
    return [p for p in all_pages(world.notion()) if p["properties"]["니즈 태그"]["select"]]


def test_a_noop_resync_reads_one_window_and_writes_nothing(any_world: World) -> None:
    world = any_world
    first = world.sync_json()
    assert first["reads"]["notion_mode"] == "full"
    for _ in range(2):
        start = _mark(world)
        again = world.sync_json()
        calls = _calls(world, start)
        assert again["reads"]["notion_mode"] == "incremental"
        assert again["reads"]["jira_mode"] == "incremental"
        assert again["writes"] == 0
        assert calls["notion_write"] == 0 and calls["jira_write"] == 0
        assert calls["notion_query"] <= 2, calls
        # Notion: database, data source, the window's queries. Jira: serverInfo, fields (twice: one is the
        # library's own cache), the count that reveals deleted or moved issues, and the window's search —
        # two pages here, as the issues created moments ago are still inside its search-lag margin
        assert calls["notion"] <= 4 and calls["jira"] <= 6, calls


def test_jira_is_read_while_notion_answers(world: World) -> None:
    """The two sides are read at once: a slow Notion answer does not hold back Jira's reads."""
    world.sync_json()
    _mark(world)
    world.boxes.notion.inject(Fault(method="POST", path="/query$", delay=1.0))
    again = world.sync_json()
    assert again["reads"]["jira_mode"] == "incremental" and again["writes"] == 0
    query = next(r for r in world.boxes.notion.requests if r.path.endswith("/query"))
    jira_reads = [r for r in world.boxes.jira.requests if "/search" in r.path]
    assert jira_reads and min(r.started for r in jira_reads) < query.at, (query, jira_reads)


def test_an_edit_reaches_its_issue_and_only_it_is_read_again(world: World) -> None:
    world.sync_json()
    page = _tagged_pages(world)[0]
    key = text_of(page, "Jira 키")
    world.boxes.notion.edit_page(page["id"], {"ARR": 987_654_321})
    start = _mark(world)
    result = world.sync_json()
    calls = _calls(world, start)
    updated = [g for g in result["groups"] if g["action"] == "update"]
    assert [g["key"] for g in updated] == [key]
    assert result["reads"]["pages_read"] < 131
    assert calls["jira_write"] == 1, calls  # the edit, with the sync record riding along
    assert "987,654,321" in str(world.boxes.jira.issue(key)["description"])


def test_an_edit_in_the_same_minute_as_the_read_is_not_missed(world: World) -> None:
    """Notion rounds last_edited_time down to the minute: the watermark minute is read again."""
    frozen = datetime(2026, 11, 29, 12, 0, 20, tzinfo=UTC)
    world.boxes.notion.clock = lambda: frozen
    world.sync_json()
    page = _tagged_pages(world)[1]
    frozen = datetime(2026, 11, 29, 12, 0, 50, tzinfo=UTC)  # same minute, after the run read
    world.boxes.notion.edit_page(page["id"], {"ARR": 123_456_789})
    result = world.sync_json()
    assert result["reads"]["notion_mode"] == "incremental"
    key = text_of(page, "Jira 키")
    assert "123,456,789" in str(world.boxes.jira.issue(key)["description"])


def test_untagged_entries_leave_at_once_and_trashed_ones_on_a_full_scan(world: World) -> None:
    first = world.sync_json()
    # two members of a group that keeps others (an emptied group's issue is an orphan, left alone)
    big = next(g for g in first["groups"] if len(g["members"]) >= 3)
    by_id = {p["id"]: p for p in _tagged_pages(world)}
    untag, trash = (by_id[m["page_id"]] for m in big["members"][:2])
    world.boxes.notion.edit_page(untag["id"], {"니즈 태그": None})
    world.boxes.notion.trash_page(trash["id"])

    incremental = world.sync_json()
    departed = {d["page_id"]: d for d in incremental["departed"]}
    assert list(departed) == [untag["id"]]
    assert "need tag was removed" in departed[untag["id"]]["reason_en"]
    untag_key = text_of(untag, "Jira 키")
    links = [link["globalId"] for link in world.boxes.jira.remote_links(untag_key)]
    assert not any(untag["id"].replace("-", "") in g for g in links)

    full = world.cli("sync", "--mapping", MAPPING, "--full", "--format", "json")
    assert full.exit_code == 0, full.output
    plan = json.loads(full.stdout)
    assert plan["reads"]["notion_mode"] == "full"
    assert [d["page_id"] for d in plan["departed"]] == [trash["id"]]
    trash_key = text_of(trash, "Jira 키")
    links = [link["globalId"] for link in world.boxes.jira.remote_links(trash_key)]
    assert not any(trash["id"].replace("-", "") in g for g in links)


def test_a_status_change_in_jira_is_written_back_by_an_incremental_run(any_world: World) -> None:
    world = any_world
    world.sync_json()
    page = _tagged_pages(world)[2]
    key = text_of(page, "Jira 키")
    world.boxes.jira.transition(key, "Done")
    result = world.sync_json()
    assert result["reads"]["jira_mode"] == "incremental"
    after = world.notion().pages.retrieve(page_id=page["id"])
    assert text_of(after, "상태") == "완료"  # type: ignore[arg-type]


def test_a_lost_or_stale_cache_means_a_full_read_and_no_duplicate(world: World) -> None:
    world.sync_json()
    issues = len(world.issues())
    for cache in world.state_dir.glob("*.cache.sqlite"):
        cache.unlink()
    again = world.sync_json()
    assert again["reads"]["notion_mode"] == "full"
    assert again["writes"] == 0
    assert len(world.issues()) == issues


def test_queries_past_notions_result_cap_are_split_by_time(world: World) -> None:
    tagged = {p["id"] for p in _tagged_pages(world)}
    world.boxes.notion.requests.clear()
    world.boxes.notion.query_result_cap = 30
    plan = world.plan_json()
    members = [m["page_id"] for g in plan["groups"] for m in g["members"]]
    read = members + [s["page_id"] for s in plan["skipped_entries"]]
    assert sorted(read) == sorted(tagged)  # every row once, none twice
    queries = sum(1 for r in world.boxes.notion.requests if r.path.endswith("/query"))
    assert 5 <= queries <= 6, queries  # 123 rows in windows of at most 30, one row overlapping


def test_the_cache_starts_empty_when_the_mapping_changes(tmp_path: Path) -> None:
    cache = SyncCache("m", "one", tmp_path / "c.sqlite")
    cache.put("notion.watermark", "2026-11-29T12:00:00+00:00")
    cache.close()
    assert SyncCache("m", "one", tmp_path / "c.sqlite").get("notion.watermark") is not None
    assert SyncCache("m", "two", tmp_path / "c.sqlite").get("notion.watermark") is None


def test_a_preview_during_a_running_sync_leaves_the_sync_cache_alone(world: World) -> None:
    world.sync_json()
    cache_file = next(world.state_dir.glob("*.cache.sqlite"))
    before = cache_file.read_bytes()
    page = _tagged_pages(world)[0]
    world.boxes.notion.edit_page(page["id"], {"ARR": 55_000_000})
    with run_lock(world.state_dir / "voc-ko.lock"):  # a sync is running
        plan = world.plan_json()
    assert plan["updated"] == 1  # the preview saw the edit
    assert cache_file.read_bytes() == before  # and read it through a private copy
    assert world.sync_json()["updated"] == 1  # the real run still sees it


def test_new_issues_get_their_sync_records_100_per_request_on_cloud(
    any_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = any_world
    monkeypatch.setattr("cxsync.apply.RECORDS_PER_REQUEST", 5)  # cxsync's own batch size, small enough to split
    first = world.sync_json()
    created = first["created"]
    requests = world.boxes.jira.requests
    multi = [r for r in requests if r.path.endswith("/issue/properties/multi")]
    puts = [r for r in requests if r.method == "PUT" and "/properties/" in r.path]
    if world.boxes.jira.flavor == "cloud":
        assert len(multi) == -(-created // 5) and not puts
    else:
        assert not multi and len(puts) == created
    records = [issue["properties"]["cxsync"] for issue in world.issues()]
    assert len(records) == created and all(record["links_sha"] for record in records)
    again = world.sync_json()
    assert again["writes"] == 0, "the records written in bulk vouch for the links: nothing to redo"


def test_settings_that_do_not_change_what_is_read_keep_the_cache(world: World, tmp_path: Path) -> None:
    world.sync_json()
    text = Path(MAPPING).read_text(encoding="utf-8")
    variants = {
        "tuned": text.replace("jira:\n", "jira:\n  concurrency: 1\n", 1),
        "fewer": text.replace("    channel: 채널\n", ""),
        "relabelled": text.replace("label_prefix: cxsync", "label_prefix: cxsync2"),
    }
    paths = {}
    for name, variant in variants.items():  # all named voc-ko, like the example: they share its cache
        paths[name] = tmp_path / name / "voc-ko.yaml"
        paths[name].parent.mkdir()
        paths[name].write_text(variant, encoding="utf-8")
    assert world.sync_json(str(paths["tuned"]))["reads"]["notion_mode"] == "incremental"
    assert world.plan_json(str(paths["fewer"]))["reads"]["notion_mode"] == "full", "entries are read differently"
    world.sync_json()  # back to the example's cache
    assert world.plan_json(str(paths["relabelled"]))["reads"]["notion_mode"] == "full", "other issues are read"

"""Rate limits, server errors, lost responses, search lag and overlapping runs."""

from __future__ import annotations

import fcntl
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import MAPPING, World, final_state, open_world
from small_seed import small_seed

from cxsync.sandbox.base import Chaos, Fault


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    monkeypatch.setenv("CXSYNC_RETRY_BASE_SECONDS", "0.01")
    yield from open_world(monkeypatch, tmp_path)


def test_a_fault_storm_converges_to_the_clean_result(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CXSYNC_RETRY_BASE_SECONDS", "0.01")
    for clean_world in open_world(monkeypatch, tmp_path / "clean"):
        clean_world.sync_json()
        clean = final_state(clean_world)
    for world in open_world(monkeypatch, tmp_path / "storm"):
        world.boxes.notion.chaos = Chaos(rate=0.3, seed=11)
        world.boxes.jira.chaos = Chaos(rate=0.3, seed=12)
        summary = world.sync_json()
        failed = sum(1 for r in world.boxes.notion.requests + world.boxes.jira.requests if r.status >= 429)
        assert failed > 100, "the storm really happened"
        assert summary["applied"]["failures"] == []
        world.boxes.notion.chaos = world.boxes.jira.chaos = None
        assert final_state(world) == clean
        labels = Counter(label for i in world.issues() for label in i["labels"] if label.startswith("cxsync-g"))
        assert all(n == 1 for n in labels.values())


def test_a_run_that_cannot_finish_exits_non_zero_and_the_next_run_completes(world: World) -> None:
    world.monkeypatch.setenv("CXSYNC_RETRY_BUDGET_SECONDS", "2")
    world.boxes.notion.inject(Fault(method="PATCH", path=r"/v1/pages/", status=503, times=10_000))
    result = world.cli("--lang", "en", "sync", "--mapping", MAPPING)
    assert result.exit_code == 6
    assert "Applied:" in result.stdout and "Failed" in result.stdout
    assert "the next run resumes safely" in result.stderr
    world.boxes.notion.clear_faults()
    world.sync_json()
    assert world.plan_json()["writes"] == 0


def test_created_issues_hidden_by_search_lag_are_not_created_twice(world: World) -> None:
    world.boxes.jira.search_lag_seconds = 1.5
    world.monkeypatch.setenv("CXSYNC_JIRA_SEARCH_LAG", "2")
    world.boxes.jira.inject(Fault(method="POST", path=r"/issue$", status=502, commit=True, times=1))
    world.sync_json()
    labels = Counter(label for i in world.issues() for label in i["labels"] if label.startswith("cxsync-g"))
    assert all(n == 1 for n in labels.values()), "a gateway error after the create was resolved without a duplicate"


def test_a_second_concurrent_run_exits_with_a_clear_message(world: World) -> None:
    lock_path = world.state_dir / "voc-ko.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = world.cli("--lang", "en", "sync", "--mapping", MAPPING)
    assert result.exit_code == 7 and "Another cxsync run holds the lock" in result.stderr
    assert world.issues() == []
    assert world.sync_json()["created"] > 0, "the lock is free again once its holder is gone"


def test_throttling_is_waited_out_and_paced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for world in open_world(monkeypatch, tmp_path, seed=small_seed()):
        world.boxes.notion.set_rate_limit(20, burst=3)
        monkeypatch.setenv("CXSYNC_NOTION_RPS", "15")
        world.sync_json()
        throttled = [r for r in world.boxes.notion.requests if r.status == 429]
        assert len(throttled) <= 1, "client-side pacing keeps a sync out of 429s"
        monkeypatch.setenv("CXSYNC_NOTION_RPS", "0")
        world.boxes.notion.set_rate_limit(5, burst=1)
        world.cli("sync", "--mapping", MAPPING)  # unpaced against a 5 rps limit: 429s, waited out
        assert world.plan_json()["writes"] == 0


def test_slow_answers_time_out_and_are_retried(world: World) -> None:
    world.monkeypatch.setenv("CXSYNC_HTTP_TIMEOUT_SECONDS", "0.5")
    world.boxes.notion.inject(Fault(method="POST", path=r"/query$", delay=1.0, times=1))
    world.boxes.jira.inject(Fault(method="GET", path=r"/search", delay=1.0, times=1))
    assert world.sync_json()["applied"]["failures"] == []
    assert world.plan_json()["writes"] == 0


def test_a_cursor_that_repeats_stops_the_read_instead_of_looping(world: World) -> None:
    looping = {"object": "list", "results": [], "next_cursor": "same", "has_more": True, "type": "page_or_data_source"}
    world.boxes.notion.inject(Fault(method="POST", path=r"/query$", status=200, body=looping, times=50))
    result = world.cli("--lang", "en", "plan", "--mapping", MAPPING)
    assert result.exit_code == 5 and "cursor" in result.stderr
    assert len(world.boxes.notion.calls("POST", r"/query$")) == 2


def test_an_invalid_cursor_is_a_clear_error(world: World) -> None:
    bogus = {
        "object": "list",
        "results": [],
        "next_cursor": "not-a-cursor",
        "has_more": True,
        "type": "page_or_data_source",
    }
    world.boxes.notion.inject(Fault(method="POST", path=r"/query$", status=200, body=bogus, times=1))
    result = world.cli("--lang", "en", "plan", "--mapping", MAPPING)
    assert result.exit_code == 5 and "validation_error" in result.stderr

"""Edits of existing issues are sent `jira.concurrency` at a time; the outcome is the same as one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import MAPPING, World, all_pages, final_state, open_world

from cxsync.sandbox.base import Fault, LoggedRequest

ISSUE_EDIT = r"/rest/api/3/issue/[A-Z]+-\d+$"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path)


def _mapping(tmp_path: Path, concurrency: int) -> str:
    text = Path(MAPPING).read_text(encoding="utf-8")
    mapping = tmp_path / f"voc-{concurrency}.yaml"
    mapping.write_text(text.replace("jira:\n", f"jira:\n  concurrency: {concurrency}\n", 1), encoding="utf-8")
    return str(mapping)


def _raise_every_arr(world: World) -> None:
    """Change every entry's revenue, so every group's issue needs an edit."""
    for page in all_pages(world.notion()):
        world.boxes.notion.edit_page(page["id"], {"ARR": (page["properties"]["ARR"]["number"] or 0) + 1_000})


def _most_at_once(requests: list[LoggedRequest]) -> int:
    edges = sorted([(r.started, 1) for r in requests] + [(r.at, -1) for r in requests], key=lambda e: (e[0], e[1]))
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def _edits(world: World) -> list[LoggedRequest]:
    return world.boxes.jira.calls("PUT", ISSUE_EDIT)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_issue_edits_overlap_up_to_the_configured_concurrency(world: World, tmp_path: Path, concurrency: int) -> None:
    mapping = _mapping(tmp_path, concurrency)
    assert world.sync_json(mapping)["created"] > 6
    _raise_every_arr(world)
    world.boxes.jira.requests.clear()
    world.boxes.jira.inject(Fault(method="PUT", path=ISSUE_EDIT, delay=0.05, times=10_000))
    summary = world.sync_json(mapping)
    edits = _edits(world)
    assert len(edits) == summary["updated"] > 2 * concurrency
    assert _most_at_once(edits) == concurrency
    assert world.plan_json(mapping)["writes"] == 0


def test_concurrent_edits_leave_what_one_at_a_time_leaves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    states = []
    for concurrency in (1, 4):
        for world in open_world(monkeypatch, tmp_path / str(concurrency)):
            mapping = _mapping(tmp_path, concurrency)
            world.sync_json(mapping)
            _raise_every_arr(world)
            world.sync_json(mapping)
            states.append(final_state(world))
    assert states[0] == states[1]


def test_a_failed_edit_fails_its_group_only_and_the_next_run_finishes(world: World, tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, 3)
    world.sync_json(mapping)
    _raise_every_arr(world)
    victim = sorted(issue["key"] for issue in world.issues())[0]
    world.boxes.jira.inject(Fault(method="PUT", path=rf"/issue/{victim}$", status=400, times=1))
    result = world.cli("--lang", "en", "sync", "--mapping", mapping, "--format", "json")
    assert result.exit_code != 0
    assert '"target": "' + victim + '"' in result.stdout
    edited = {r.path.rsplit("/", 1)[1] for r in _edits(world) if r.status == 204}
    assert victim not in edited and len(edited) == len(world.issues()) - 1, "every other group was edited"
    world.sync_json(mapping)
    assert world.plan_json(mapping)["writes"] == 0

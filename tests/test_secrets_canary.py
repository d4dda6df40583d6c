"""A canary token pushed through every failure path must never appear in any output or file."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from e2e import MAPPING, World, open_world
from small_seed import small_seed

from cxsync.sandbox.base import Fault

CANARY = "canary-7f3a9c1e5b2d8e4f6a0b"
EMAIL = "cx-bot@example.com"
FORMS = (CANARY, base64.b64encode(f"{EMAIL}:{CANARY}".encode()).decode(), CANARY[4:-4])


def _echo(status: int, where: str) -> dict[str, object]:
    """An error body that echoes the credentials back, as a careless proxy or debug page might."""
    basic = base64.b64encode(f"{EMAIL}:{CANARY}".encode()).decode()
    return {
        "object": "error",
        "status": status,
        "code": "internal_server_error" if status >= 500 else "validation_error",
        "message": f"{where}: Authorization: Bearer {CANARY} / Basic {basic}",
        "errorMessages": [f"{where}: Authorization: Basic {basic} token={CANARY}"],
        "errors": {},
    }


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    monkeypatch.setenv("CXSYNC_RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("CXSYNC_RETRY_BUDGET_SECONDS", "0.5")
    yield from open_world(monkeypatch, tmp_path, seed=small_seed(), token=CANARY)


def _leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def _run(world: World, *args: str) -> Result:
    return world.cli(*args)


PATHS: list[tuple[str, str, str, int, list[str]]] = [
    # (name, sandbox, path regex, status, command)
    ("notion 500 on schema", "notion", r"/v1/data_sources/[^/]+$", 500, ["plan"]),
    ("notion 400 on query", "notion", r"/query$", 400, ["plan"]),
    ("notion 500 on write-back", "notion", r"/v1/pages/", 500, ["sync"]),
    ("jira 500 on search", "jira", r"/search", 500, ["plan"]),
    ("jira 400 on create", "jira", r"/issue$", 400, ["sync"]),
    ("jira 502 on create", "jira", r"/issue$", 502, ["sync"]),
    ("jira 500 on remote link", "jira", r"/remotelink$", 500, ["sync"]),
    ("jira 403 on property", "jira", r"/properties/", 403, ["sync"]),
]


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize(("name", "box", "path", "status", "command"), PATHS, ids=[p[0] for p in PATHS])
def test_error_bodies_that_echo_credentials_are_masked(
    world: World, tmp_path: Path, debug: bool, name: str, box: str, path: str, status: int, command: list[str]
) -> None:
    sandbox = world.boxes.notion if box == "notion" else world.boxes.jira
    sandbox.inject(Fault(path=path, status=status, body=_echo(status, name), times=10_000))
    plan_file = tmp_path / "plan.json"
    extra = ["--out", str(plan_file)] if command == ["plan"] else []
    result = _run(world, *(["--debug"] if debug else []), *command, "--mapping", MAPPING, *extra)
    assert result.exit_code != 0, f"{name} must fail"
    assert _leaks(result.stdout + result.stderr) == [], name
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert _leaks(file.read_bytes().decode("utf-8", "replace")) == [], f"{name}: {file}"


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_rejected_and_unreachable_credentials_are_masked(world: World, debug: bool) -> None:
    flags = ["--debug"] if debug else []
    world.monkeypatch.setenv("JIRA_API_TOKEN", CANARY + "-wrong")
    rejected = world.cli(*flags, "plan", "--mapping", MAPPING)
    assert rejected.exit_code == 4 and _leaks(rejected.output) == []
    world.monkeypatch.setenv("JIRA_API_TOKEN", CANARY)
    world.monkeypatch.setenv("NOTION_BASE_URL", "http://127.0.0.1:9")
    unreachable = world.cli(*flags, "plan", "--mapping", MAPPING)
    assert unreachable.exit_code == 5 and _leaks(unreachable.output) == []


def test_a_successful_run_leaves_no_secret_in_outputs_or_state(world: World, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    planned = world.cli("--debug", "plan", "--mapping", MAPPING, "--out", str(plan_file), "--format", "json")
    synced = world.cli("--debug", "sync", "--mapping", MAPPING, "--format", "json")
    assert planned.exit_code == 0 and synced.exit_code == 0
    assert _leaks(planned.output + synced.output) == []
    files = [f for f in tmp_path.rglob("*") if f.is_file()]
    assert any(f.suffix == ".sqlite" for f in files) and plan_file in files
    for file in files:
        assert _leaks(file.read_bytes().decode("utf-8", "replace")) == [], str(file)

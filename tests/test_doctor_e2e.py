"""`cxsync doctor` against the sandboxes: one line per problem, and the exit code of the first."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import MAPPING, World, open_world
from small_seed import small_seed


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    monkeypatch.setenv("CXSYNC_RETRY_BASE_SECONDS", "0.01")
    yield from open_world(monkeypatch, tmp_path, seed=small_seed())


def _mapping(tmp_path: Path, *replacements: tuple[str, str]) -> str:
    text = Path(MAPPING).read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "changed.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _fails(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("FAIL")]


def test_all_good(world: World) -> None:
    result = world.cli("doctor", "--mapping", MAPPING)
    assert result.exit_code == 0, result.output
    assert _fails(result.stdout) == []
    for needle in ("token accepted", "is shared", "has issue type 'Improvement'", "LINK_ISSUES: granted"):
        assert needle in result.stdout


def test_missing_permission(world: World) -> None:
    world.boxes.jira.denied_permissions |= {"CREATE_ISSUES", "LINK_ISSUES"}
    result = world.cli("doctor", "--mapping", MAPPING)
    assert result.exit_code == 4
    fails = _fails(result.stdout)
    assert len(fails) == 2 and "CREATE_ISSUES" in fails[0] and "LINK_ISSUES" in fails[1]


def test_unshared_database_and_wrong_issue_type(world: World, tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path,
        ("8a1c2f3e-5b6d-4e7f-9a0b-1c2d3e4f5a01", "0000aaaa-5b6d-4e7f-9a0b-1c2d3e4f5a01"),
        ("issue_type: Improvement", "issue_type: Story"),
    )
    result = world.cli("doctor", "--mapping", mapping)
    assert result.exit_code == 3
    text = "\n".join(_fails(result.stdout))
    assert "not shared with the integration" in text
    assert "'Story' is not an issue type of CX" in text and "Improvement" in text


def test_bad_tokens(world: World) -> None:
    world.monkeypatch.setenv("NOTION_TOKEN", "wrong-notion-token")
    world.monkeypatch.setenv("JIRA_API_TOKEN", "wrong-jira-token")
    result = world.cli("doctor", "--mapping", MAPPING)
    assert result.exit_code == 4
    fails = _fails(result.stdout)
    assert any("NOTION_TOKEN" in line for line in fails)
    assert any("jira" in line and "401" in line for line in fails)
    assert "wrong-notion-token" not in result.output and "wrong-jira-token" not in result.output


def test_missing_env_and_unreachable_jira(world: World) -> None:
    world.monkeypatch.delenv("NOTION_TOKEN")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    world.monkeypatch.setenv("JIRA_URL", f"http://127.0.0.1:{port}")
    world.monkeypatch.setenv("CXSYNC_RETRY_BUDGET_SECONDS", "0.1")
    result = world.cli("doctor", "--mapping", MAPPING)
    fails = _fails(result.stdout)
    assert result.exit_code == 3  # the first problem: NOTION_TOKEN is not set
    assert any("NOTION_TOKEN is not set" in line for line in fails)
    assert any("Cannot reach Jira" in line for line in fails)


def test_datacenter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for world in open_world(monkeypatch, tmp_path, flavor="datacenter", seed=small_seed()):
        world.boxes.jira.denied_permissions.add("EDIT_ISSUES")
        result = world.cli("doctor", "--mapping", MAPPING)
        assert result.exit_code == 4
        assert [line.split(":")[0] for line in _fails(result.stdout)] == ["FAIL  jira permission EDIT_ISSUES"]

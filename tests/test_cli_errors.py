"""Bad input and broken environments: one clear message, the right exit code, no traceback, no secret."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import MAPPING, World, open_world

CANARY = "canary-secret-7f3a9c1e5b"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path)


def _assert_clean(output: str) -> None:
    assert "Traceback" not in output
    assert CANARY not in output
    assert base64.b64encode(f"cx-bot@example.com:{CANARY}".encode()).decode() not in output


def test_bad_mapping_reports_file_line_and_key(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = Path(MAPPING).read_text(encoding="utf-8").replace("  project: CX", "  project: CX\n  colour: blue")
    bad.write_text(text, encoding="utf-8")
    result = world.cli("plan", "--mapping", str(bad))
    assert result.exit_code == 3
    assert "jira.colour" in result.stderr and f"{bad}:" in result.stderr
    _assert_clean(result.output)


def test_missing_token_is_named(world: World) -> None:
    world.monkeypatch.delenv("NOTION_TOKEN")
    result = world.cli("plan", "--mapping", MAPPING)
    assert result.exit_code == 3 and "NOTION_TOKEN" in result.stderr
    _assert_clean(result.output)


def test_wrong_notion_token_is_an_auth_error_without_the_token(world: World) -> None:
    world.monkeypatch.setenv("NOTION_TOKEN", CANARY)
    result = world.cli("--lang", "en", "plan", "--mapping", MAPPING)
    assert result.exit_code == 4 and "NOTION_TOKEN" in result.stderr
    _assert_clean(result.output)


def test_wrong_jira_token_is_an_auth_error_without_the_token(world: World) -> None:
    world.monkeypatch.setenv("JIRA_API_TOKEN", CANARY)
    result = world.cli("--debug", "plan", "--mapping", MAPPING)
    assert result.exit_code == 4
    assert "Traceback" in result.stderr, "--debug shows the traceback"
    assert CANARY not in result.output
    assert base64.b64encode(f"cx-bot@example.com:{CANARY}".encode()).decode() not in result.output


def test_unreachable_server_is_named(world: World) -> None:
    world.monkeypatch.setenv("NOTION_BASE_URL", "http://127.0.0.1:9")
    world.monkeypatch.setenv("CXSYNC_RETRY_BASE_SECONDS", "0.01")  # the message matters here, not the back-off
    result = world.cli("--lang", "ko", "plan", "--mapping", MAPPING)
    assert result.exit_code == 5 and "127.0.0.1:9" in result.stderr and "연결할 수 없습니다" in result.stderr
    _assert_clean(result.output)


def test_unknown_property_is_listed_with_what_exists(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text(
        Path(MAPPING).read_text(encoding="utf-8").replace("customer: 고객명", "customer: 고객 이름"), encoding="utf-8"
    )
    result = world.cli("validate", "--mapping", str(bad), "--live")
    assert result.exit_code == 3
    assert "'고객 이름' does not exist" in result.stderr and "고객명" in result.stderr
    assert world.cli("validate", "--mapping", MAPPING, "--live").exit_code == 0


def test_wrong_property_type_is_reported(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "type.yaml"
    bad.write_text(
        Path(MAPPING).read_text(encoding="utf-8").replace("revenue: ARR", "revenue: 고객사"), encoding="utf-8"
    )
    result = world.cli("validate", "--mapping", str(bad), "--live")
    assert result.exit_code == 3 and "'고객사' is rich_text" in result.stderr


def test_missing_demand_field_is_a_clear_config_error(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "field.yaml"
    text = Path(MAPPING).read_text(encoding="utf-8").replace("requests: Customer requests", "requests: Votes")
    bad.write_text(text, encoding="utf-8")
    result = world.cli("--lang", "en", "plan", "--mapping", str(bad))
    assert result.exit_code == 3
    assert "jira.demand_fields.requests" in result.stderr and "'Votes'" in result.stderr
    _assert_clean(result.output)

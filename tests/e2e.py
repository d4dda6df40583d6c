"""Helpers for end-to-end tests: sandboxes seeded with the example data, and the CLI run in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from notion_client import Client

from cxsync.cli import main
from cxsync.sandbox.runner import Sandboxes, load_seed, start_sandboxes

ROOT = Path(__file__).resolve().parents[1]
MAPPING = str(ROOT / "mappings" / "example.yaml")
MAPPING_EN = str(ROOT / "mappings" / "example-en.yaml")


def mapping_with_overrides(tmp_path: Path) -> tuple[str, Path]:
    """The example mapping with an (empty) overrides file next to it: (mapping path, overrides path)."""
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("{}\n", encoding="utf-8")
    text = (
        Path(MAPPING)
        .read_text(encoding="utf-8")
        .replace("grouping:\n  scope: need_tag", f"grouping:\n  scope: need_tag\n  overrides_file: {overrides}")
    )
    mapping = tmp_path / "voc.yaml"
    mapping.write_text(text, encoding="utf-8")
    return str(mapping), overrides


@dataclass
class World:
    boxes: Sandboxes
    monkeypatch: pytest.MonkeyPatch
    state_dir: Path

    def cli(self, *args: str) -> Result:
        runner = CliRunner()
        return runner.invoke(main, list(args), catch_exceptions=False)

    def sync_json(self, mapping: str = MAPPING) -> dict[str, Any]:
        result = self.cli("sync", "--mapping", mapping, "--format", "json")
        assert result.exit_code == 0, result.output + result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def plan_json(self, mapping: str = MAPPING) -> dict[str, Any]:
        result = self.cli("plan", "--mapping", mapping, "--format", "json")
        assert result.exit_code == 0, result.output + result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def notion(self) -> Client:
        env = self.boxes.env()
        return Client(auth=env["NOTION_TOKEN"], base_url=env["NOTION_BASE_URL"])

    def issues(self, label: str = "cxsync") -> list[dict[str, Any]]:
        return list(self.boxes.jira.issues_with_label(label))


def open_world(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flavor: str = "cloud", seed: Any = None, token: str | None = None
) -> Iterator[World]:
    seed = seed if seed is not None else load_seed()
    boxes = start_sandboxes(seed, flavor=flavor, token=token)  # type: ignore[arg-type]
    for key in ("JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT", "CXSYNC_MAPPING", "CXSYNC_LANG"):
        monkeypatch.delenv(key, raising=False)
    for key, value in boxes.env().items():
        monkeypatch.setenv(key, value)
    state_dir = tmp_path / "state"
    monkeypatch.setenv("CXSYNC_STATE_DIR", str(state_dir))
    try:
        yield World(boxes, monkeypatch, state_dir)
    finally:
        boxes.stop()


DS_KO = "8a1c2f3e-5b6d-4e7f-9a0b-1c2d3e4f5ad1"


def all_pages(client: Client, data_source_id: str = DS_KO) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    body: dict[str, Any] = {"page_size": 100}
    while True:
        page = client.data_sources.query(data_source_id=data_source_id, **body)
        pages += page["results"]
        if not page["has_more"]:
            return pages
        body["start_cursor"] = page["next_cursor"]


def text_of(page: dict[str, Any], name: str) -> str:
    prop = page["properties"][name]
    kind = prop["type"]
    value = prop[kind]
    if kind in ("title", "rich_text"):
        return "".join(item["plain_text"] for item in value)
    if kind in ("select", "status"):
        return value["name"] if value else ""
    return str(value or "")


def final_state(world: World) -> dict[str, Any]:
    """Everything a sync leaves behind, keyed by group label (keys and ids may differ between runs)."""
    issues = {}
    key_to_label = {}
    for issue in world.issues():
        label = next(label for label in issue["labels"] if label.startswith("cxsync-g"))
        key_to_label[issue["key"]] = label
        links = sorted(
            (link["globalId"], link["object"]["title"]) for link in world.boxes.jira.remote_links(issue["key"])
        )
        issues[label] = (issue["summary"], str(issue["description"]), tuple(sorted(issue["labels"])), tuple(links))
    pages = {
        p["id"]: (key_to_label.get(text_of(p, "Jira 키")), text_of(p, "상태"))
        for p in all_pages(world.notion())
        if text_of(p, "니즈 태그")
    }
    return {"issues": issues, "pages": pages}

"""Drift: groups merged (overrides file) or split (Notion property) since the last run, in every report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e import World, mapping_with_overrides, open_world
from jsonschema import Draft202012Validator
from small_seed import small_seed

from cxsync.reports.json_schema import SCHEMA

PAGE = "5e11a11a-0000-4000-8000-{:012d}"
PAYMENT, SSO, DARK = PAGE.format(0), PAGE.format(3), PAGE.format(5)
SPLIT_OUT = PAGE.format(1)  # a paraphrase in the payment group


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, seed=small_seed())


def _group_of(plan: dict[str, Any], page_id: str) -> dict[str, Any]:
    return next(g for g in plan["groups"] if page_id in {m["page_id"] for m in g["members"]})


def test_a_merge_and_a_split_are_reported_until_a_sync_applies_them(world: World, tmp_path: Path) -> None:
    mapping, overrides = mapping_with_overrides(tmp_path)
    assert world.sync_json(mapping)["drift"] == [], "the first run has no previous assignment to drift from"
    synced = world.plan_json(mapping)
    assert synced["drift"] == [] and synced["writes"] == 0
    sso, dark, payment = (_group_of(synced, p) for p in (SSO, DARK, PAYMENT))

    overrides.write_text(f"merge: [[{sso['group_id']}, {dark['group_id']}]]\n", encoding="utf-8")
    world.notion().pages.update(
        page_id=SPLIT_OUT, properties={"그룹 지정": {"rich_text": [{"text": {"content": "분리"}}]}}
    )
    plan = world.plan_json(mapping)
    Draft202012Validator(SCHEMA).validate(plan)
    by_kind = {d["kind"]: d for d in plan["drift"]}
    assert sorted(by_kind) == ["merge", "split"] and len(plan["drift"]) == 2

    merge = by_kind["merge"]
    assert (merge["group_id"], merge["key"]) == (sso["group_id"], sso["key"])
    parts = {p["group_id"]: p for p in merge["parts"]}
    assert parts[dark["group_id"]]["key"] == dark["key"]
    assert parts[dark["group_id"]]["page_ids"] == [DARK]
    assert "merged into" in parts[dark["group_id"]]["reason_en"] and "merge" in parts[dark["group_id"]]["reason_ko"]
    assert parts[sso["group_id"]]["reason_en"] == "stayed" and len(parts[sso["group_id"]]["page_ids"]) == 2
    assert [o["key"] for o in plan["orphans"]] == [dark["key"]], "the folded group's issue is an orphan"

    split = by_kind["split"]
    assert (split["group_id"], split["key"]) == (payment["group_id"], payment["key"])
    new_part = next(p for p in split["parts"] if p["group_id"] != payment["group_id"])
    assert new_part["page_ids"] == [SPLIT_OUT] and new_part["key"] is None
    assert new_part["reason_en"] == "group override '분리' in Notion"
    stayed = next(p for p in split["parts"] if p["group_id"] == payment["group_id"])
    assert stayed["page_ids"] == [PAYMENT, PAGE.format(2)]

    text = world.cli("--lang", "ko", "plan", "--mapping", mapping).stdout
    assert "지난 실행 이후 합쳐지거나 나뉜 그룹" in text
    assert f"병합 → {sso['key']} ({sso['group_id']})" in text and f"분리 ← {payment['key']}" in text
    markdown = world.cli("--lang", "en", "plan", "--mapping", mapping, "--format", "markdown").stdout
    assert "#### Groups merged or split since the last run" in markdown
    assert f"  - {dark['key']} ({dark['group_id']}): 1 request(s) — merged into" in markdown
    html_path = tmp_path / "report.html"
    report = world.cli("report", "--mapping", mapping, "--format", "json", "--html", str(html_path))
    assert json.loads(report.stdout)["drift"] == plan["drift"]
    assert '<ul class="drift">' in html_path.read_text(encoding="utf-8")

    applied = world.sync_json(mapping)
    assert applied["drift"] == plan["drift"], "the sync that applies it reports it too"
    assert world.plan_json(mapping)["drift"] == [], "after the write-back it is the previous assignment"

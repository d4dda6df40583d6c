"""Golden files: the demo plan (and a plan after edits) exactly as `cxsync plan` prints it.

The output is made deterministic: the terminal is 120 columns, the planner's clock is fixed (demand
counts "the last 30 days"), sandbox ports and API call counts are normalised.

Regenerate after an intended change, then review the diff:

    CXSYNC_UPDATE_GOLDEN=1 python -m pytest tests/test_reports_golden.py
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import pytest
from e2e import DS_KO, MAPPING, World, all_pages, open_world, text_of

from cxsync import planner

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("CXSYNC_UPDATE_GOLDEN") == "1"
TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FORMATS = {"text": "txt", "markdown": "md"}
NORMALISE = [
    (re.compile(r"http://127\.0\.0\.1:\d+"), "http://127.0.0.1:PORT"),
    (re.compile(r"(API calls: Notion|API 호출: Notion) \d+, Jira \d+"), r"\1 N, Jira N"),
]


class FrozenClock(datetime):
    """The planner's `datetime`, stopped at TODAY."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> FrozenClock:  # type: ignore[override]
        moment = TODAY if tz is not None else TODAY.replace(tzinfo=None)
        return cls.fromtimestamp(moment.timestamp(), tz) if tz is not None else cls.fromtimestamp(moment.timestamp())


def normalise(text: str) -> str:
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def normalise_json(text: str) -> str:
    data = json.loads(text)
    data["api_calls"] = {"notion": 0, "jira": 0, "by_kind": {}}
    data.pop("reads", None)  # how much was read depends on the minute the runs fall in
    # the row the test adds is created on the sandbox's real clock: its date is the day the test runs
    now = datetime.now(UTC)
    test_days = {now.date().isoformat(), (now - timedelta(days=1)).date().isoformat()}
    for group in data.get("groups", []):
        for field in ("first_seen", "last_seen"):
            if group.get(field) in test_days:
                group[field] = "<the day the test runs>"
    return normalise(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"


def check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with CXSYNC_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "now", lineterm="")
        pytest.fail(f"{name} differs (CXSYNC_UPDATE_GOLDEN=1 regenerates):\n" + "\n".join(list(diff)[:80]))


def frozen_world(tmp_path: Path) -> Iterator[tuple[World, pytest.MonkeyPatch]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "120")
        for variable in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLORTERM"):
            patch.delenv(variable, raising=False)
        patch.setattr(planner, "datetime", FrozenClock)
        for world in open_world(patch, tmp_path):
            yield world, patch


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for world, _ in frozen_world(tmp_path_factory.mktemp("demo")):
        yield world


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """After a first sync: one request edited, one moved out of its group, one issue deleted in Jira."""
    for world, _ in frozen_world(tmp_path_factory.mktemp("changed")):
        first = world.sync_json()
        client = world.notion()
        pages = [p for p in all_pages(client) if text_of(p, "니즈 태그")]
        edited = next(p for p in pages if text_of(p, "고객사") == "한빛커머스")
        client.pages.update(
            page_id=edited["id"], properties={"고객명": {"rich_text": [{"text": {"content": "김민수 팀장"}}]}}
        )
        crowded = next(g for g in first["groups"] if g["requests"] >= 3)
        moved = crowded["members"][-1]["page_id"]
        client.pages.update(page_id=moved, properties={"니즈 태그": {"select": {"name": "리포트"}}})
        keys = sorted({text_of(p, "Jira 키") for p in pages}, key=lambda k: int(k.split("-")[1]))
        world.boxes.jira.delete_issue(keys[-1])
        world.boxes.notion.add_row(DS_KO, {"요청 내용": "상담 통화 녹음을 자동으로 요약해 주세요", "니즈 태그": "자동화"})
        yield world


def plan_output(world: World, lang: str, fmt: str) -> str:
    result = world.cli("--lang", lang, "plan", "--mapping", MAPPING, "--format", fmt)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_demo_plan(demo: World, lang: str, fmt: str) -> None:
    check(f"demo-plan.{lang}.{FORMATS[fmt]}", normalise(plan_output(demo, lang, fmt)))


def test_demo_plan_json_is_the_same_in_both_languages(demo: World) -> None:
    korean = normalise_json(plan_output(demo, "ko", "json"))  # what was read (and its calls) may differ by run
    assert korean == normalise_json(plan_output(demo, "en", "json"))
    check("demo-plan.json", korean)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_changed_plan(changed: World, lang: str, fmt: str) -> None:
    check(f"changed-plan.{lang}.{FORMATS[fmt]}", normalise(plan_output(changed, lang, fmt)))


def test_changed_plan_json(changed: World) -> None:
    output = plan_output(changed, "en", "json")
    data = json.loads(output)
    assert {g["action"] for g in data["groups"]} == {"create", "update", "unchanged", "skip"}
    check("changed-plan.json", normalise_json(output))

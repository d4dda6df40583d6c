"""`cxsync demo`: the whole job on the built-in sandboxes, twice, with a short tour of the result."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from rich.console import Console

from cxsync.adapters.counting import ApiCounter
from cxsync.config import load_mapping
from cxsync.reports import print_plan, print_result, render_html
from cxsync.sandbox.runner import Sandboxes, start_sandboxes
from cxsync.session import Session

MAPPING = Path(__file__).resolve().parents[1] / "mappings" / "example.yaml"

TEXT = {
    "ko": {
        "start": "샌드박스 시작: Notion {notion}, Jira {jira} ({flavor})",
        "first": "1) 첫 동기화: 계획을 세우고 적용합니다",
        "second": "2) 두 번째 동기화: 바뀐 것이 없으면 아무것도 쓰지 않아야 합니다",
        "calls": "   API 호출 {total}회 (Notion {notion}, Jira {jira}), 쓰기 {writes}회",
        "look": "결과 확인:",
        "issues": "   Jira 이슈 {n}개 (렌더링된 설명 포함): {path}",
        "plan": "   첫 동기화 계획(JSON): {path}",
        "report": "   첫 동기화 계획의 HTML 리포트 (수요 차트, 근거): {path}",
        "summary": "   API 호출 요약: {path}",
        "idempotent": "두 번째 동기화의 쓰기: {writes}회",
    },
    "en": {
        "start": "Sandboxes up: Notion {notion}, Jira {jira} ({flavor})",
        "first": "1) First sync: plan, then apply",
        "second": "2) Second sync: nothing changed, so nothing must be written",
        "calls": "   {total} API calls (Notion {notion}, Jira {jira}), {writes} writes",
        "look": "Where to look:",
        "issues": "   {n} Jira issues with their rendered descriptions: {path}",
        "plan": "   first sync plan (JSON): {path}",
        "report": "   first sync plan as an HTML report (demand chart, evidence): {path}",
        "summary": "   API call summary: {path}",
        "idempotent": "Writes in the second sync: {writes}",
    },
}


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _sync_once(console: Console, lang: str, out_dir: Path, name: str) -> tuple[ApiCounter, int]:
    session = Session(load_mapping(MAPPING))
    with session.locked():
        plan = session.plan()
        result = session.apply(plan)
    (out_dir / f"{name}-plan.json").write_text(plan.model_dump_json(indent=2), encoding="utf-8")
    (out_dir / f"{name}-report.html").write_text(render_html(plan, lang), encoding="utf-8")
    print_plan(plan, console, lang, limit=12)
    print_result(result, console, lang)
    return session.counter, plan.writes


def run_demo(console: Console, lang: str, flavor: Literal["cloud", "datacenter"], out_dir: Path) -> None:
    text = TEXT[lang]
    out_dir.mkdir(parents=True, exist_ok=True)
    boxes = start_sandboxes(flavor=flavor)
    try:
        env = boxes.env() | {"CXSYNC_STATE_DIR": str(out_dir / "state")}
        console.print(text["start"].format(notion=boxes.notion.base_url, jira=boxes.jira.base_url, flavor=flavor))
        summary: dict[str, Any] = {}
        with environment(env):
            for step, name in (("first", "first-sync"), ("second", "second-sync")):
                console.rule(text[step])
                counter, _ = _sync_once(console, lang, out_dir, name)
                summary[name] = _calls(counter)
                console.print(text["calls"].format(**summary[name]), markup=False)
        issues_path = out_dir / "jira-issues.md"
        count = _write_issue_tour(boxes, issues_path)
        summary_path = out_dir / "api-calls.json"
        summary_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        console.rule()
        console.print(text["idempotent"].format(writes=summary["second-sync"]["writes"]), markup=False)
        console.print(text["look"])
        console.print(text["issues"].format(n=count, path=issues_path), markup=False)
        console.print(text["plan"].format(path=out_dir / "first-sync-plan.json"), markup=False)
        console.print(text["report"].format(path=out_dir / "first-sync-report.html"), markup=False)
        console.print(text["summary"].format(path=summary_path), markup=False)
    finally:
        boxes.stop()


def _calls(counter: ApiCounter) -> dict[str, Any]:
    return {
        "total": counter.total(),
        "notion": counter.total("notion"),
        "jira": counter.total("jira"),
        "writes": counter.writes(),
        "by_kind": counter.summary(),
    }


def _write_issue_tour(boxes: Sandboxes, path: Path) -> int:
    """A Markdown page with every issue the demo made, as a product manager would see it."""
    issues = boxes.jira.issues_with_label("cxsync")
    lines = ["# Jira issues created by the cxsync demo", ""]
    for issue in sorted(issues, key=lambda i: int(str(i["id"]))):
        lines += [f"## {issue['key']} — {issue['summary']}", ""]
        lines += [f"Status: {issue['status']} · Labels: {', '.join(issue['labels'])}", ""]
        lines += [_plain(issue["description"]), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return len(issues)


def _plain(node: Any) -> str:
    """ADF → readable text (paragraphs and list items on their own lines)."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    children = [_plain(child) for child in node.get("content", []) or []]
    kind = node.get("type")
    if kind in ("doc", "bulletList", "table"):
        return "\n".join(children)
    if kind == "listItem":
        return "- " + "".join(children)
    if kind == "tableRow":
        return "| " + " | ".join(children) + " |"
    if kind == "heading":
        return "### " + "".join(children)
    return "".join(children)

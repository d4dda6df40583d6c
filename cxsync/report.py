"""Render plans and results for people (rich tables) and for scripts (JSON)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from cxsync.adapters.counting import ApiCounter
from cxsync.apply import ApplyResult
from cxsync.plan import Plan

ACTION_STYLE = {"create": "green", "update": "yellow", "unchanged": "dim", "skip": "red"}
LABELS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Plan for {mapping} → Jira {project}",
        "cols": ("Action", "Issue", "Requests", "Customers", "Companies", "Summary"),
        "line": "Plan: {create} to create, {update} to update, {unchanged} unchanged, {writebacks} Notion write-backs, {skipped} skipped",
        "skipped": "Skipped entries",
        "notes": "Notes",
        "orphans": "Issues whose evidence is gone",
        "applied": "Applied: {created} created, {updated} updated, {adopted} adopted, {written} written back to Notion",
        "failed": "Failed ({n}):",
        "calls": "API calls: Notion {notion}, Jira {jira}",
        "new": "(new)",
        "more": "… and {n} more groups (`cxsync plan` lists them all)",
    },
    "ko": {
        "title": "{mapping} → Jira {project} 실행 계획",
        "cols": ("작업", "이슈", "요청", "고객", "고객사", "요약"),
        "line": "계획: 생성 {create}, 수정 {update}, 변경 없음 {unchanged}, Notion 기록 {writebacks}, 건너뜀 {skipped}",
        "skipped": "건너뛴 항목",
        "notes": "참고",
        "orphans": "근거가 사라진 이슈",
        "applied": "적용됨: 생성 {created}, 수정 {updated}, 기존 이슈 연결 {adopted}, Notion 기록 {written}",
        "failed": "실패 ({n}):",
        "calls": "API 호출: Notion {notion}, Jira {jira}",
        "new": "(신규)",
        "more": "… 외 {n}개 그룹 (`cxsync plan`에서 모두 볼 수 있습니다)",
    },
}
ACTION_NAMES = {
    "ko": {"create": "생성", "update": "수정", "unchanged": "변경 없음", "skip": "건너뜀"},
    "en": {"create": "create", "update": "update", "unchanged": "unchanged", "skip": "skip"},
}


def print_plan(plan: Plan, console: Console, lang: str, *, verbose: bool = False, limit: int | None = None) -> None:
    """The plan as a table, groups by demand; `limit` keeps only the top rows (the demo uses it)."""
    text = LABELS[lang]
    table = Table(title=text["title"].format(mapping=plan.mapping, project=plan.jira_project), show_lines=False)
    for column in text["cols"]:
        table.add_column(column, overflow="fold", no_wrap=column in text["cols"][:5])
    shown = [g for g in plan.groups if verbose or g.action != "unchanged"]
    for group in shown[:limit]:
        action = ACTION_NAMES[lang][group.action]
        detail = ", ".join(c.field for c in group.changes) if group.changes else ""
        table.add_row(
            f"[{ACTION_STYLE[group.action]}]{action}[/]" + (f"\n[dim]{detail}[/]" if detail else ""),
            group.key or text["new"],
            str(group.demand.requests),
            str(group.demand.customers),
            str(group.demand.companies),
            group.summary,
        )
    if table.row_count:
        console.print(table)
    if limit is not None and len(shown) > limit:
        console.print(text["more"].format(n=len(shown) - limit), markup=False)
    notes = [(g.key or g.group_id, n) for g in plan.groups for n in g.notes]
    if notes:
        console.print(f"[bold]{text['notes']}[/]")
        for target, note in notes:
            console.print(f"  {target}: {note}", markup=False)
    if plan.skipped:
        console.print(f"[bold]{text['skipped']}[/]")
        for skipped in plan.skipped:
            reason = skipped.reason_ko if lang == "ko" else skipped.reason_en
            console.print(f"  {skipped.url or skipped.page_id}: {reason}", markup=False)
    if plan.orphans:
        console.print(f"[bold]{text['orphans']}[/]")
        for orphan in plan.orphans:
            console.print(f"  {orphan.key} ({orphan.group_id}): {orphan.reason}", markup=False)
    console.print(text["line"].format(**plan.summary()), markup=False)


def print_result(result: ApplyResult, console: Console, lang: str) -> None:
    text = LABELS[lang]
    console.print(
        text["applied"].format(
            created=len(result.created),
            updated=len(result.updated),
            adopted=len(result.adopted),
            written=result.written_back,
        ),
        markup=False,
    )
    if result.failures:
        console.print(f"[red]{text['failed'].format(n=len(result.failures))}[/]")
        for failure in result.failures:
            console.print(
                f"  {failure.target}: {failure.message_ko if lang == 'ko' else failure.message_en}", markup=False
            )


def print_calls(counter: ApiCounter, console: Console, lang: str) -> None:
    console.print(
        LABELS[lang]["calls"].format(notion=counter.total("notion"), jira=counter.total("jira")), markup=False
    )


def summary_json(plan: Plan, counter: ApiCounter, result: ApplyResult | None = None) -> str:
    counts = plan.summary()
    data: dict[str, Any] = {
        "schema_version": plan.schema_version,
        "mapping": plan.mapping,
        "created": counts["create"],
        "updated": counts["update"],
        "unchanged": counts["unchanged"],
        "writebacks": counts["writebacks"],
        "skipped": counts["skipped"],
        "writes": counts["writes"],
        "api_calls": {"notion": counter.total("notion"), "jira": counter.total("jira"), "by_kind": counter.summary()},
        "groups": [
            {
                "group_id": g.group_id,
                "action": g.action,
                "key": g.key,
                "summary": g.summary,
                "requests": g.demand.requests,
                "customers": g.demand.customers,
                "companies": g.demand.companies,
                "changes": [c.field for c in g.changes],
                "notes": g.notes,
            }
            for g in plan.groups
        ],
    }
    if result is not None:
        data["applied"] = {
            "created": result.created,
            "updated": result.updated,
            "adopted": result.adopted,
            "written_back": result.written_back,
            "failures": [{"target": f.target, "message": f.message_en} for f in result.failures],
            "writes": counter.writes(),
        }
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)

"""`--format json`: one versioned, language-neutral document for scripts and CI (docs/plan-json.md).

FORMAT_VERSION follows Terraform's rule: the minor number grows when keys are added, the major
number when a consumer has to change (a key removed, renamed or retyped).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from cxsync.adapters.counting import ApiCounter
from cxsync.apply import ApplyResult
from cxsync.plan import Member, Plan
from cxsync.reports.view import GroupView, build_view, jira_link, quote

FORMAT_VERSION = "1.1"
Kind = Literal["plan", "apply", "report"]


def plan_document(
    plan: Plan, counter: ApiCounter, result: ApplyResult | None = None, *, kind: Kind = "plan"
) -> dict[str, Any]:
    """The JSON document for a plan (and, after apply, what was done)."""
    counts = plan.summary()
    view = build_view(plan)
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "kind": "apply" if result is not None else kind,
        "mapping": plan.mapping,
        "jira_project": plan.jira_project,
        "has_changes": plan.has_changes,
        "created": counts["create"],
        "updated": counts["update"],
        "unchanged": counts["unchanged"],
        "skipped_groups": counts.get("skipped_groups", 0),
        "writebacks": counts["writebacks"],
        "skipped": counts["skipped"],
        "writes": counts["writes"],
        "revenue_currency": view.currency,
        "api_calls": {"notion": counter.total("notion"), "jira": counter.total("jira"), "by_kind": counter.summary()},
        "groups": [_group(plan, row) for row in view.groups],
        "skipped_entries": [s.model_dump(mode="json") for s in plan.skipped],
        "orphans": [o.model_dump(mode="json") for o in plan.orphans],
        "drift": [d.model_dump(mode="json") for d in plan.drift],
        "departed": [d.model_dump(mode="json") for d in plan.departed],
    }
    if plan.reads:
        data["reads"] = dict(plan.reads)
    if result is not None:
        data["applied"] = _applied(result, counter)
    return data


def summary_json(plan: Plan, counter: ApiCounter, result: ApplyResult | None = None, *, kind: Kind = "plan") -> str:
    """The document as text: UTF-8 (Korean stays readable), two-space indent, stable key order."""
    return json.dumps(plan_document(plan, counter, result, kind=kind), ensure_ascii=False, indent=2)


def _group(plan: Plan, row: GroupView) -> dict[str, Any]:
    group, demand = row.plan, row.plan.demand
    return {
        "rank": row.rank,
        "group_id": group.group_id,
        "action": group.action,
        "key": group.key,
        "url": jira_link(plan, group.key),
        "summary": group.summary,
        "need_tag": group.need_tag,
        "requests": demand.requests,
        "customers": demand.customers,
        "companies": demand.companies,
        "recent": demand.recent,
        "revenue": {currency: str(amount) for currency, amount in sorted(demand.revenue.items())},
        "first_seen": demand.first_seen.isoformat() if demand.first_seen else None,
        "last_seen": demand.last_seen.isoformat() if demand.last_seen else None,
        "channels": dict(demand.channels),
        "changes": [c.field for c in group.changes],
        "field_changes": [_jsonable(c.model_dump(mode="json")) for c in group.changes],
        "add_labels": list(group.add_labels),
        "links_added": len(group.link_upserts),
        "links_removed": len(group.link_deletes),
        "writebacks": row.writebacks,
        "notes": list(group.notes),
        "members": [_member(m) for m in group.members],
    }


def _member(member: Member) -> dict[str, Any]:
    return {
        "page_id": member.page_id,
        "url": member.url,
        "customer": member.customer,
        "company": member.company,
        "text": quote(member.text),
        "score": member.score,
        "reason": member.reason,
    }


def _jsonable(change: dict[str, Any]) -> dict[str, Any]:
    """Field changes as the plan holds them; the description block is named, not inlined."""
    if change["field"] == "description":
        change.update(before="(cxsync block)", after="(cxsync block, re-rendered)")
    return change


def _applied(result: ApplyResult, counter: ApiCounter) -> dict[str, Any]:
    return {
        "created": result.created,
        "updated": result.updated,
        "adopted": result.adopted,
        "written_back": result.written_back,
        "failures": [
            {"target": f.target, "message": f.message_en, "message_ko": f.message_ko} for f in result.failures
        ],
        "writes": counter.writes(),
    }

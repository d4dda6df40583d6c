"""The Slack run summary: what a sync did, as one incoming-webhook message (Block Kit, with a text fallback).

Every value from Notion or Jira is escaped for Slack's mrkdwn (`&`, `<`, `>`), so no summary can
become a link, a mention (`<!channel>`) or markup; links point only at the issue's browse URL.
Lists are capped (`LIST_LIMIT`, then "… and N more") so a message stays far below Slack's limits
(3,000 characters per section, 50 blocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxsync.apply import ApplyResult
from cxsync.models import ActualIssue
from cxsync.plan import GroupPlan, Plan

LIST_LIMIT = 8
SUMMARY_LIMIT = 90
HEADER_LIMIT = 150

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "header": "cxsync {command}: {mapping} → Jira {project}",
        "counts": "New groups *{new}* · created *{created}* · updated *{updated}* · shipped *{shipped}* · failures *{failed}*",
        "fallback": "cxsync {command} {mapping}: {new} new groups, {created} created, {updated} updated, "
        "{shipped} shipped, {failed} failures",
        "created": "*Issues created*",
        "updated": "*Issues updated*",
        "shipped": "*Shipped since the last run* (tell the customers: `cxsync notify-list`)",
        "failures": "*Failures* (the next run resumes safely)",
        "drift": "Groups merged: {merges} · split: {splits} (see `cxsync plan`)",
        "demand": "{requests} request(s), {customers} customer(s)",
        "more": "… and {n} more",
        "footer": "{when} · {writes} write(s) · nothing is deleted in Jira",
    },
    "ko": {
        "header": "cxsync {command}: {mapping} → Jira {project}",
        "counts": "새 그룹 *{new}* · 생성 *{created}* · 수정 *{updated}* · 출시 *{shipped}* · 실패 *{failed}*",
        "fallback": "cxsync {command} {mapping}: 새 그룹 {new}, 생성 {created}, 수정 {updated}, 출시 {shipped}, 실패 {failed}",
        "created": "*새로 만든 이슈*",
        "updated": "*수정한 이슈*",
        "shipped": "*지난 실행 이후 출시됨* (고객 안내: `cxsync notify-list`)",
        "failures": "*실패* (다음 실행에서 안전하게 이어집니다)",
        "drift": "합쳐진 그룹 {merges} · 나뉜 그룹 {splits} (`cxsync plan`에서 확인)",
        "demand": "요청 {requests}건, 고객 {customers}명",
        "more": "… 외 {n}건",
        "footer": "{when} · 쓰기 {writes}회 · Jira에서 아무것도 삭제하지 않습니다",
    },
}


def _t(lang: str, key: str, **values: object) -> str:
    return TEXT.get(lang, TEXT["en"])[key].format(**values)


def escape(text: str) -> str:
    """Slack mrkdwn escaping: the three characters Slack reserves for links, mentions and commands."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Item:
    """One issue in a list: key, summary, browse URL and, when its group is in the plan, its demand."""

    key: str
    summary: str
    url: str
    requests: int | None = None
    customers: int | None = None


@dataclass
class RunSummary:
    """What one sync/apply did, in the terms of the Slack message (language-neutral)."""

    command: str
    mapping: str
    project: str
    new_groups: int
    created: list[Item] = field(default_factory=list)
    updated: list[Item] = field(default_factory=list)
    shipped: list[Item] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (target, en, ko)
    merges: int = 0
    splits: int = 0
    writes: int = 0
    when: str = ""

    @property
    def is_empty(self) -> bool:
        """Nothing worth a message: an hourly no-op sync stays silent."""
        return not (self.created or self.updated or self.shipped or self.failures or self.merges or self.splits)


def summarise(
    plan: Plan, result: ApplyResult, shipped: list[ActualIssue], jira_url: str, command: str, writes: int
) -> RunSummary:
    """The summary of a run from its plan, what apply did and the issues that reached done."""
    by_group = {g.group_id: g for g in plan.groups}
    by_key = {g.key: g for g in plan.groups if g.key}
    base = jira_url.rstrip("/")

    def item(key: str, group: GroupPlan | None, summary: str = "") -> Item:
        demand = group.demand if group else None
        return Item(
            key=key,
            summary=group.summary if group else summary,
            url=f"{base}/browse/{key}",
            requests=demand.requests if demand else None,
            customers=demand.customers if demand else None,
        )

    return RunSummary(
        command=command,
        mapping=plan.mapping,
        project=plan.jira_project,
        new_groups=plan.count("create"),
        created=[item(key, by_group.get(gid)) for gid, key in result.created.items()],
        updated=[item(key, by_key.get(key)) for key in dict.fromkeys(result.updated)],
        shipped=[item(issue.key, by_key.get(issue.key), issue.summary) for issue in shipped],
        failures=[(f.target, f.message_en, f.message_ko) for f in result.failures],
        merges=sum(1 for d in plan.drift if d.kind == "merge"),
        splits=sum(1 for d in plan.drift if d.kind == "split"),
        writes=writes,
        when=plan.created_at.strftime("%Y-%m-%d %H:%M UTC"),
    )


def _line(item: Item, lang: str) -> str:
    link = f"<{item.url}|{escape(item.key)}>" if item.url.startswith(("https://", "http://")) else escape(item.key)
    text = f"• {link} {escape(_cut(item.summary, SUMMARY_LIMIT))}"
    if item.requests is not None:
        text += " — " + _t(lang, "demand", requests=item.requests, customers=item.customers)
    return text


def _section(title: str, lines: list[str], lang: str) -> dict[str, object]:
    shown = lines[:LIST_LIMIT]
    if len(lines) > LIST_LIMIT:
        shown.append(_t(lang, "more", n=len(lines) - LIST_LIMIT))
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join([title, *shown])}}


def _context(text: str) -> dict[str, object]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def build_message(summary: RunSummary, lang: str) -> dict[str, object]:
    """The webhook payload: `text` (notifications, and clients without blocks) and `blocks`."""
    counts = {
        "new": summary.new_groups,
        "created": len(summary.created),
        "updated": len(summary.updated),
        "shipped": len(summary.shipped),
        "failed": len(summary.failures),
    }
    names = {"command": summary.command, "mapping": summary.mapping, "project": summary.project}
    header = _cut(_t(lang, "header", **names), HEADER_LIMIT)
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _t(lang, "counts", **counts)}},
    ]
    for key, items in (("created", summary.created), ("updated", summary.updated), ("shipped", summary.shipped)):
        if items:
            blocks.append(_section(_t(lang, key), [_line(i, lang) for i in items], lang))
    if summary.failures:
        lines = [
            f"• {escape(target)}: {escape(_cut(ko if lang == 'ko' else en, 200))}"
            for target, en, ko in summary.failures
        ]
        blocks.append(_section(_t(lang, "failures"), lines, lang))
    if summary.merges or summary.splits:
        blocks.append(_context(_t(lang, "drift", merges=summary.merges, splits=summary.splits)))
    blocks.append(_context(_t(lang, "footer", when=summary.when, writes=summary.writes)))
    fallback = {k: escape(str(v)) for k, v in names.items()}
    return {"text": _t(lang, "fallback", **fallback, **counts), "blocks": blocks}

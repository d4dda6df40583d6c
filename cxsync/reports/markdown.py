"""`--format markdown`: the plan or the demand report, to paste into Slack, Notion or a pull request.

Customer text is escaped so it stays text: no customer request can become a link, an image, a
heading or a table cell of its own.
"""

from __future__ import annotations

import re
from urllib.parse import quote as url_quote

from cxsync.plan import Plan
from cxsync.reports.drift_view import drift_heading, drift_lines
from cxsync.reports.i18n import SYMBOL, t, why
from cxsync.reports.view import (
    GroupView,
    Mode,
    PlanView,
    build_view,
    change_lines,
    member_line,
    member_numbers,
    money,
    notes,
    safe_url,
    uses_same_text,
)

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
# Text that opens a list item or heading starts with block syntax ("+ new issue", "1. 김민수")
_LEADING = re.compile(r"^([-+#>]|\d+(?=[.)]))")
MEMBERS_SHOWN = 3


def md(text: str) -> str:
    """Escape Markdown syntax (inline, and block syntax at the start) and keep everything on one line."""
    flat = _SPECIAL.sub(r"\\\1", " ".join(text.split()))
    match = _LEADING.match(flat)
    if match is None:
        return flat
    if match.group(1)[0].isdigit():
        end = match.end()
        return flat[:end] + "\\" + flat[end:]
    return "\\" + flat


def md_link(label: str, url: str | None) -> str:
    """A link only to http(s) addresses, with characters that could end the link encoded."""
    safe = safe_url(url)
    if safe is None:
        return md(label)
    return f"[{md(label)}]({url_quote(safe, safe=':/?#=&%~+,;@!$')})"


def render_markdown(plan: Plan, lang: str, *, verbose: bool = False, mode: Mode = "plan") -> str:
    view = build_view(plan)
    shown = view.visible(verbose or mode == "report")
    lines = [f"## {md(t(lang, f'title.{mode}', mapping=plan.mapping, project=plan.jira_project))}", ""]
    lines += _summary(plan, lang)
    if shown:
        lines += ["", *_table(view, shown, lang), ""]
        lines += _details(view, shown, lang, verbose)
        if uses_same_text(shown):
            lines += [f"_\\#1 = {md(t(lang, 'reason.same_text.long'))}_", ""]
    hidden = view.plan.group_count - len(shown)
    if hidden:
        lines += [f"_{md(t(lang, 'hidden_unchanged', n=hidden))}_", ""]
    lines += _skipped(plan, lang)
    return "\n".join(lines).rstrip() + "\n"


def _summary(plan: Plan, lang: str) -> list[str]:
    if not plan.has_changes:
        return [f"**{md(t(lang, 'no_changes'))}**"]
    counts = plan.summary()
    return [f"**{md(t(lang, 'summary.line', **counts))}**  ", md(t(lang, "summary.notion", **counts))]


def _table(view: PlanView, rows: list[GroupView], lang: str) -> list[str]:
    heads = ["col.rank", "col.action", "col.issue", "col.requests", "col.customers", "col.companies", "col.revenue"]
    header = "| " + " | ".join(t(lang, h) for h in heads) + f" | {t(lang, 'col.summary')} |"
    lines = [header, "|--:|---|---|--:|--:|--:|--:|---|"]
    for row in rows:
        lines.append("| " + " | ".join(_cells(view, row, lang)) + " |")
    return lines


def _cells(view: PlanView, row: GroupView, lang: str) -> list[str]:
    group, demand = row.plan, row.plan.demand
    action = f"{SYMBOL[group.action]} {t(lang, f'action.{group.action}')}"
    issue = md_link(group.key, _browse(view.plan, group.key)) if group.key else md(t(lang, "new"))
    revenue = money(row.revenue, view.currency) if view.currency and row.revenue else "—"
    numbers = [str(demand.requests), str(demand.customers), str(demand.companies)]
    return [str(row.rank), md(action), issue, *numbers, md(revenue), md(group.summary)]


def _browse(plan: Plan, key: str) -> str:
    return f"{plan.jira_url.rstrip('/')}/browse/{key}"


def _details(view: PlanView, rows: list[GroupView], lang: str, verbose: bool) -> list[str]:
    lines: list[str] = []
    for row in rows:
        group = row.plan
        title = f"{row.rank}. {SYMBOL[group.action]} {group.key or t(lang, 'new')} {group.summary}"
        lines += [f"#### {md(title)}", ""]
        lines += [f"- {md(line)}" for line in change_lines(row, lang, view.plan.jira_project, verbose=verbose)]
        lines += [f"- ※ {md(text)}" for text in notes(group, lang)]
        members = group.members if verbose else group.members[:MEMBERS_SHOWN]
        lines += [
            f"- {md(member_line(m, lang, n, None, member_numbers(group.members)))} ({md_link('Notion', m.url)})"
            for n, m in enumerate(members, 1)
        ]
        if len(group.members) > len(members):
            lines.append(f"- _{md(t(lang, 'more_members', n=len(group.members) - len(members)))}_")
        lines.append("")
    return lines


def _skipped(plan: Plan, lang: str) -> list[str]:
    skipped = [f"- {md_link(s.page_id, s.url)}: {md(why(s, lang))}" for s in plan.skipped]
    orphans = [f"- {md(o.key)} ({md(o.group_id)}): {md(o.reason)}" for o in plan.orphans]
    departed = [f"- {md_link(d.page_id, d.url)} ({md(d.jira_key or '-')}): {md(why(d, lang))}" for d in plan.departed]
    drift = [f"{'  ' * depth}- {md(text)}" for depth, text in drift_lines(plan, lang)]
    return [
        *_section(t(lang, "skipped_entries"), skipped),
        *_section(t(lang, "orphans"), orphans),
        *_section(t(lang, "departed"), departed),
        *_section(drift_heading(lang), drift),
    ]


def _section(title: str, rows: list[str]) -> list[str]:
    return [f"#### {md(title)}", "", *rows, ""] if rows else []

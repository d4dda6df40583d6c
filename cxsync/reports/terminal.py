"""The plan in a terminal: one rich table, groups by demand, Terraform's legend and summary line.

Customer text is only ever added as `rich.text.Text` (never as console markup), so brackets in a
request cannot restyle the output; widths come from rich's cell measurement, so Korean (East Asian
wide) text lines up.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cxsync.adapters.counting import ApiCounter
from cxsync.apply import ApplyResult
from cxsync.plan import Plan
from cxsync.reports.drift_view import drift_heading, drift_lines
from cxsync.reports.i18n import SYMBOL, note, reads_line, t, why
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
    uses_same_text,
)

ACTION_STYLE = {"create": "green", "update": "yellow", "unchanged": "dim", "skip": "red"}
LINE_STYLE = {"+": "green", "~": "yellow", "-": "red", "→": "cyan"}
MEMBERS_SHOWN = 3


def print_plan(
    plan: Plan,
    console: Console,
    lang: str,
    *,
    verbose: bool = False,
    limit: int | None = None,
    mode: Mode = "plan",
) -> None:
    """The plan as a table, groups by demand; `limit` keeps only the top rows (the demo uses it)."""
    view = build_view(plan)
    console.print(Text(t(lang, f"title.{mode}", mapping=plan.mapping, project=plan.jira_project), style="bold"))
    shown = view.visible(verbose or mode == "report")
    if shown:
        console.print(_legend(shown, lang))
        console.print(_table(view, shown[:limit], lang, verbose))
        if uses_same_text(shown[:limit]):
            console.print(Text("#1 = " + t(lang, "reason.same_text.long"), style="dim"))
    _print_hidden(console, lang, view, shown, limit)
    _print_skipped(console, plan, lang)
    if verbose and plan.reads:
        console.print(Text(reads_line(plan, lang), style="dim"))
    _print_summary(console, plan, lang)


def _legend(shown: list[GroupView], lang: str) -> Text:
    used = [a for a in SYMBOL if any(g.plan.action == a for g in shown)]
    legend = Text(t(lang, "legend"))
    for action in used:
        legend.append(f"  {SYMBOL[action]} {t(lang, f'action.{action}')}", style=ACTION_STYLE[action])
    return legend.append("  " + t(lang, "never_deletes"), style="dim")


def _table(view: PlanView, rows: list[GroupView], lang: str, verbose: bool) -> Table:
    table = Table(show_lines=True, expand=False)
    table.add_column(t(lang, "col.rank"), justify="right", no_wrap=True)
    table.add_column(t(lang, "col.action"), no_wrap=True)
    table.add_column(t(lang, "col.issue"), no_wrap=True)
    for key in ("col.requests", "col.customers", "col.companies"):
        table.add_column(t(lang, key), justify="right", no_wrap=True)
    table.add_column(t(lang, "col.revenue"), justify="right", no_wrap=True)
    table.add_column(t(lang, "col.group"), overflow="fold", ratio=1)
    for row in rows:
        table.add_row(*_cells(view, row, lang, verbose))
    return table


def _cells(view: PlanView, row: GroupView, lang: str, verbose: bool) -> list[Text | str]:
    group, demand = row.plan, row.plan.demand
    action = Text(f"{SYMBOL[group.action]} {t(lang, f'action.{group.action}')}", style=ACTION_STYLE[group.action])
    revenue = money(row.revenue, view.currency) if view.currency and row.revenue else "—"
    numbers = [str(demand.requests), str(demand.customers), str(demand.companies)]
    return [
        str(row.rank),
        action,
        group.key or t(lang, "new"),
        *numbers,
        revenue,
        _group_cell(view, row, lang, verbose),
    ]


def _group_cell(view: PlanView, row: GroupView, lang: str, verbose: bool) -> Text:
    cell = Text(row.plan.summary, style="bold")
    for line in change_lines(row, lang, view.plan.jira_project, verbose=verbose):
        cell.append("\n" + line, style=LINE_STYLE.get(line[:1], ""))
    for text in notes(row.plan, lang):
        cell.append("\n※ " + text, style="magenta")
    members = row.plan.members if verbose else row.plan.members[:MEMBERS_SHOWN]
    for n, member in enumerate(members, 1):
        numbers = member_numbers(row.plan.members)
        cell.append("\n" + member_line(member, lang, n, None if verbose else 48, numbers), style="dim")
    hidden = len(row.plan.members) - len(members)
    if hidden:
        cell.append("\n  " + t(lang, "more_members", n=hidden), style="dim italic")
    return cell


def _print_hidden(console: Console, lang: str, view: PlanView, shown: list[GroupView], limit: int | None) -> None:
    if limit is not None and len(shown) > limit:
        console.print(Text(t(lang, "more_groups", n=len(shown) - limit), style="dim"))
    unchanged = view.plan.group_count - len(shown)
    if unchanged:
        console.print(Text(t(lang, "hidden_unchanged", n=unchanged), style="dim"))


def _print_skipped(console: Console, plan: Plan, lang: str) -> None:
    sections = [
        (t(lang, "skipped_entries"), [f"  ! {s.url or s.page_id}: {why(s, lang)}" for s in plan.skipped]),
        (t(lang, "orphans"), [f"  {o.key} ({o.group_id}): {note(lang, o.reason)}" for o in plan.orphans]),
        (
            t(lang, "departed"),
            [f"  - {d.url or d.page_id} ({d.jira_key or '-'}): {why(d, lang)}" for d in plan.departed],
        ),
        (
            drift_heading(lang),
            ["  " * (depth + 1) + ("- " if depth else "") + line for depth, line in drift_lines(plan, lang)],
        ),
    ]
    for title, lines in sections:
        if lines:
            console.print(Text(title, style="bold"))
            for line in lines:
                console.print(Text(line))


def _print_summary(console: Console, plan: Plan, lang: str) -> None:
    if not plan.has_changes:
        console.print(Text(t(lang, "no_changes"), style="bold green"))
    else:
        console.print(Text(t(lang, "summary.line", **plan.summary()), style="bold"))
        console.print(Text(t(lang, "summary.notion", **plan.summary())))
    if plan.skipped:
        console.print(Text(t(lang, "summary.entries", n=len(plan.skipped))))


def print_saved_hint(console: Console, lang: str, path: str, mapping_path: str) -> None:
    """Terraform's closing words after `plan -out`: how to apply exactly this plan."""
    console.print(Text(t(lang, "saved", path=path, mapping=mapping_path)), soft_wrap=True)


def print_result(result: ApplyResult, console: Console, lang: str) -> None:
    counts = {
        "created": len(result.created),
        "updated": len(result.updated),
        "adopted": len(result.adopted),
        "written": result.written_back,
    }
    console.print(Text(t(lang, "applied", **counts)))
    if result.failures:
        console.print(Text(t(lang, "failed", n=len(result.failures)), style="red"))
        for failure in result.failures:
            message = failure.message_ko if lang == "ko" else failure.message_en
            console.print(Text(f"  {failure.target}: {message}"))


def print_calls(counter: ApiCounter, console: Console, lang: str) -> None:
    console.print(Text(t(lang, "calls", notion=counter.total("notion"), jira=counter.total("jira"))))

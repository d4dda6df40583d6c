"""Pieces of the HTML report. Every dynamic value goes through `h()` (escaped text) or `href()`."""

from __future__ import annotations

from html import escape

from cxsync.plan import Member, Plan
from cxsync.reports.i18n import SYMBOL, note, reason, t, why
from cxsync.reports.view import GroupView, PlanView, change_lines, jira_link, notes, quote, revenue_text, safe_url

OPEN_EVIDENCE = 3  # the top groups show their quotes without a click
CHANGE_CLASS = {"+": "add", "~": "change", "-": "remove", "→": "notion"}


def h(value: object) -> str:
    """Text made safe for HTML content and quoted attributes."""
    return escape(str(value), quote=True)


def href(url: str | None, text: str, *, new_tab: bool = True) -> str:
    """A link to an http(s) address only; anything else becomes plain text."""
    safe = safe_url(url)
    if safe is None:
        return h(text)
    target = ' target="_blank" rel="noopener noreferrer"' if new_tab else ""
    return f'<a href="{h(safe)}"{target}>{h(text)}</a>'


def cards(plan: Plan, lang: str) -> str:
    counts = plan.summary()
    items = [
        (counts["create"], "create"),
        (counts["update"], "update"),
        (counts["unchanged"], "unchanged"),
        (counts.get("skipped_groups", 0), "skip"),
        (plan.group_count, "groups"),
        (sum(g.demand.requests for g in plan.groups), "requests"),
        (counts["writebacks"], "writebacks"),
    ]
    body = "".join(f'<li class="{h(k)}"><b>{n}</b>{h(t(lang, f"html.cards.{k}"))}</li>' for n, k in items)
    return f'<ul class="cards">{body}</ul>'


def controls(view: PlanView, lang: str) -> str:
    actions = "".join(f'<option value="{a}">{h(SYMBOL[a] + " " + t(lang, f"action.{a}"))}</option>' for a in SYMBOL)
    tags = sorted({g.plan.need_tag for g in view.groups if g.plan.need_tag})
    tag_options = "".join(f'<option value="{h(tag)}">{h(tag)}</option>' for tag in tags)
    sorts = ("rank", "requests", "customers", "companies", "revenue", "recent", "lastSeen")
    sort_options = "".join(f'<option value="{s}">{h(t(lang, f"html.sort.{s}"))}</option>' for s in sorts)
    return (
        '<div class="controls" id="controls" hidden>'
        f'<input type="search" id="q" placeholder="{h(t(lang, "html.search"))}" aria-label="{h(t(lang, "html.search"))}">'
        f'<select id="action"><option value="">{h(t(lang, "html.all_actions"))}</option>{actions}</select>'
        f'<select id="tag"><option value="">{h(t(lang, "html.all_tags"))}</option>{tag_options}</select>'
        f'<label>{h(t(lang, "html.sort"))} <select id="sort">{sort_options}</select></label>'
        '<span class="muted" id="shown"></span></div>'
    )


def metric_buttons(view: PlanView, lang: str) -> str:
    names = [("requests", t(lang, "html.metric.requests")), ("customers", t(lang, "html.metric.customers"))]
    if view.currency:
        names.append(("revenue", f"{t(lang, 'html.metric.revenue')} ({view.currency})"))
    buttons = "".join(
        f'<button type="button" data-metric="{m}" aria-pressed="{str(i == 0).lower()}">{h(name)}</button>'
        for i, (m, name) in enumerate(names)
    )
    return f'<div class="metric" id="metric" hidden>{buttons}</div>'


def group_article(view: PlanView, row: GroupView, lang: str) -> str:
    group = row.plan
    action = f"{SYMBOL[group.action]} {t(lang, f'action.{group.action}')}"
    key = href(jira_link(view.plan, group.key), group.key) if group.key else h(t(lang, "new"))
    return (
        f'<article class="group" id="g-{h(group.group_id)}" data-id="{h(group.group_id)}">'
        f'<header><span class="rank">#{row.rank}</span><span class="badge {h(group.action)}">{h(action)}</span>'
        f"<span>{key}</span><h3>{h(group.summary)}</h3></header>"
        f"{_demand(view, row, lang)}{_changes(view, row, lang)}{_evidence(group.members, lang, row.rank <= OPEN_EVIDENCE)}</article>"
    )


def _demand(view: PlanView, row: GroupView, lang: str) -> str:
    demand = row.plan.demand
    seen = " – ".join(d.isoformat() for d in (demand.first_seen, demand.last_seen) if d) or "—"
    channels = ", ".join(f"{name} {n}" for name, n in demand.channels.items()) or "—"
    facts = [
        (t(lang, "col.requests"), str(demand.requests)),
        (t(lang, "col.customers"), str(demand.customers)),
        (t(lang, "col.companies"), str(demand.companies)),
        (t(lang, "col.revenue"), revenue_text(demand) if demand.revenue else "—"),
        (t(lang, "col.recent"), str(demand.recent)),
        (t(lang, "html.seen"), seen),
        (t(lang, "html.channels"), channels),
    ]
    if row.plan.need_tag:
        facts.insert(0, (t(lang, "html.tag"), row.plan.need_tag))
    body = "".join(f"<div><dt>{h(k)}</dt><dd>{h(v)}</dd></div>" for k, v in facts)
    return f'<dl class="demand">{body}</dl>'


def _changes(view: PlanView, row: GroupView, lang: str) -> str:
    lines = change_lines(row, lang, view.plan.jira_project, verbose=True) or [t(lang, "change.none")]
    items = "".join(f'<li class="{CHANGE_CLASS.get(line[:1], "same")}">{h(line)}</li>' for line in lines)
    out = f'<div class="changes"><h4>{h(t(lang, "html.changes"))}</h4><ul>{items}</ul></div>'
    extra = notes(row.plan, lang)
    if extra:
        out += f'<h4>{h(t(lang, "html.notes"))}</h4><ul class="notes">' + "".join(f"<li>{h(n)}</li>" for n in extra)
        out += "</ul>"
    return out


def _evidence(members: list[Member], lang: str, is_open: bool) -> str:
    numbers = {m.page_id: n for n, m in enumerate(members, 1)}
    items = "".join(
        f'<li><blockquote>{h(quote(m.text))}</blockquote><p class="who">'
        f"{h(' · '.join(x for x in (m.customer, m.company) if x) or t(lang, 'anonymous'))}"
        f" · {h(reason(lang, m.reason, m.score, numbers))} · {href(m.url, t(lang, 'html.open_notion'))}</p></li>"
        for m in members
    )
    title = h(t(lang, "html.evidence", n=len(members)))
    opened = " open" if is_open else ""
    return f'<details class="evidence"{opened}><summary>{title}</summary><ol>{items}</ol></details>'


def skipped_table(plan: Plan, lang: str) -> str:
    if not plan.skipped:
        return ""
    rows = "".join(
        f"<tr><td>{href(s.url, s.page_id)}</td><td>{h(s.reason_ko if lang == 'ko' else s.reason_en)}</td></tr>"
        for s in plan.skipped
    )
    return f'<h2>{h(t(lang, "skipped_entries"))}</h2><table class="skipped"><tbody>{rows}</tbody></table>'


def orphan_list(plan: Plan, lang: str) -> str:
    if not plan.orphans:
        return ""
    items = "".join(
        f"<li>{href(jira_link(plan, o.key), o.key)} ({h(o.group_id)}): {h(note(lang, o.reason))}</li>"
        for o in plan.orphans
    )
    return f"<h2>{h(t(lang, 'orphans'))}</h2><ul>{items}</ul>"


def departed_list(plan: Plan, lang: str) -> str:
    if not plan.departed:
        return ""
    items = "".join(
        f"<li>{href(d.url, d.page_id)} ({h(d.jira_key or '-')}): {h(why(d, lang))}</li>" for d in plan.departed
    )
    return f"<h2>{h(t(lang, 'departed'))}</h2><ul>{items}</ul>"

"""What every report shows, computed once from a Plan: ranking, money, changes in words, evidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from cxsync.demand import Demand
from cxsync.pii import redact_pii
from cxsync.plan import GroupPlan, Member, Plan
from cxsync.reports.i18n import note, reason, t

Mode = Literal["plan", "report", "sync"]
CURRENCY_SIGN = {"KRW": "₩", "USD": "$", "EUR": "€", "JPY": "¥", "GBP": "£"}
_RESERVED = {"summary", "description", "labels", "priority", "project", "issuetype"}


@dataclass(frozen=True)
class GroupView:
    """One group as the reports show it; `rank` is its place by demand (1 = most asked for)."""

    rank: int
    plan: GroupPlan
    revenue: Decimal
    writebacks: int


@dataclass(frozen=True)
class PlanView:
    plan: Plan
    groups: list[GroupView]
    currency: str | None

    def visible(self, verbose: bool) -> list[GroupView]:
        """Groups worth showing: everything with --verbose, else all but the unchanged ones."""
        return [g for g in self.groups if verbose or g.plan.action != "unchanged"]


def report_currency(groups: Sequence[GroupPlan]) -> str | None:
    """The currency that carries the most revenue across groups: the one charts and sorting use."""
    totals: Counter[str] = Counter()
    for group in groups:
        for currency, amount in group.demand.revenue.items():
            totals[currency] += int(amount)
    if not totals:
        return None
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def build_view(plan: Plan) -> PlanView:
    """Groups ranked by requests, then distinct customers, then revenue; ties by group id (stable)."""
    currency = report_currency(plan.groups)
    per_group = Counter(w.group_id for w in plan.writebacks)

    def revenue(group: GroupPlan) -> Decimal:
        return group.demand.revenue.get(currency, Decimal(0)) if currency else Decimal(0)

    ordered = sorted(plan.groups, key=lambda g: (-g.demand.requests, -g.demand.customers, -revenue(g), g.group_id))
    views = [GroupView(i + 1, g, revenue(g), per_group[g.group_id]) for i, g in enumerate(ordered)]
    return PlanView(plan, views, currency)


def money(amount: Decimal, currency: str) -> str:
    """`₩1,200,000` / `$12,000` / `1,200 CHF`; whole units, grouped thousands."""
    whole = f"{int(amount.to_integral_value()):,}"
    sign = CURRENCY_SIGN.get(currency)
    return f"{sign}{whole}" if sign else f"{whole} {currency}"


def revenue_text(demand: Demand) -> str:
    if not demand.revenue:
        return "—"
    return " + ".join(money(amount, currency) for currency, amount in sorted(demand.revenue.items()))


def quote(text: str, limit: int | None = None) -> str:
    """Customer text as reports show it: personal data redacted, whitespace collapsed, optionally cut."""
    flat = " ".join(redact_pii(text).split())
    if limit is not None and len(flat) > limit:
        return flat[: limit - 1].rstrip() + "…"
    return flat


def who(member: Member, lang: str) -> str:
    names = [n for n in (member.customer, member.company) if n]
    if not names:
        return t(lang, "anonymous")
    return names[0] if len(names) == 1 else f"{names[0]} ({names[1]})"


def member_line(
    member: Member, lang: str, n: int, limit: int | None = 60, numbers: Mapping[str, int] | None = None
) -> str:
    """`2. 김민수 (한빛커머스): “…” — same text as #1`; `n` is the member's place in its group, `numbers`
    every member's place (page id → n), so a reason can name a fellow member by number."""
    why = reason(lang, member.reason, member.score, numbers)
    return t(lang, "member", n=n, who=who(member, lang), quote=quote(member.text, limit), why=why)


def member_numbers(members: Sequence[Member]) -> dict[str, int]:
    """Page id → place in the group (1-based), as the reports number the members."""
    return {m.page_id: n for n, m in enumerate(members, 1)}


def uses_same_text(groups: Sequence[GroupView]) -> bool:
    """Whether any shown member was grouped by normalised text (the reports then explain what that means)."""
    return any(m.reason.startswith("same normalised text") for g in groups for m in g.plan.members)


def value_text(value: Any, lang: str, limit: int = 60) -> str:
    """A field value before or after a change, short enough for one line; text values are quoted."""
    if value is None or value == "":
        return t(lang, "none")
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"“{text}”" if isinstance(value, str) else text


def change_lines(view: GroupView, lang: str, project: str, *, verbose: bool = False) -> list[str]:
    """What this group will change in Jira and Notion, one line each, in the reader's language.

    A create is one line (the demand numbers are in the table); `verbose` adds its labels and fields.
    """
    group = view.plan
    if group.action == "create":
        lines = _create_lines(group, lang, project, verbose)
    elif group.action == "update":
        lines = _update_lines(group, lang)
    else:
        lines = []
    if view.writebacks and group.action != "skip":
        lines.append(t(lang, "change.writebacks", n=view.writebacks))
    return lines


def _create_lines(group: GroupPlan, lang: str, project: str, verbose: bool) -> list[str]:
    fields = group.create_fields or {}
    extras = []
    if fields.get("priority"):
        extras.append(t(lang, "change.priority", value=value_text(fields["priority"], lang)))
    if group.link_upserts:
        extras.append(t(lang, "change.links", n=len(group.link_upserts)))
    lines = [t(lang, "change.create", project=project) + (f" ({', '.join(extras)})" if extras else "")]
    if verbose:
        lines.append(t(lang, "change.labels", labels=", ".join(fields.get("labels", []))))
        lines += [
            t(lang, "change.field", field=name, value=value_text(value, lang))
            for name, value in sorted(fields.items())
            if name not in _RESERVED
        ]
    return lines


def _update_lines(group: GroupPlan, lang: str) -> list[str]:
    lines: list[str] = []
    for change in group.changes:
        if change.field == "labels":
            lines.append(t(lang, "change.label", label=change.after))
        elif change.field == "description":
            lines.append(t(lang, "change.description"))
        else:
            before, after = value_text(change.before, lang), value_text(change.after, lang)
            lines.append(t(lang, "change.diff", field=change.field, before=before, after=after))
    if group.link_upserts:
        lines.append(t(lang, "change.links_add", n=len(group.link_upserts)))
    if group.link_deletes:
        lines.append(t(lang, "change.links_del", n=len(group.link_deletes)))
    if not lines and group.write_record:
        lines.append(t(lang, "change.record"))
    return lines


def notes(group: GroupPlan, lang: str) -> list[str]:
    return [note(lang, text) for text in group.notes]


def jira_link(plan: Plan, key: str | None) -> str | None:
    """The browse URL of an existing issue, only when the Jira address is plain http(s)."""
    if key is None or not plan.jira_url.startswith(("https://", "http://")):
        return None
    return f"{plan.jira_url.rstrip('/')}/browse/{key}"


def safe_url(url: str | None) -> str | None:
    """Links in reports are http(s) only: anything else (javascript:, data:) is dropped."""
    if url and url.startswith(("https://", "http://")) and not any(c.isspace() for c in url):
        return url
    return None

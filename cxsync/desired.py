"""The Jira issue each group should have: summary, owned description block, labels, demand, links."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from cxsync.config import Mapping
from cxsync.demand import Demand, compute_demand
from cxsync.document import Block, Bullets, Heading, Link, Paragraph, Table, Text
from cxsync.models import Group, RemoteLinkSpec, VocEntry
from cxsync.pii import make_redactor

SUMMARY_LIMIT = 255
QUOTE_LIMIT = 300
TOP_QUOTES = 5
EVIDENCE_ROWS = 50  # Jira caps a description at 32,767 characters; every entry also has a remote link


@dataclass(frozen=True)
class DesiredIssue:
    group: Group
    summary: str
    blocks: list[Block]
    labels: tuple[str, ...]
    demand: Demand
    links: tuple[RemoteLinkSpec, ...]
    priority: str | None = None

    @property
    def label(self) -> str:
        return self.labels[1]

    def block_sha(self) -> str:
        return self._shas[0]

    def links_sha(self) -> str:
        return self._shas[1]

    @cached_property
    def _shas(self) -> tuple[str, str]:  # each is asked for twice per group, and repr of the blocks is slow
        links = json.dumps([link.model_dump() for link in self.links], ensure_ascii=False)
        return sha(repr(self.blocks)), sha(links)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def group_label(prefix: str, group_id: str) -> str:
    return f"{prefix}-{group_id}"


def slug_label(text: str) -> str:
    """A Jira label from free text: no spaces, no quotes, at most 255 characters."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[\s\"'\\,;:]+", "-", text)
    return text.strip("-")[:255]


def one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def global_id(page_id: str) -> str:
    return f"cxsync:notion-page:{page_id.replace('-', '')}"


def build_desired(group: Group, mapping: Mapping, today: date | None = None) -> DesiredIssue:
    prefix = mapping.jira.label_prefix
    members = sorted(group.members, key=lambda e: (e.created_time, e.page_id))
    demand = compute_demand(members, today)
    redact_pii = make_redactor(mapping.privacy.redact_pii, mapping.privacy.extra_patterns)
    tag = f"[{group.need_tag}] " if group.need_tag else ""
    summary = one_line(tag + redact_pii(group.anchor.text), SUMMARY_LIMIT)
    labels = [prefix, group_label(prefix, group.id)]
    if group.need_tag and slug_label(group.need_tag):
        labels.append(f"{prefix}-need-{slug_label(group.need_tag)}"[:255])
    links = tuple(
        RemoteLinkSpec(global_id=global_id(e.page_id), url=e.url, title=one_line(f"VoC: {redact_pii(e.text)}", 255))
        for e in members
    )
    blocks = _blocks(group, demand, members, redact_pii)
    return DesiredIssue(group, summary, blocks, tuple(labels), demand, links, desired_priority(demand, mapping))


def desired_priority(demand: Demand, mapping: Mapping) -> str | None:
    """The priority of the first rule whose every threshold the demand reaches."""
    revenue = float(demand.revenue.get(mapping.notion.revenue_currency, Decimal(0)))
    for rule in mapping.jira.priority_rules:
        checks = (
            (rule.min_requests, demand.requests),
            (rule.min_customers, demand.customers),
            (rule.min_companies, demand.companies),
            (rule.min_revenue, revenue),
        )
        if all(threshold is None or figure >= threshold for threshold, figure in checks):
            return rule.priority
    return None


def demand_field_values(desired: DesiredIssue, mapping: Mapping) -> dict[str, float]:
    """Role → number for the demand custom fields the mapping names."""
    fields = mapping.jira.demand_fields
    values: dict[str, float] = {}
    figures: dict[str, float | None] = {
        "requests": desired.demand.requests,
        "customers": desired.demand.customers,
        "companies": desired.demand.companies,
        "revenue": float(desired.demand.revenue.get(mapping.notion.revenue_currency, Decimal(0))),
    }
    for role, figure in figures.items():
        if getattr(fields, role) and figure is not None:
            values[role] = figure
    return values


def _money(revenue: dict[str, Decimal]) -> str:
    if not revenue:
        return "—"
    return ", ".join(f"{amount:,.0f} {currency}" for currency, amount in revenue.items())


def _blocks(group: Group, demand: Demand, members: list[VocEntry], redact_pii: Callable[[str], str]) -> list[Block]:
    period = f"{demand.first_seen} ~ {demand.last_seen}" if demand.first_seen else "—"
    summary = Bullets(
        (
            (Text("요청 수 / Requests: ", bold=True), Text(str(demand.requests))),
            (Text("고객 수 / Customers: ", bold=True), Text(str(demand.customers))),
            (Text("고객사 수 / Companies: ", bold=True), Text(str(demand.companies))),
            (Text("매출 합계 / Revenue (once per company): ", bold=True), Text(_money(demand.revenue))),
            (Text("기간 / Seen: ", bold=True), Text(period)),
            (Text("최근 30일 요청 / Requests in the last 30 days: ", bold=True), Text(str(demand.recent))),
            (
                Text("채널 / Channels: ", bold=True),
                Text(", ".join(f"{k} {v}" for k, v in demand.channels.items()) or "—"),
            ),
        )
    )
    quotes = Bullets(tuple((Text(one_line(redact_pii(e.text), QUOTE_LIMIT)),) for e in members[:TOP_QUOTES]))
    rows = tuple(
        (
            (Link(one_line(redact_pii(e.text), 80), e.url),),
            (Text(e.customer or "—"),),
            (Text(e.company or "—"),),
            (Text(e.channel or "—"),),
            (Text(str(e.received or e.created_time.date())),),
        )
        for e in members[:EVIDENCE_ROWS]
    )
    more = len(members) - EVIDENCE_ROWS
    overflow = [Paragraph((Text(f"… 외 {more}건 — and {more} more: see the linked Notion pages"),))] if more > 0 else []
    return [
        Heading("고객 요청 근거 / Customer evidence"),
        Paragraph((Text(f"Group {group.id}" + (f" · {group.need_tag}" if group.need_tag else "")),)),
        summary,
        Heading("고객의 말 / In their words", level=4),
        quotes,
        Heading("근거 목록 / Evidence", level=4),
        Table(("요청 / Request", "고객 / Customer", "고객사 / Company", "채널 / Channel", "접수일 / Received"), rows),
        *overflow,
    ]


def sync_fields_sha(values: dict[str, Any]) -> str:
    return sha(json.dumps(values, sort_keys=True))

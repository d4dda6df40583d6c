"""The drift section of every report: groups merged or split since the last run (cxsync.drift)."""

from __future__ import annotations

from html import escape

from cxsync.drift import Drift, DriftPart
from cxsync.plan import Plan
from cxsync.reports.i18n import t


def drift_heading(lang: str) -> str:
    return t(lang, "drift")


def _issue(key: str | None, lang: str) -> str:
    return key or t(lang, "new")


def drift_title(drift: Drift, lang: str) -> str:
    return t(lang, f"drift.{drift.kind}", issue=_issue(drift.key, lang), group=drift.group_id, n=len(drift.parts))


def part_line(part: DriftPart, lang: str) -> str:
    why = part.reason_ko if lang == "ko" else part.reason_en
    return t(lang, "drift.part", issue=_issue(part.key, lang), group=part.group_id, n=len(part.page_ids), why=why)


def drift_lines(plan: Plan, lang: str) -> list[tuple[int, str]]:
    """(depth, text) lines: each merge or split, then its parts one level deeper; empty without drift."""
    lines: list[tuple[int, str]] = []
    for drift in plan.drift:
        lines.append((0, drift_title(drift, lang)))
        lines += [(1, part_line(part, lang)) for part in drift.parts]
    return lines


def drift_html(plan: Plan, lang: str) -> str:
    """An <h2> and a nested list; every value escaped."""
    if not plan.drift:
        return ""
    items = "".join(
        f"<li>{escape(drift_title(d, lang))}<ul>"
        + "".join(f"<li>{escape(part_line(p, lang))}</li>" for p in d.parts)
        + "</ul></li>"
        for d in plan.drift
    )
    return f'<h2>{escape(drift_heading(lang))}</h2><ul class="drift">{items}</ul>'

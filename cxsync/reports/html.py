"""`--html FILE`: one self-contained page (no CDN, no network) with a demand chart, filters and evidence.

Safety (docs: reliability §4.5): customer text is escaped text, never markup; links are http(s)
only and open with `rel="noopener noreferrer"`; the data for the script sits in a JSON block with
`<`, `>` and `&` escaped; and a Content-Security-Policy allows exactly this page's own script and
style (by hash) and nothing else: no fetches, no images from elsewhere, no other scripts.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from importlib.resources import files
from typing import Any

from cxsync import __version__
from cxsync.plan import Plan
from cxsync.reports.drift_view import drift_html
from cxsync.reports.html_parts import (
    cards,
    controls,
    departed_list,
    group_article,
    h,
    metric_buttons,
    orphan_list,
    skipped_table,
)
from cxsync.reports.i18n import t
from cxsync.reports.view import CURRENCY_SIGN, Mode, PlanView, build_view

CHART_TOP = 10


@cache
def asset(name: str) -> str:
    return files("cxsync.reports").joinpath("assets", name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(script: str, style: str) -> str:
    return (
        f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def render_html(plan: Plan, lang: str, *, mode: Mode = "plan") -> str:
    """The whole report as one HTML document (UTF-8 text)."""
    view = build_view(plan)
    script, style = asset("report.js"), asset("report.css")
    title = t(lang, f"title.{mode}", mapping=plan.mapping, project=plan.jira_project)
    head = (
        '<meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{h(content_security_policy(script, style))}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{h(title)}</title><style>{style}</style>"
    )
    body = _body(view, lang, title) + f'<script type="application/json" id="cxsync-data">{_data(view, lang)}</script>'
    return f'<!doctype html>\n<html lang="{h(lang)}"><head>{head}</head><body>{body}<script>{script}</script></body></html>\n'


def _body(view: PlanView, lang: str, title: str) -> str:
    plan = view.plan
    when = plan.created_at.strftime("%Y-%m-%d %H:%M UTC")
    summary = t(lang, "no_changes") if not plan.has_changes else t(lang, "summary.line", **plan.summary())
    articles = "".join(group_article(view, row, lang) for row in view.groups)
    return (
        f"<header><h1>{h(title)}</h1>"
        f'<p class="meta">{h(t(lang, "html.generated", when=when, mapping=plan.mapping, project=plan.jira_project))}</p>'
        f'{cards(plan, lang)}<p class="summary-line">{h(summary)}</p></header>'
        f'<section id="demand"><h2>{h(t(lang, "html.demand", n=CHART_TOP))}</h2>{metric_buttons(view, lang)}'
        f'<div id="chart"><p class="muted">{h(t(lang, "html.no_script"))}</p></div></section>'
        f'<section id="groups"><h2>{h(t(lang, "html.groups"))}</h2>{controls(view, lang)}'
        f'<div id="group-list">{articles}</div></section>'
        f"{skipped_table(plan, lang)}{orphan_list(plan, lang)}{departed_list(plan, lang)}{drift_html(plan, lang)}"
        f"<footer>{h(t(lang, 'html.footer', version=__version__))}</footer>"
    )


def _data(view: PlanView, lang: str) -> str:
    """What the script needs, as JSON that cannot close its <script> element."""
    groups = [
        {
            "id": row.plan.group_id,
            "rank": row.rank,
            "summary": row.plan.summary,
            "action": row.plan.action,
            "tag": row.plan.need_tag or "",
            "requests": row.plan.demand.requests,
            "customers": row.plan.demand.customers,
            "companies": row.plan.demand.companies,
            "revenue": int(row.revenue),
            "recent": row.plan.demand.recent,
            "lastSeen": row.plan.demand.last_seen.isoformat() if row.plan.demand.last_seen else "",
        }
        for row in view.groups
    ]
    data: dict[str, Any] = {
        "lang": lang,
        "top": CHART_TOP,
        "currencySign": CURRENCY_SIGN.get(view.currency or "", ""),
        "text": {
            "chartTitle": t(lang, "html.demand", n=CHART_TOP),
            "noData": t(lang, "html.no_data"),
            "shown": t(lang, "html.shown"),
        },
        "groups": groups,
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")

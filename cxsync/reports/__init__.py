"""Plans and results for people and scripts: terminal (rich), JSON, Markdown and a self-contained HTML page.

Every renderer starts from the same `Plan` value (the one `apply` executes), through `view.build_view`.
"""

from __future__ import annotations

from cxsync.reports.html import render_html
from cxsync.reports.json_output import FORMAT_VERSION, plan_document, summary_json
from cxsync.reports.markdown import render_markdown
from cxsync.reports.terminal import print_calls, print_plan, print_result, print_saved_hint

__all__ = [
    "FORMAT_VERSION",
    "plan_document",
    "print_calls",
    "print_plan",
    "print_result",
    "print_saved_hint",
    "render_html",
    "render_markdown",
    "summary_json",
]

"""Kept for older imports: the renderers now live in `cxsync.reports`."""

from __future__ import annotations

from cxsync.reports import print_calls, print_plan, print_result, summary_json

__all__ = ["print_calls", "print_plan", "print_result", "summary_json"]

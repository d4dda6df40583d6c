"""Who to tell: requesters of groups whose Jira issue reached done ("we built it")."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from cxsync.config import JiraSettings
from cxsync.models import ActualIssue, VocEntry

CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Notice:
    jira_key: str
    issue_summary: str
    resolved: str
    customer: str
    company: str
    owner: str
    channel: str
    request: str
    notion_url: str


def parse_jira_time(text: str) -> datetime | None:
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def is_shipped(issue: ActualIssue, settings: JiraSettings) -> bool:
    """Done, and not a done status that maps to something else (e.g. "Won't Do" → 반려)."""
    if issue.status_category != "done":
        return False
    shipped = settings.status_category_map.get("done")
    return shipped is None or settings.notion_status_for(issue.status, issue.status_category) == shipped


def notices(
    issues: Sequence[ActualIssue], entries: Sequence[VocEntry], settings: JiraSettings, since: datetime
) -> list[Notice]:
    """One row per requester of every issue shipped at or after `since`, oldest issue first."""
    shipped = {}
    for issue in issues:
        resolved = parse_jira_time(issue.resolved or "")
        if is_shipped(issue, settings) and resolved is not None and resolved >= since:
            shipped[issue.key] = (resolved, issue)
    rows = [
        Notice(
            jira_key=entry.jira_key,
            issue_summary=shipped[entry.jira_key][1].summary,
            resolved=shipped[entry.jira_key][0].isoformat(),
            customer=entry.customer or "",
            company=entry.company or "",
            owner=entry.owner or "",
            channel=entry.channel or "",
            request=entry.text,
            notion_url=entry.url,
        )
        for entry in entries
        if entry.jira_key in shipped
    ]
    return sorted(rows, key=lambda n: (n.resolved, n.jira_key, n.company, n.customer))


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas in customer-supplied text (CWE-1236)."""
    return f"'{value}" if value.startswith(CSV_FORMULA_START) else value


def to_csv(rows: Sequence[Notice]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(Notice.__dataclass_fields__))
    for row in rows:
        writer.writerow([_cell(str(v)) for v in asdict(row).values()])
    return out.getvalue()


def to_json(rows: Sequence[Notice]) -> str:
    return json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2)

"""Notion page objects → VocEntry, at the boundary. Malformed pages become SkippedEntry, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from cxsync.adapters.notion_values import UnsupportedProperty, as_date, as_number, as_text
from cxsync.config import NotionSettings
from cxsync.models import SkippedEntry, VocEntry

T = TypeVar("T")


def page_to_entry(page: Any, settings: NotionSettings) -> VocEntry | SkippedEntry:
    """Convert one page; any property cxsync cannot read skips the entry with the reason."""
    page_id = str(page.get("id", "?")) if isinstance(page, dict) else "?"
    url = str(page.get("url") or "") if isinstance(page, dict) else ""
    try:
        return _convert(page, settings)
    except UnsupportedProperty as problem:
        return skipped(page_id, url, f"unreadable property: {problem}", f"읽을 수 없는 속성: {problem}")
    except (KeyError, TypeError, AttributeError, ValueError, ValidationError) as problem:
        detail = f"{type(problem).__name__}: {str(problem)[:120]}"
        return skipped(page_id, url, f"malformed page ({detail})", f"형식이 잘못된 페이지 ({detail})")


def _convert(page: dict[str, Any], settings: NotionSettings) -> VocEntry | SkippedEntry:
    props_by_name = page["properties"]
    roles = settings.properties

    def value(role: str, convert: Callable[[dict[str, Any]], T]) -> T | None:
        name = getattr(roles, role)
        prop = props_by_name.get(name) if name else None
        return convert(prop) if isinstance(prop, dict) else None

    text = value("text", as_text)
    if not text:
        return skipped(page["id"], page.get("url") or "", "the request text is empty", "요청 내용이 비어 있습니다")
    tag = value("need_tag", as_text)
    if tag and (props_by_name.get(roles.need_tag) or {}).get("type") == "multi_select":
        tag = tag.split(", ")[0]
    return VocEntry(
        page_id=page["id"],
        url=page.get("url") or "",
        text=text,
        need_tag=tag,
        customer=value("customer", as_text),
        company=value("company", as_text),
        revenue=value("revenue", as_number),
        currency=settings.revenue_currency,
        channel=value("channel", as_text),
        received=value("created", as_date),
        owner=value("owner", as_text),
        created_time=timestamp(page["created_time"]),
        last_edited_time=timestamp(page["last_edited_time"]),
        jira_key=value("jira_key", as_text),
        jira_url=value("jira_url", as_text),
        status=value("status", as_text),
        group_override=value("group_override", as_text),
    )


def skipped(page_id: str, url: str, en: str, ko: str) -> SkippedEntry:
    return SkippedEntry(page_id=page_id, url=url, reason_en=en, reason_ko=ko)


def timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

"""Notion property values ↔ plain Python values, at the boundary."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

RICH_TEXT_LIMIT = 2000

READABLE_TYPES = {
    "title",
    "rich_text",
    "select",
    "multi_select",
    "status",
    "number",
    "date",
    "people",
    "url",
    "email",
    "phone_number",
    "checkbox",
    "relation",
    "formula",
    "rollup",
    "unique_id",
    "created_time",
    "last_edited_time",
    "created_by",
    "last_edited_by",
}


class UnsupportedProperty(ValueError):
    """A property of a type cxsync cannot read for the role it was mapped to."""


def plain_text(items: list[dict[str, Any]] | None) -> str:
    return "".join(str(item.get("plain_text", "")) for item in items or [])


def as_text(prop: dict[str, Any]) -> str | None:
    """Any readable property as display text (joined for lists); None when empty."""
    kind = prop.get("type")
    value = prop.get(kind) if isinstance(kind, str) else None
    if kind in ("title", "rich_text"):
        text = plain_text(value)
    elif kind in ("select", "status"):
        text = value.get("name", "") if isinstance(value, dict) else ""
    elif kind == "multi_select":
        text = ", ".join(o.get("name", "") for o in value or [])
    elif kind == "people":
        text = ", ".join(p.get("name") or p.get("id", "") for p in value or [])
    elif kind in ("url", "email", "phone_number", "created_time", "last_edited_time"):
        text = value or ""
    elif kind in ("number", "checkbox"):
        text = "" if value is None else str(value)
    elif kind == "date":
        text = value.get("start", "") if isinstance(value, dict) else ""
    elif kind == "unique_id":
        text = f"{value.get('prefix') or ''}-{value.get('number')}".lstrip("-") if value else ""
    elif kind == "formula":
        text = "" if not value else str(value.get(value.get("type", ""), "") or "")
    elif kind == "relation":
        text = ", ".join(r.get("id", "") for r in value or [])
    elif kind in ("created_by", "last_edited_by"):
        text = value.get("name") or value.get("id", "") if isinstance(value, dict) else ""
    else:
        raise UnsupportedProperty(f"property type {kind!r} is not supported")
    text = " ".join(str(text).split()) if kind not in ("title", "rich_text") else str(text).strip()
    return text or None


def as_number(prop: dict[str, Any]) -> Decimal | None:
    kind = prop.get("type")
    value: Any = prop.get(kind) if isinstance(kind, str) else None
    if (kind == "formula" and isinstance(value, dict)) or (kind == "rollup" and isinstance(value, dict)):
        value = value.get("number")
    elif kind in ("rich_text", "title", "select"):
        value = (as_text(prop) or "").replace(",", "") or None
    elif kind != "number":
        raise UnsupportedProperty(f"property type {kind!r} cannot hold a number")
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise UnsupportedProperty(f"{value!r} is not a number") from None


def as_date(prop: dict[str, Any]) -> date | None:
    text = as_text(prop)
    if not text:
        return None
    try:
        return (
            datetime.fromisoformat(text.replace("Z", "+00:00")).date() if "T" in text else date.fromisoformat(text[:10])
        )
    except ValueError:
        raise UnsupportedProperty(f"{text!r} is not a date") from None


def text_value(kind: str, text: str | None, url: str | None = None) -> dict[str, Any]:
    """A property value that writes `text` into a property of type `kind`."""
    if kind in ("rich_text", "title"):
        if not text:
            return {kind: []}
        chunk: dict[str, Any] = {"content": text[:RICH_TEXT_LIMIT]}
        if url:
            chunk["link"] = {"url": url}
        return {kind: [{"type": "text", "text": chunk}]}
    if kind == "url":
        return {"url": text or None}
    if kind in ("select", "status"):
        return {kind: {"name": text} if text else None}
    raise UnsupportedProperty(f"cxsync cannot write into a {kind!r} property")

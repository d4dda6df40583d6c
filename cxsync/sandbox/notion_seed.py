"""Seed-file helpers for the Notion sandbox: data-source schemas, ids and timestamps (docs/sandbox-seed.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cxsync.sandbox.notion_model import (
    Database,
    DataSource,
    PropertySchema,
    det_uuid,
    normalize_id,
    parse_iso,
    property_id_for,
)
from cxsync.sandbox.notion_values import new_option

PLAIN_SCHEMA_TYPES = frozenset(
    {"title", "rich_text", "url", "email", "phone_number", "date", "people", "checkbox", "created_time",
     "last_edited_time", "created_by", "last_edited_by"}
)
DEFAULT_STATUS_OPTIONS = ("Not started", "In progress", "Done")


def build_schema(ds: DataSource, specs: Mapping[str, Any], databases: Mapping[str, Database]) -> None:
    """Fill `ds.properties` from the seed's `properties`; a title property is added if missing."""
    if not any(spec.get("type") == "title" for spec in specs.values()):
        specs = {"Name": {"type": "title"}, **specs}
    taken: set[str] = set()
    for name, spec in specs.items():
        kind = str(spec.get("type"))
        pid = "title" if kind == "title" else str(spec.get("id") or property_id_for(ds.id, name, taken))
        taken.add(pid)
        prop = PropertySchema(pid, name, kind)
        prop.config = _schema_config(ds, prop, spec, databases)
        ds.properties[name] = prop


def _schema_config(
    ds: DataSource, prop: PropertySchema, spec: Mapping[str, Any], databases: Mapping[str, Database]
) -> dict[str, Any]:
    kind = prop.type
    if kind in PLAIN_SCHEMA_TYPES:
        return {}
    if kind in ("select", "multi_select", "status"):
        names = spec.get("options") or (DEFAULT_STATUS_OPTIONS if kind == "status" else [])
        for name in names:
            prop.options.append(new_option(prop, str(name)))
        return prop.config | ({"groups": status_groups(prop.options)} if kind == "status" else {})
    if kind == "number":
        return {"format": spec.get("format", "number")}
    if kind == "unique_id":
        return {"prefix": spec.get("prefix")}
    if kind == "formula":
        return {"expression": spec.get("expression", "")}
    if kind == "relation":
        return _relation_config(ds, spec, databases)
    raise ValueError(f"property {prop.name!r}: type {kind!r} is not supported by the sandbox")


def _relation_config(ds: DataSource, spec: Mapping[str, Any], databases: Mapping[str, Database]) -> dict[str, Any]:
    """A relation targets its own data source unless the seed names another database or data source."""
    target_db = normalize_id(str(spec.get("database_id") or ds.database_id)) or ds.database_id
    if spec.get("data_source_id"):
        target_ds = normalize_id(str(spec["data_source_id"]))
    elif target_db == ds.database_id:
        target_ds = ds.id
    elif target_db in databases:
        target_ds = databases[target_db].data_source_ids[0]
    else:
        target_ds = det_uuid(target_db, "data_source")
    return {"database_id": target_db, "data_source_id": target_ds, "type": "single_property", "single_property": {}}


def status_groups(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """First option is "To-do", last is "Complete", the rest are "In progress"."""
    buckets: dict[str, list[str]] = {"To-do": [], "In progress": [], "Complete": []}
    for i, option in enumerate(options):
        group = "To-do" if i == 0 else "Complete" if i == len(options) - 1 else "In progress"
        buckets[group].append(option["id"])
    colors = {"To-do": "gray", "In progress": "blue", "Complete": "green"}
    return [
        {"id": det_uuid("status-group", name, *ids), "name": name, "color": colors[name], "option_ids": ids}
        for name, ids in buckets.items()
    ]


def strict_option_properties(specs: Mapping[str, Any]) -> set[str]:
    """Properties whose seed lists options: their row values must be one of them."""
    return {name for name, spec in specs.items() if "options" in spec}


def required_id(raw: Mapping[str, Any], key: str, kind: str) -> str:
    value = normalize_id(str(raw.get(key, "")))
    if value is None:
        raise ValueError(f"{kind} needs a valid uuid {key!r}, got {raw.get(key)!r}")
    return value


def must_id(raw: str) -> str:
    value = normalize_id(raw)
    if value is None:
        raise ValueError(f"{raw!r} is not a Notion id")
    return value


def seed_time(raw: Any, default: datetime) -> datetime:
    if raw is None:
        return default
    parsed = parse_iso(str(raw))
    if parsed is None:
        raise ValueError(f"invalid timestamp {raw!r}")
    return parsed[0]

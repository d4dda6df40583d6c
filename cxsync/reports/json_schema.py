"""The JSON Schema of `--format json` (format 1.x); docs/plan-json.md carries the same schema."""

from __future__ import annotations

from typing import Any

from cxsync.reports.json_output import FORMAT_VERSION

_INT = {"type": "integer", "minimum": 0}
_STR_OR_NULL = {"type": ["string", "null"]}
_DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else sorted(properties),
        "additionalProperties": False,
    }


MEMBER = _object(
    {
        "page_id": {"type": "string"},
        "url": {"type": "string"},
        "customer": _STR_OR_NULL,
        "company": _STR_OR_NULL,
        "text": {"type": "string", "description": "the request, personal data redacted"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reason": {"type": "string", "description": "why the entry is in this group"},
    }
)

FIELD_CHANGE = _object({"field": {"type": "string"}, "before": {}, "after": {}})

GROUP = _object(
    {
        "rank": {"type": "integer", "minimum": 1, "description": "1 = most demand"},
        "group_id": {"type": "string", "pattern": "^g[0-9a-f]+$"},
        "action": {"enum": ["create", "update", "unchanged", "skip"]},
        "key": _STR_OR_NULL,
        "url": _STR_OR_NULL,
        "summary": {"type": "string"},
        "need_tag": _STR_OR_NULL,
        "requests": _INT,
        "customers": _INT,
        "companies": _INT,
        "recent": _INT,
        "revenue": {
            "type": "object",
            "description": "currency code → decimal string, counted once per company",
            "additionalProperties": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
        },
        "first_seen": _DATE_OR_NULL,
        "last_seen": _DATE_OR_NULL,
        "channels": {"type": "object", "additionalProperties": _INT},
        "changes": {"type": "array", "items": {"type": "string"}},
        "field_changes": {"type": "array", "items": FIELD_CHANGE},
        "add_labels": {"type": "array", "items": {"type": "string"}},
        "links_added": _INT,
        "links_removed": _INT,
        "writebacks": _INT,
        "notes": {"type": "array", "items": {"type": "string"}},
        "members": {"type": "array", "items": MEMBER},
    }
)

SKIPPED_ENTRY = _object(
    {
        "page_id": {"type": "string"},
        "url": {"type": "string"},
        "reason_en": {"type": "string"},
        "reason_ko": {"type": "string"},
    }
)
ORPHAN = _object({"key": {"type": "string"}, "group_id": {"type": "string"}, "reason": {"type": "string"}})
DRIFT_PART = _object(
    {
        "group_id": {"type": "string"},
        "key": _STR_OR_NULL,
        "page_ids": {"type": "array", "items": {"type": "string"}},
        "reason_en": {"type": "string"},
        "reason_ko": {"type": "string"},
    }
)
DRIFT = _object(
    {
        "kind": {"enum": ["merge", "split"]},
        "group_id": {
            "type": "string",
            "description": "merge: the group that now holds the parts' requests; split: the previous group",
        },
        "key": _STR_OR_NULL,
        "parts": {"type": "array", "items": DRIFT_PART, "minItems": 2},
    }
)
DEPARTED = _object(
    {
        "page_id": {"type": "string"},
        "url": {"type": "string"},
        "text": {"type": "string"},
        "jira_key": _STR_OR_NULL,
        "reason_en": {"type": "string"},
        "reason_ko": {"type": "string"},
    }
)
READS = _object(
    {
        "notion_mode": {"enum": ["full", "incremental"]},
        "jira_mode": {"enum": ["full", "incremental"]},
        "pages_read": _INT,
        "issues_read": _INT,
    }
)
FAILURE = _object({"target": {"type": "string"}, "message": {"type": "string"}, "message_ko": {"type": "string"}})
APPLIED = _object(
    {
        "created": {"type": "object", "additionalProperties": {"type": "string"}, "description": "group id → key"},
        "updated": {"type": "array", "items": {"type": "string"}},
        "adopted": {"type": "array", "items": {"type": "string"}},
        "written_back": _INT,
        "failures": {"type": "array", "items": FAILURE},
        "writes": _INT,
    }
)

_TOP = {
    "format_version": {"type": "string", "pattern": r"^1\.\d+$"},
    "kind": {"enum": ["plan", "apply", "report"]},
    "mapping": {"type": "string"},
    "jira_project": {"type": "string"},
    "has_changes": {"type": "boolean"},
    "created": _INT,
    "updated": _INT,
    "unchanged": _INT,
    "skipped_groups": _INT,
    "writebacks": _INT,
    "skipped": _INT,
    "writes": _INT,
    "revenue_currency": _STR_OR_NULL,
    "api_calls": _object({"notion": _INT, "jira": _INT, "by_kind": {"type": "object", "additionalProperties": _INT}}),
    "groups": {"type": "array", "items": GROUP},
    "skipped_entries": {"type": "array", "items": SKIPPED_ENTRY},
    "orphans": {"type": "array", "items": ORPHAN},
    "drift": {
        "type": "array",
        "items": DRIFT,
        "description": "groups merged or split since the last run (format 1.1; absent before)",
    },
    "departed": {
        "type": "array",
        "items": DEPARTED,
        "description": "entries read before that left Notion; their demand leaves their group (format 1.1)",
    },
    "reads": {**READS, "description": "how this run read its inputs: everything, or what changed (format 1.1)"},
    "applied": APPLIED,
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"cxsync:plan-json:{FORMAT_VERSION.split('.')[0]}",
    "title": "cxsync --format json",
    **_object(_TOP, sorted(set(_TOP) - {"applied", "drift", "departed", "reads"})),
}

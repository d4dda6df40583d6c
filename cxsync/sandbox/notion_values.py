"""Notion property values: seed conversion, request validation (with the real limits) and rendering.

Stored values are kept close to the wire form: rich text as full rich-text objects, select/status as
`{id, name, color}`, people and relation as lists of ids, dates as `{start, end, time_zone}`.
Computed values (created_time, unique_id, …) are derived from the page when rendered.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

from cxsync.sandbox.notion_model import (
    COLORS,
    UNDEFINED,
    Page,
    PropertySchema,
    User,
    body_error,
    det_uuid,
    iso_millis,
    iso_minute,
    normalize_id,
    parse_iso,
    validation_error,
)

MAX_TEXT = 2000
MAX_ARRAY = 100
MAX_URL = 2000
MAX_EMAIL_OR_PHONE = 200
MAX_EQUATION = 1000
PAGE_OBJECT_RELATION_LIMIT = 25
COMPUTED_TYPES = frozenset(
    {"formula", "rollup", "created_time", "last_edited_time", "created_by", "last_edited_by", "unique_id", "button"}
)
TEXT_TYPES = frozenset({"title", "rich_text"})
STRING_TYPES = frozenset({"url", "email", "phone_number"})
_STRING_LIMITS = {"url": MAX_URL, "email": MAX_EMAIL_OR_PHONE, "phone_number": MAX_EMAIL_OR_PHONE}
_ANNOTATION_FLAGS = ("bold", "italic", "strikethrough", "underline", "code")
_TEXT_COLORS = frozenset(COLORS) | {f"{c}_background" for c in COLORS if c != "default"}

PendingOptions = list[tuple[PropertySchema, dict[str, Any]]]


class Workspace(Protocol):
    """What value conversion needs to know about the rest of the sandbox."""

    users: dict[str, User]

    def page_data_source(self, page_id: str) -> str | None:
        """The data source a page belongs to, or None if there is no such page."""
        ...

    def page_title(self, page_id: str) -> str: ...


# -- rich text -----------------------------------------------------------------------------------
def default_annotations() -> dict[str, Any]:
    return {flag: False for flag in _ANNOTATION_FLAGS} | {"color": "default"}


def text_item(content: str, link: str | None = None, annotations: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": annotations or default_annotations(),
        "plain_text": content,
        "href": link,
    }


def split_text(text: str) -> list[dict[str, Any]]:
    return [text_item(text[i : i + MAX_TEXT]) for i in range(0, len(text), MAX_TEXT)]


def plain_text(items: list[dict[str, Any]]) -> str:
    return "".join(item.get("plain_text", "") for item in items)


# -- seed values ---------------------------------------------------------------------------------
def seed_value(prop: PropertySchema, raw: Any, ws: Workspace, *, strict_options: bool) -> Any:
    """Turn a plain seed value (see docs/sandbox-seed.md) into a stored value; ValueError if invalid."""
    kind = prop.type
    if kind in TEXT_TYPES:
        return split_text(str(raw)) if raw is not None else []
    if kind in ("select", "status"):
        return None if raw is None else _seed_option(prop, str(raw), strict_options or kind == "status")
    if kind == "multi_select":
        return [_seed_option(prop, str(name), strict_options) for name in raw or []]
    if kind == "date":
        return _seed_date(raw)
    if kind == "people":
        unknown = [u for u in raw or [] if normalize_id(str(u)) not in ws.users]
        if unknown:
            raise ValueError(f"property {prop.name!r}: unknown user ids {unknown} (list them in notion.users)")
        return [normalize_id(str(u)) for u in raw or []]
    if kind == "relation":
        return [_seed_id(str(p), prop) for p in raw or []]
    if kind == "checkbox":
        return bool(raw)
    if kind == "formula":
        return formula_result(raw)
    if kind == "number" and (raw is None or (isinstance(raw, int | float) and not isinstance(raw, bool))):
        return raw
    if kind in STRING_TYPES and (raw is None or isinstance(raw, str)):
        return raw or None
    if kind in ("number", *STRING_TYPES):
        raise ValueError(f"property {prop.name!r} ({kind}): {raw!r} is not a valid value")
    raise ValueError(f"property {prop.name!r} of type {kind} cannot be given a value in a seed")


def formula_result(raw: Any) -> dict[str, Any]:
    if isinstance(raw, bool):
        return {"type": "boolean", "boolean": raw}
    if isinstance(raw, int | float):
        return {"type": "number", "number": raw}
    return {"type": "string", "string": None if raw is None else str(raw)}


def _seed_id(raw: str, prop: PropertySchema) -> str:
    page_id = normalize_id(raw)
    if page_id is None:
        raise ValueError(f"property {prop.name!r}: {raw!r} is not a page id")
    return page_id


def _seed_option(prop: PropertySchema, name: str, strict: bool) -> dict[str, Any]:
    option = prop.option_named(name)
    if option is None:
        if strict:
            names = [o["name"] for o in prop.options]
            raise ValueError(f"property {prop.name!r}: {name!r} is not one of the options {names}")
        option = new_option(prop, name)
        prop.options.append(option)
    return option_value(option)


def _seed_date(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    start, end = (raw.get("start"), raw.get("end")) if isinstance(raw, dict) else (raw, None)
    parsed = [normalize_date_text(v) for v in (start, end) if v is not None]
    if None in parsed or not parsed:
        raise ValueError(f"invalid date value {raw!r}")
    return {"start": parsed[0], "end": parsed[1] if end is not None else None, "time_zone": None}


def normalize_date_text(text: Any) -> str | None:
    parsed = parse_iso(text)
    if parsed is None:
        return None
    moment, date_only = parsed
    return moment.date().isoformat() if date_only else iso_millis(moment)


def new_option(prop: PropertySchema, name: str, color: str | None = None) -> dict[str, Any]:
    chosen = color or COLORS[len(prop.options) % len(COLORS)]
    return {"id": det_uuid("option", prop.id, name), "name": name, "color": chosen, "description": None}


def option_value(option: dict[str, Any]) -> dict[str, Any]:
    return {"id": option["id"], "name": option["name"], "color": option["color"]}


# -- request values (PATCH / POST) ---------------------------------------------------------------
def parse_value(prop: PropertySchema, raw: Any, path: str, ws: Workspace, pending: PendingOptions) -> Any:
    """Validate one property value of a page create/update request and return the stored value."""
    if not isinstance(raw, dict):
        raise body_error(path, "an object", raw)
    if prop.type in COMPUTED_TYPES:
        raise validation_error(f"{prop.name} is a {prop.type} property and cannot be updated.")
    declared = raw.get("type")
    if declared is not None and declared != prop.type:
        raise body_error(f"{path}.type", f"`{prop.type}`", declared)
    if prop.type not in raw:
        raise body_error(f"{path}.{prop.type}", "defined", UNDEFINED)
    extra = sorted(set(raw) - {"type", "id", prop.type})
    if extra:
        raise body_error(f"{path}.{extra[0]}", "not present", raw[extra[0]])
    value = raw[prop.type]
    return _PARSERS[prop.type](prop, value, f"{path}.{prop.type}", ws, pending)


def _parse_rich_text(prop: PropertySchema, value: Any, path: str, ws: Workspace, _: PendingOptions) -> Any:
    items = _array(value, path)
    return [_parse_rich_text_item(item, f"{path}[{i}]", ws) for i, item in enumerate(items)]


def _parse_rich_text_item(item: Any, path: str, ws: Workspace) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise body_error(path, "an object", item)
    kind = item.get("type") or next((k for k in ("text", "mention", "equation") if k in item), None)
    annotations = _parse_annotations(item.get("annotations"), f"{path}.annotations")
    if kind == "text":
        return _parse_text(item.get("text", UNDEFINED), f"{path}.text", annotations)
    if kind == "equation":
        expression = item.get("equation", {}).get("expression") if isinstance(item.get("equation"), dict) else None
        _string(expression, f"{path}.equation.expression", MAX_EQUATION)
        return {"type": "equation", "equation": {"expression": expression}, "annotations": annotations,
                "plain_text": expression, "href": None}
    if kind == "mention":
        return _parse_mention(item.get("mention", UNDEFINED), f"{path}.mention", annotations, ws)
    raise body_error(f"{path}.text", "defined", UNDEFINED)


def _parse_text(text: Any, path: str, annotations: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(text, dict):
        raise body_error(path, "an object", text)
    content = text.get("content", UNDEFINED)
    _string(content, f"{path}.content", MAX_TEXT)
    link = text.get("link")
    if link is not None:
        if not isinstance(link, dict):
            raise body_error(f"{path}.link", "an object or `null`", link)
        _string(link.get("url", UNDEFINED), f"{path}.link.url", MAX_URL)
    return text_item(content, link["url"] if link else None, annotations)


def _parse_mention(mention: Any, path: str, annotations: dict[str, Any], ws: Workspace) -> dict[str, Any]:
    if not isinstance(mention, dict):
        raise body_error(path, "an object", mention)
    kind = mention.get("type") or next(iter(mention), None)
    target = mention.get(kind) if kind else None
    if kind == "user" and isinstance(target, dict):
        user = ws.users.get(normalize_id(str(target.get("id", ""))) or "")
        if user is None:
            raise body_error(f"{path}.user.id", "the id of a user in the workspace", target.get("id"))
        rendered, text = {"type": "user", "user": user.full()}, f"@{user.name}"
    elif kind == "page" and isinstance(target, dict):
        page_id = normalize_id(str(target.get("id", "")))
        if page_id is None or ws.page_data_source(page_id) is None:
            raise body_error(f"{path}.page.id", "the id of a page shared with the integration", target.get("id"))
        rendered, text = {"type": "page", "page": {"id": page_id}}, ws.page_title(page_id)
    elif kind == "date" and isinstance(target, dict):
        date_value = _parse_date(None, target, f"{path}.date", ws, [])
        rendered, text = {"type": "date", "date": date_value}, date_value["start"]
    else:
        raise body_error(path, "a user, page or date mention", mention)
    return {"type": "mention", "mention": rendered, "annotations": annotations, "plain_text": text, "href": None}


def _parse_annotations(raw: Any, path: str) -> dict[str, Any]:
    result = default_annotations()
    if raw is None:
        return result
    if not isinstance(raw, dict):
        raise body_error(path, "an object", raw)
    for key, value in raw.items():
        valid = isinstance(value, bool) if key in _ANNOTATION_FLAGS else key == "color" and value in _TEXT_COLORS
        if valid:
            result[key] = value
        else:
            raise body_error(f"{path}.{key}", "a boolean" if key != "color" else "a valid color", value)
    return result


def _parse_number(prop: PropertySchema, value: Any, path: str, ws: Workspace, _: PendingOptions) -> Any:
    valid = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if value is not None and not valid:
        raise body_error(path, "a number or `null`", value)
    return value


def _parse_checkbox(prop: PropertySchema, value: Any, path: str, ws: Workspace, _: PendingOptions) -> Any:
    if not isinstance(value, bool):
        raise body_error(path, "a boolean", value)
    return value


def _parse_string(prop: PropertySchema, value: Any, path: str, ws: Workspace, _: PendingOptions) -> Any:
    if value is None:
        return None
    if value == "":  # Notion does not accept empty strings; null unsets
        raise body_error(path, "a non-empty string or `null`", value)
    _string(value, path, _STRING_LIMITS[prop.type])
    return value


def _parse_date(prop: PropertySchema | None, value: Any, path: str, ws: Workspace, _: PendingOptions) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise body_error(path, "an object or `null`", value)
    start = normalize_date_text(value.get("start"))
    if start is None:
        raise body_error(f"{path}.start", "a valid ISO 8601 date string", value.get("start", UNDEFINED))
    end = value.get("end")
    if end is not None and normalize_date_text(end) is None:
        raise body_error(f"{path}.end", "a valid ISO 8601 date string or `null`", end)
    time_zone = value.get("time_zone")
    if time_zone is not None and not isinstance(time_zone, str):
        raise body_error(f"{path}.time_zone", "a string or `null`", time_zone)
    return {"start": start, "end": normalize_date_text(end) if end else None, "time_zone": time_zone}


def _parse_people(prop: PropertySchema, value: Any, path: str, ws: Workspace, _: PendingOptions) -> Any:
    ids = [_ref_id(item, f"{path}[{i}]") for i, item in enumerate(_array(value, path))]
    for i, user_id in enumerate(ids):
        if user_id not in ws.users:
            raise body_error(f"{path}[{i}].id", "the id of a user in the workspace", user_id)
    return list(dict.fromkeys(ids))


def _parse_relation(prop: PropertySchema, value: Any, path: str, ws: Workspace, _: PendingOptions) -> Any:
    ids = [_ref_id(item, f"{path}[{i}]") for i, item in enumerate(_array(value, path))]
    target = prop.config.get("data_source_id")
    for i, page_id in enumerate(ids):
        source = ws.page_data_source(page_id)
        if source is None:
            raise body_error(f"{path}[{i}].id", "the id of a page shared with the integration", page_id)
        if target and source != target:
            raise validation_error(f"Relation {prop.name} only accepts pages of data source {target}; {page_id} is not.")
    return list(dict.fromkeys(ids))


def _parse_select(prop: PropertySchema, value: Any, path: str, ws: Workspace, pending: PendingOptions) -> Any:
    return None if value is None else _option_ref(prop, value, path, pending)


def _parse_multi_select(
    prop: PropertySchema, value: Any, path: str, ws: Workspace, pending: PendingOptions
) -> Any:
    options = [_option_ref(prop, item, f"{path}[{i}]", pending) for i, item in enumerate(_array(value, path))]
    return list({o["id"]: o for o in options}.values())


def _option_ref(prop: PropertySchema, ref: Any, path: str, pending: PendingOptions) -> dict[str, Any]:
    if not isinstance(ref, dict) or not ({"id", "name"} & set(ref)):
        raise body_error(path, "an object with an `id` or a `name`", ref)
    if "id" in ref:
        option = prop.option_with_id(str(ref["id"]))
        if option is None:
            raise validation_error(f"Invalid {prop.type} option id: {ref['id']} for property {prop.name}.")
        return option_value(option)
    name = ref["name"]
    _string(name, f"{path}.name", 100)
    option = prop.option_named(name) or next((o for p, o in pending if p is prop and o["name"] == name), None)
    if option is not None:
        return option_value(option)
    if prop.type == "status":  # status options cannot be created through the API
        raise validation_error(f'Invalid status option. Status option "{name}" does not exist.')
    if "," in name:
        raise body_error(f"{path}.name", "a string without commas", name)
    color = ref.get("color")
    if color is not None and color not in COLORS:
        raise body_error(f"{path}.color", "a valid select color", color)
    option = new_option(prop, name, color)
    pending.append((prop, option))
    return option_value(option)


def _array(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise body_error(path, "an array", value)
    if len(value) > MAX_ARRAY:
        raise validation_error(
            f"body failed validation: {path}.length should be ≤ `{MAX_ARRAY}`, instead was `{len(value)}`."
        )
    return value


def _string(value: Any, path: str, limit: int) -> None:
    if not isinstance(value, str):
        raise body_error(path, "a string", value)
    if len(value) > limit:
        raise validation_error(f"body failed validation: {path}.length should be ≤ `{limit}`, instead was `{len(value)}`.")


def _ref_id(item: Any, path: str) -> str:
    raw = item.get("id") if isinstance(item, dict) else None
    normalized = normalize_id(raw) if isinstance(raw, str) else None
    if normalized is None:
        raise body_error(f"{path}.id", "a valid uuid", raw if isinstance(item, dict) else item)
    return normalized


Parser = Callable[[PropertySchema, Any, str, Workspace, PendingOptions], Any]
_PARSERS: dict[str, Parser] = {
    "title": _parse_rich_text,
    "rich_text": _parse_rich_text,
    "number": _parse_number,
    "checkbox": _parse_checkbox,
    "url": _parse_string,
    "email": _parse_string,
    "phone_number": _parse_string,
    "date": _parse_date,
    "people": _parse_people,
    "relation": _parse_relation,
    "select": _parse_select,
    "status": _parse_select,
    "multi_select": _parse_multi_select,
}


# -- rendering -----------------------------------------------------------------------------------
def empty_value(prop: PropertySchema) -> Any:
    if prop.type in ("title", "rich_text", "multi_select", "people", "relation"):
        return []
    if prop.type == "checkbox":
        return False
    if prop.type == "formula":
        return formula_result(None)
    return None


def stored_value(prop: PropertySchema, page: Page) -> Any:
    """The stored or computed value of a property, before rendering."""
    computed: dict[str, Any] = {
        "created_time": page.created_time,
        "last_edited_time": page.last_edited_time,
        "created_by": [page.created_by],
        "last_edited_by": [page.last_edited_by],
        "unique_id": page.unique_number,
    }
    if prop.type in computed:
        return computed[prop.type]
    return page.values.get(prop.id, empty_value(prop))


def render_value(prop: PropertySchema, page: Page, ws: Workspace) -> dict[str, Any]:
    value = stored_value(prop, page)
    rendered: dict[str, Any] = {"id": prop.id, "type": prop.type}
    if prop.type in ("created_time", "last_edited_time"):
        rendered[prop.type] = iso_minute(value)
    elif prop.type in ("created_by", "last_edited_by"):
        rendered[prop.type] = render_user(value[0], ws)
    elif prop.type == "unique_id":
        rendered[prop.type] = {"prefix": prop.config.get("prefix"), "number": value}
    elif prop.type == "people":
        rendered[prop.type] = [render_user(user_id, ws) for user_id in value]
    elif prop.type == "relation":
        rendered[prop.type] = [{"id": page_id} for page_id in value[:PAGE_OBJECT_RELATION_LIMIT]]
        rendered["has_more"] = len(value) > PAGE_OBJECT_RELATION_LIMIT
    else:
        rendered[prop.type] = _copy(value)
    return rendered


def render_user(user_id: str, ws: Workspace) -> dict[str, Any]:
    user = ws.users.get(user_id)
    return user.full() if user else {"object": "user", "id": user_id}


def list_items(prop: PropertySchema, page: Page, ws: Workspace) -> list[dict[str, Any]] | None:
    """Items of the paginated property-item endpoint, or None for single-value properties."""
    value = stored_value(prop, page)
    if prop.type in TEXT_TYPES:
        return [{"object": "property_item", "type": prop.type, "id": prop.id, prop.type: _copy(v)} for v in value]
    if prop.type == "people":
        return [
            {"object": "property_item", "type": "people", "id": prop.id, "people": render_user(u, ws)} for u in value
        ]
    if prop.type == "relation":
        return [{"object": "property_item", "type": "relation", "id": prop.id, "relation": {"id": p}} for p in value]
    return None


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


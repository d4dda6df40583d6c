"""Request parsing for the Notion sandbox: JSON bodies, query parameters, path ids and cursors."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from cxsync.sandbox.base import Request, Response
from cxsync.sandbox.notion_model import UNDEFINED, Page, body_error, normalize_id, notion_error, shown, validation_error

MAX_BODY_BYTES = 500 * 1024
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
QUERY_KEYS = frozenset({"filter", "sorts", "start_cursor", "page_size", "in_trash", "archived", "result_type"})
UPDATE_KEYS = frozenset({"properties", "icon", "cover", "is_locked", "template", "erase_content", "archived", "in_trash"})
CREATE_KEYS = frozenset(
    {"parent", "properties", "icon", "cover", "content", "children", "markdown", "template", "position"}
)


@dataclass
class QueryParams:
    filter: Any
    sorts: Any
    start_cursor: str | None
    page_size: int
    in_trash: bool
    result_type: str


def ok(body: dict[str, Any]) -> Response:
    request_id = str(uuid.uuid4())
    return Response(200, {**body, "request_id": request_id}, {"x-notion-request-id": request_id})


def json_body(request: Request) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise validation_error(f"Request body too large: {len(request.body)} bytes exceeds the 500KB limit.")
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise notion_error(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(data, dict):
        raise body_error("body", "an object", data)
    return data


def reject_unknown_keys(body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for key in body:
        if key not in allowed:
            raise body_error(f"body.{key}", "not present", body[key])


def query_params(body: dict[str, Any]) -> QueryParams:
    reject_unknown_keys(body, QUERY_KEYS)
    if "filter" in body and not isinstance(body["filter"], dict):
        raise body_error("body.filter", "an object or undefined", body["filter"])
    page_size = body.get("page_size", DEFAULT_PAGE_SIZE)
    check_page_size(page_size, "body.page_size")
    cursor = body.get("start_cursor")
    if "start_cursor" in body and not isinstance(cursor, str):
        raise body_error("body.start_cursor", "a string or undefined", cursor)
    for key in ("in_trash", "archived"):
        if key in body and not isinstance(body[key], bool):
            raise body_error(f"body.{key}", "a boolean or undefined", body[key])
    result_type = body.get("result_type", "page")
    if result_type not in ("page", "data_source"):
        raise body_error("body.result_type", '`"page"` or `"data_source"`', result_type)
    in_trash = bool(body.get("in_trash", body.get("archived", False)))
    return QueryParams(body.get("filter", UNDEFINED), body.get("sorts", []), cursor, page_size, in_trash, result_type)


def check_page_size(value: Any, path: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise body_error(path, "a number or undefined", value)
    if value > MAX_PAGE_SIZE:
        raise validation_error(f"body failed validation: {path} should be ≤ `{MAX_PAGE_SIZE}`, instead was `{value}`.")
    if value < 1:
        raise validation_error(f"body failed validation: {path} should be ≥ `1`, instead was `{value}`.")


def query_page_size(request: Request) -> int:
    raw = request.arg("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        value = int(raw)
    except ValueError:
        raise body_error("query.page_size", "a number or undefined", raw) from None
    check_page_size(value, "query.page_size")
    return value


def trash_flag(body: Mapping[str, Any]) -> bool | None:
    flags = [body[key] for key in ("in_trash", "archived") if key in body]
    for flag in flags:
        if not isinstance(flag, bool):
            raise body_error("body.in_trash", "a boolean", flag)
    return flags[0] if flags else None


def parse_icon(body: Mapping[str, Any], key: str, current: dict[str, Any] | None) -> dict[str, Any] | None:
    """Accept `null`, an emoji (icon only) or an external file; normalise to the typed form."""
    if key not in body:
        return current
    value = body[key]
    if value is None:
        return None
    if isinstance(value, dict) and key == "icon" and isinstance(value.get("emoji"), str):
        return {"type": "emoji", "emoji": value["emoji"]}
    external = value.get("external") if isinstance(value, dict) else None
    if isinstance(external, dict) and isinstance(external.get("url"), str):
        return {"type": "external", "external": {"url": external["url"]}}
    raise body_error(f"body.{key}", "an emoji or external file object, or `null`", value)


def path_id(request: Request, key: str) -> str:
    raw = unquote(request.params[key])
    normalized = normalize_id(raw)
    if normalized is None:
        raise validation_error(f"path failed validation: path.{key} should be a valid uuid, instead was `{shown(raw)}`.")
    return normalized


# Cursors are opaque to clients; inside they name the next page, like Notion's own cursors do.
def encode_cursor(kind: str, scope: str, index: int, anchor: str | None = None) -> str:
    payload = json.dumps({"k": kind, "s": scope, "i": index, "a": anchor}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: str, scope: str, where: str) -> tuple[int, str | None]:
    """Return the offset and the anchor page id a cursor carries; validation_error if it is not ours."""
    if cursor is None:
        return 0, None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = data["k"] == kind and data["s"] == scope and isinstance(data["i"], int) and data["i"] >= 0
    except (ValueError, TypeError, KeyError, binascii.Error):
        valid = False
    if not valid:
        raise validation_error(
            f"{where} failed validation: {where}.start_cursor should be a valid cursor, instead was `{shown(cursor)}`."
        )
    return int(data["i"]), data.get("a")


def cursor_position(
    cursor: str | None, scope: str, ordered: list[Page], positions: Mapping[str, int] | None = None
) -> int:
    """Where a query cursor resumes in `ordered` (`positions`, if given, maps page ids to their index)."""
    index, anchor = decode_cursor(cursor, "query", scope, "body")
    # Resume at the page the cursor names; fall back to its offset if that page left the result.
    if positions is not None:
        position = positions.get(anchor) if anchor is not None else None
    else:
        position = next((i for i, page in enumerate(ordered) if page.id == anchor), None)
    return min(index, len(ordered)) if position is None else position

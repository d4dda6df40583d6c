"""The data-source query filter and sort engine (Notion-Version 2025-09-03 grammar).

A filter is validated completely when it is compiled, so a bad filter fails the request even when the
data source is empty, like the real API.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cxsync.sandbox.notion_model import (
    UNDEFINED,
    DataSource,
    Page,
    PropertySchema,
    body_error,
    normalize_id,
    parse_iso,
    validation_error,
)
from cxsync.sandbox.notion_values import TEXT_TYPES, Workspace, plain_text, stored_value

Predicate = Callable[[Page], bool]
Matcher = Callable[[Any], bool]
MAX_COMPOUND_DEPTH = 2
TIMESTAMPS = ("created_time", "last_edited_time")

_FAMILY = {
    "title": "text", "rich_text": "text", "url": "text", "email": "text", "phone_number": "text",
    "number": "number", "unique_id": "number", "checkbox": "checkbox",
    "select": "select", "status": "select",
    "multi_select": "contains", "people": "contains", "relation": "contains",
    "created_by": "contains", "last_edited_by": "contains",
    "date": "date", "created_time": "date", "last_edited_time": "date",
}
_RELATIVE_DAYS = {"past_week": -7, "past_month": -30, "past_year": -365, "next_week": 7, "next_month": 30,
                  "next_year": 365}


@dataclass(frozen=True)
class FilterContext:
    data_source: DataSource
    me: str
    now: datetime


def compile_filter(raw: Any, ctx: FilterContext) -> Predicate:
    if not isinstance(raw, dict):
        raise body_error("body.filter", "an object or undefined", raw)
    return _compile(raw, "body.filter", 0, ctx)


def _compile(node: Any, path: str, depth: int, ctx: FilterContext) -> Predicate:
    if not isinstance(node, dict):
        raise body_error(path, "an object", node)
    group = [key for key in ("and", "or") if key in node]
    if group:
        return _compile_group(node, group[0], path, depth, ctx)
    if "timestamp" in node:
        return _compile_timestamp(node, path, ctx)
    if "property" in node:
        return _compile_property(node, path, ctx)
    raise body_error(f"{path}.property", "defined", UNDEFINED)


def _compile_group(node: dict[str, Any], key: str, path: str, depth: int, ctx: FilterContext) -> Predicate:
    if depth >= MAX_COMPOUND_DEPTH:
        raise validation_error(
            f"body failed validation: {path}.{key} is nested too deeply; compound filters can be nested "
            f"at most {MAX_COMPOUND_DEPTH} levels."
        )
    if len(node) != 1:
        raise body_error(path, f"an object with only `{key}`", node)
    children = node[key]
    if not isinstance(children, list):
        raise body_error(f"{path}.{key}", "an array", children)
    compiled = [_compile(child, f"{path}.{key}[{i}]", depth + 1, ctx) for i, child in enumerate(children)]
    if key == "and":
        return lambda page: all(p(page) for p in compiled)
    return lambda page: any(p(page) for p in compiled)


def _compile_timestamp(node: dict[str, Any], path: str, ctx: FilterContext) -> Predicate:
    stamp = node["timestamp"]
    if stamp not in TIMESTAMPS:
        raise body_error(f"{path}.timestamp", '`"created_time"` or `"last_edited_time"`', stamp)
    extra = set(node) - {"timestamp", "type", stamp}
    if extra or stamp not in node:
        raise body_error(f"{path}.{stamp}", "defined", UNDEFINED)
    matcher = _condition("date", node[stamp], f"{path}.{stamp}", ctx)
    return lambda page: matcher(getattr(page, stamp))


def _compile_property(node: dict[str, Any], path: str, ctx: FilterContext) -> Predicate:
    name = node["property"]
    prop = ctx.data_source.find_property(name) if isinstance(name, str) else None
    if prop is None:
        raise validation_error(f"Could not find property with name or id: {name}")
    keys = sorted(set(node) - {"property", "type"})
    if len(keys) != 1:
        raise body_error(f"{path}.{prop.type}", "defined", UNDEFINED)
    key = keys[0]
    if key != prop.type and not (key in TEXT_TYPES and prop.type in TEXT_TYPES):
        raise validation_error(f"database property {prop.type} does not match filter {key}")
    if prop.type == "formula":
        return _compile_formula(prop, node[key], f"{path}.formula", ctx)
    family = _FAMILY.get(prop.type)
    if family is None:
        raise validation_error(f"Filtering on {prop.type} properties is not supported by the sandbox.")
    matcher = _condition(family, node[key], f"{path}.{key}", ctx, prop)
    return lambda page: matcher(filter_value(prop, page))


def _compile_formula(prop: PropertySchema, cond: Any, path: str, ctx: FilterContext) -> Predicate:
    kinds = {"string": "text", "number": "number", "checkbox": "checkbox", "date": "date"}
    if not isinstance(cond, dict) or len(cond) != 1 or next(iter(cond)) not in kinds:
        raise body_error(path, "an object with one of `string`, `number`, `checkbox`, `date`", cond)
    kind = next(iter(cond))
    matcher = _condition(kinds[kind], cond[kind], f"{path}.{kind}", ctx)

    def predicate(page: Page) -> bool:
        result = stored_value(prop, page)
        value = result.get(result["type"])
        if kind == "checkbox":
            value = bool(value)
        return matcher(value)

    return predicate


def filter_value(prop: PropertySchema, page: Page) -> Any:
    """The value a filter condition looks at: plain text, option name(s), ids, dates…"""
    value = stored_value(prop, page)
    if prop.type in TEXT_TYPES:
        return plain_text(value)
    if prop.type in ("select", "status"):
        return value["name"] if value else None
    if prop.type == "multi_select":
        return [option["name"] for option in value]
    return value


# -- conditions ----------------------------------------------------------------------------------
def _condition(
    family: str, cond: Any, path: str, ctx: FilterContext, prop: PropertySchema | None = None
) -> Matcher:
    if not isinstance(cond, dict) or len(cond) != 1:
        raise body_error(path, "an object with exactly one filter condition", cond)
    op, arg = next(iter(cond.items()))
    if op in ("is_empty", "is_not_empty"):
        if arg is not True:
            raise body_error(f"{path}.{op}", "`true`", arg)
        return _is_empty if op == "is_empty" else (lambda v: not _is_empty(v))
    builder = _BUILDERS[family]
    return builder(op, arg, f"{path}.{op}", ctx, prop)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _text(op: str, arg: Any, path: str, ctx: FilterContext, prop: PropertySchema | None) -> Matcher:
    tests: dict[str, Callable[[str, str], bool]] = {
        "equals": lambda v, a: v == a,
        "does_not_equal": lambda v, a: v != a,
        "contains": lambda v, a: a.casefold() in v.casefold(),
        "does_not_contain": lambda v, a: a.casefold() not in v.casefold(),
        "starts_with": lambda v, a: v.casefold().startswith(a.casefold()),
        "ends_with": lambda v, a: v.casefold().endswith(a.casefold()),
    }
    test = _operator(tests, op, path)
    if not isinstance(arg, str):
        raise body_error(path, "a string", arg)
    return lambda value: test(value or "", arg)


def _number(op: str, arg: Any, path: str, ctx: FilterContext, prop: PropertySchema | None) -> Matcher:
    tests: dict[str, Callable[[float, float], bool]] = {
        "equals": lambda v, a: v == a,
        "does_not_equal": lambda v, a: v != a,
        "greater_than": lambda v, a: v > a,
        "less_than": lambda v, a: v < a,
        "greater_than_or_equal_to": lambda v, a: v >= a,
        "less_than_or_equal_to": lambda v, a: v <= a,
    }
    test = _operator(tests, op, path)
    if not isinstance(arg, int | float) or isinstance(arg, bool):
        raise body_error(path, "a number", arg)
    return lambda value: op == "does_not_equal" if value is None else test(value, arg)


def _checkbox(op: str, arg: Any, path: str, ctx: FilterContext, prop: PropertySchema | None) -> Matcher:
    _operator({"equals": None, "does_not_equal": None}, op, path)
    if not isinstance(arg, bool):
        raise body_error(path, "a boolean", arg)
    return lambda value: (bool(value) == arg) == (op == "equals")


def _select(op: str, arg: Any, path: str, ctx: FilterContext, prop: PropertySchema | None) -> Matcher:
    _operator({"equals": None, "does_not_equal": None}, op, path)
    names = arg if isinstance(arg, list) else [arg]
    if not names or not all(isinstance(n, str) for n in names):
        raise body_error(path, "a string", arg)
    return lambda value: (value in names) == (op == "equals")


def _contains(op: str, arg: Any, path: str, ctx: FilterContext, prop: PropertySchema | None) -> Matcher:
    _operator({"contains": None, "does_not_contain": None}, op, path)
    if not isinstance(arg, str):
        raise body_error(path, "a string", arg)
    wanted: str | None = arg
    if prop is not None and prop.type != "multi_select":
        wanted = ctx.me if arg == "me" and prop.type != "relation" else normalize_id(arg)
        if wanted is None:
            raise body_error(path, "a valid uuid", arg)
    return lambda value: (wanted in value) == (op == "contains")


def _date(op: str, arg: Any, path: str, ctx: FilterContext, prop: PropertySchema | None) -> Matcher:
    if op in _RELATIVE_DAYS:
        if arg != {}:
            raise body_error(path, "an empty object", arg)
        edge = ctx.now + timedelta(days=_RELATIVE_DAYS[op])
        low, high = sorted((ctx.now, edge))
        return lambda value: (moment := _moment(value)) is not None and low <= moment[0] <= high
    tests: dict[str, Callable[[int], bool]] = {
        "equals": lambda c: c == 0,
        "before": lambda c: c < 0,
        "after": lambda c: c > 0,
        "on_or_before": lambda c: c <= 0,
        "on_or_after": lambda c: c >= 0,
    }
    test = _operator(tests, op, path)
    bound = parse_iso(arg) if isinstance(arg, str) else None
    if bound is None:
        raise body_error(path, "a valid ISO 8601 date string", arg)
    return lambda value: (moment := _moment(value)) is not None and test(_compare_moments(moment, bound))


def _moment(value: Any) -> tuple[datetime, bool] | None:
    if isinstance(value, datetime):
        return value, False
    if isinstance(value, dict) and value.get("start"):
        return parse_iso(value["start"])
    return None


def _compare_moments(value: tuple[datetime, bool], bound: tuple[datetime, bool]) -> int:
    """A date-only bound compares calendar days (UTC); a date-time bound compares instants."""
    if bound[1]:
        left, right = value[0].date(), bound[0].date()
        return (left > right) - (left < right)
    return (value[0] > bound[0]) - (value[0] < bound[0])


def _operator(tests: dict[str, Any], op: str, path: str) -> Any:
    if op not in tests:
        allowed = ", ".join(f"`{name}`" for name in [*tests, "is_empty", "is_not_empty"])
        raise validation_error(f"body failed validation: {path} is not a valid filter condition; use one of {allowed}.")
    return tests[op]


Builder = Callable[[str, Any, str, FilterContext, PropertySchema | None], Matcher]
_BUILDERS: dict[str, Builder] = {
    "text": _text,
    "number": _number,
    "checkbox": _checkbox,
    "select": _select,
    "contains": _contains,
    "date": _date,
}


# -- sorts ---------------------------------------------------------------------------------------
SortKey = Callable[[Page], Any]


def sort_pages(pages: list[Page], sorts: Any, ds: DataSource, ws: Workspace) -> list[Page]:
    """Order pages by the requested sorts, then Notion's default (created_time descending, then id)."""
    if sorts is None or not isinstance(sorts, list):
        raise body_error("body.sorts", "an array or undefined", sorts)
    specs = [_sort_spec(s, f"body.sorts[{i}]", ds, ws) for i, s in enumerate(sorts)]
    # One stable sort per key, the last key first: Notion's default order, then the sorts from the last.
    ordered = sorted(pages, key=lambda page: page.id)
    ordered.sort(key=lambda page: page.created_time, reverse=True)
    for key, descending in reversed(specs):
        keyed = [(key(page), page) for page in ordered]
        filled = [item for item in keyed if item[0] not in (None, "", ())]
        try:
            filled.sort(key=lambda item: item[0], reverse=descending)
        except TypeError:  # values that do not compare (a formula of mixed types): pairwise, as below
            return _sort_pairwise(pages, specs)
        ordered = [page for _, page in filled] + [page for value, page in keyed if value in (None, "", ())]
    return ordered


def _sort_pairwise(pages: list[Page], specs: list[tuple[SortKey, bool]]) -> list[Page]:
    def compare(a: Page, b: Page) -> int:
        for key, descending in specs:
            result = _compare_values(key(a), key(b), descending)
            if result:
                return result
        if a.created_time != b.created_time:
            return -1 if a.created_time > b.created_time else 1
        return (a.id > b.id) - (a.id < b.id)

    return sorted(pages, key=functools.cmp_to_key(compare))


def _sort_spec(raw: Any, path: str, ds: DataSource, ws: Workspace) -> tuple[SortKey, bool]:
    if not isinstance(raw, dict):
        raise body_error(path, "an object", raw)
    direction = raw.get("direction", UNDEFINED)
    if direction not in ("ascending", "descending"):
        raise body_error(f"{path}.direction", '`"ascending"` or `"descending"`', direction)
    if "timestamp" in raw:
        stamp = raw["timestamp"]
        if stamp not in TIMESTAMPS or "property" in raw:
            raise body_error(f"{path}.timestamp", '`"created_time"` or `"last_edited_time"`', stamp)
        return (lambda page: getattr(page, stamp)), direction == "descending"
    name = raw.get("property", UNDEFINED)
    prop = ds.find_property(name) if isinstance(name, str) else None
    if prop is None:
        if name is UNDEFINED:
            raise body_error(f"{path}.property", "defined", UNDEFINED)
        raise validation_error(f"Could not find sort property with name or id: {name}")
    return (lambda page: _sort_value(prop, page, ws)), direction == "descending"


def _sort_value(prop: PropertySchema, page: Page, ws: Workspace) -> Any:
    value = filter_value(prop, page)
    if prop.type in ("select", "status", "multi_select"):
        order = {option["name"]: i for i, option in enumerate(prop.options)}
        names = value if isinstance(value, list) else ([value] if value else [])
        return tuple(order.get(name, len(order)) for name in names)
    if prop.type in ("people", "created_by", "last_edited_by"):
        return tuple(ws.users[u].name.casefold() if u in ws.users else u for u in value)
    if prop.type == "relation":
        return tuple(value)
    if prop.type == "date":
        moment = _moment(value)
        return moment[0] if moment else None
    if prop.type == "formula":
        return value.get(value["type"])
    return value.casefold() if isinstance(value, str) else value


def _compare_values(left: Any, right: Any, descending: bool) -> int:
    """Empty values sort last in both directions, like Notion."""
    left_empty, right_empty = left in (None, "", ()), right in (None, "", ())
    if left_empty or right_empty:
        return int(left_empty) - int(right_empty)
    try:
        result = int(left > right) - int(left < right)
    except TypeError:  # e.g. a formula that yields numbers on some rows and text on others
        result = int(str(left) > str(right)) - int(str(left) < str(right))
    return -result if descending else result

"""Issue search for the Jira sandbox: Cloud's token-paged `/search/jql` (ids only by default,
bounded JQL, `reconcileIssues`) and Data Center's `startAt`-paged `/search`, both served from a
search index that may lag behind the issues by `lag` seconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from cxsync.sandbox.base import Request
from cxsync.sandbox.jira_fields import jql_lookup, search_values
from cxsync.sandbox.jira_model import CHANGES, Flavor, IssueRecord, JiraState, StoredIssue, Version
from cxsync.sandbox.jira_render import ID_ONLY_FIELDS, View, parse_selection, split_tokens
from cxsync.sandbox.jira_rules import fail, json_body
from cxsync.sandbox.jql import (
    CompiledQuery,
    JqlError,
    compile_query,
    first_after,
    named_ids,
    parse,
    sort_by_keys,
    sort_key,
)

LEGACY_SEARCH_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED_JQL = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
MAX_SEARCH_PROPERTIES = 5
MAX_RECONCILE = 50
MAX_PAGE = 100
MAX_PAGE_IDS_ONLY = 5000
DEFAULT_ORDER = (("id", True),)  # without ORDER BY, newest issues first
SEARCH_JQL_KEYS = frozenset(
    {
        "jql",
        "nextPageToken",
        "maxResults",
        "fields",
        "expand",
        "properties",
        "fieldsByKeys",
        "reconcileIssues",
        "failFast",
    }
)
LEGACY_SEARCH_KEYS = frozenset(
    {"jql", "startAt", "maxResults", "fields", "expand", "properties", "fieldsByKeys", "validateQuery"}
)
Hit = tuple[list[Any], StoredIssue, IssueRecord]  # (sort key, issue, the record the search index serves)
CACHED_ORDERS = 4  # ordered views of the board kept per board (one per ORDER BY and reconcile set)


@dataclass
class Visible:
    """Every issue a search can see, in one ORDER BY, with what JQL matches against (`values[i]` for
    `hits[i]`); `keys` are the hits' sort keys, for finding where a page token resumes."""

    hits: list[Hit]
    values: list[dict[str, list[Any]]]
    keys: list[list[Any]]
    changes: int  # `jira_model.CHANGES` when it was built
    since: float  # it holds from this time…
    until: float  # …until a lagging version comes into view


def derive(state: JiraState, version: Version) -> tuple[Any, ...]:
    """A version's JQL and sort values, derived once (Jira indexes an issue when it is written)."""
    schema = (id(state.projects), len(state.projects), id(state.custom_fields), len(state.custom_fields))
    derived = version.derived
    if derived is None or derived[0] != schema:
        derived = version.derived = (schema, *search_values(state, version.record))
    return derived


@dataclass
class SearchIndex:
    """The board as a search sees it: each issue as it was `lag` seconds ago, unless reconciled.

    What a search needs of an issue version (its JQL and sort values) is derived once per version; all
    visible issues, ordered, are kept until an issue changes (or a lagging version comes into view), so
    each page of a search only evaluates its query on the issues from where the page token points.
    """

    state: JiraState
    flavor: Flavor
    now: float
    lag: float

    def compile(self, jql: str, *, bounded: bool) -> CompiledQuery:
        try:
            query = compile_query(parse(jql), jql_lookup(self.state, self.flavor), self.now)
        except JqlError as problem:
            raise fail(400, str(problem)) from None
        if bounded and not query.bounded:
            raise fail(400, UNBOUNDED_JQL)
        return query

    def run(self, query: CompiledQuery, reconcile: Collection[int] = ()) -> list[Hit]:
        """Matching issues in query order."""
        visible = self.scope(query, reconcile)
        matches = query.matches
        return [hit for hit, values in zip(visible.hits, visible.values, strict=True) if matches(values)]

    def page(
        self, query: CompiledQuery, reconcile: Collection[int], cursor: list[Any] | None, size: int
    ) -> tuple[list[Hit], bool]:
        """Up to `size` matching issues after the `cursor` sort key, and whether more follow."""
        order = query.order or DEFAULT_ORDER
        visible = self.scope(query, reconcile)
        start = 0 if cursor is None else first_after(visible.keys, cursor, order)
        matches, values = query.matches, visible.values
        found: list[Hit] = []
        for index in range(start, len(visible.hits)):
            if matches(values[index]):
                if len(found) == size:
                    return found, True
                found.append(visible.hits[index])
        return found, False

    def count(self, query: CompiledQuery) -> int:
        matches = query.matches
        return sum(1 for values in self.scope(query, ()).values if matches(values))

    def scope(self, query: CompiledQuery, reconcile: Collection[int]) -> Visible:
        """What `query` has to look at: the issues it names by id, else every issue the index serves."""
        order = query.order or DEFAULT_ORDER
        named = named_ids(query.where)
        if named is None:
            return self.visible(order, reconcile)
        return self._build(order, reconcile, [issue for i in sorted(named) if (issue := self.state.issues.get(i))])

    def visible(self, order: tuple[tuple[str, bool], ...], reconcile: Collection[int]) -> Visible:
        """All issues the search index serves now (reconciled ones as they are), in `order`."""
        cache: dict[Any, Visible] = self.state.search_cache
        key = (order, tuple(sorted(reconcile)), self.lag)
        cached = cache.get(key)
        if cached is not None and cached.changes == CHANGES[0] and cached.since <= self.now < cached.until:
            return cached
        visible = self._build(order, reconcile, self.state.issues.values())
        cache.pop(key, None)
        while len(cache) >= CACHED_ORDERS:
            cache.pop(next(iter(cache)))
        cache[key] = visible
        return visible

    def _build(
        self, order: tuple[tuple[str, bool], ...], reconcile: Collection[int], issues: Iterable[StoredIssue]
    ) -> Visible:
        state, now, lag = self.state, self.now, self.lag
        changes = CHANGES[0]
        until = math.inf
        entries: list[tuple[list[Any], StoredIssue, IssueRecord, dict[str, list[Any]]]] = []
        for issue in issues:
            if issue.id in reconcile:
                version: Version | None = issue.versions[-1] if issue.versions else None
            else:
                version, pending = issue.visible(now, lag)
                if pending is not None and pending < until:
                    until = pending
            if version is None:
                continue
            derived = derive(state, version)
            entries.append((sort_key(derived[2], order, issue.id), issue, version.record, derived[1]))
        entries = sort_by_keys(entries, lambda entry: entry[0], order)
        return Visible(
            hits=[(entry[0], entry[1], entry[2]) for entry in entries],
            values=[entry[3] for entry in entries],
            keys=[entry[0] for entry in entries],
            changes=changes,
            since=now,
            until=until,
        )

    # -- Cloud -------------------------------------------------------------------------------------
    def search_jql(self, request: Request, view: View) -> dict[str, Any]:
        """`GET|POST /search/jql`: `{"issues", "nextPageToken" (absent on the last page), "isLast"}`."""
        params = search_params(request, SEARCH_JQL_KEYS)
        jql = str(params.get("jql") or "")
        fields = split_tokens(as_list(params.get("fields")))
        properties = split_tokens(as_list(params.get("properties")))
        if len(properties) > MAX_SEARCH_PROPERTIES:
            raise fail(400, f"The number of properties requested must not exceed {MAX_SEARCH_PROPERTIES}.")
        size = int_param(params.get("maxResults"), default=50, high=MAX_PAGE_IDS_ONLY)
        size = min(size, MAX_PAGE_IDS_ONLY if set(fields) <= ID_ONLY_FIELDS else MAX_PAGE)
        query = self.compile(jql, bounded=True)
        reconcile = reconcile_ids(params.get("reconcileIssues"))
        cursor = decode_token(str(params["nextPageToken"]), jql) if params.get("nextPageToken") else None
        page, more = self.page(query, reconcile, cursor, size)
        selected = parse_selection(fields, self.state, "id")
        id_only = not selected and set(fields) <= {"id"}
        result: dict[str, Any] = {
            "issues": [
                {"id": str(issue.id)} if id_only else view.issue_bean(issue, record, selected, properties=properties)
                for _, issue, record in page
            ]
        }
        if more:
            result["nextPageToken"] = encode_token(page[-1][0], jql)
        result["isLast"] = not more
        expand = split_tokens(as_list(params.get("expand")))
        if "names" in expand:
            result["names"] = view.field_names(sorted(selected))
        if "schema" in expand:
            result["schema"] = view.field_schemas(sorted(selected))
        return result

    def approximate_count(self, request: Request) -> dict[str, Any]:
        body = json_body(request)
        jql = body.get("jql") if isinstance(body, dict) else None
        if not isinstance(jql, str):
            raise fail(400, "The 'jql' field is required.")
        return {"count": self.count(self.compile(jql, bounded=True))}

    # -- Data Center -------------------------------------------------------------------------------
    def legacy_search(self, request: Request, view: View) -> dict[str, Any]:
        """`GET|POST /rest/api/2/search` on Data Center: `{startAt, maxResults, total, issues}`."""
        params = search_params(request, LEGACY_SEARCH_KEYS)
        start = int_param(params.get("startAt"), default=0, low=0, high=10**9, name="startAt")
        size = min(int_param(params.get("maxResults"), default=50, low=0, high=10**9), MAX_PAGE)
        hits = self.run(self.compile(str(params.get("jql") or ""), bounded=False))
        selected = parse_selection(split_tokens(as_list(params.get("fields"))), self.state, "*navigable")
        expand = split_tokens(as_list(params.get("expand")))
        properties = split_tokens(as_list(params.get("properties")))
        issues = [
            view.issue_bean(issue, record, selected, expand=expand, properties=properties)
            for _, issue, record in hits[start : start + size]
        ]
        return {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(hits), "issues": issues}


def search_params(request: Request, allowed: frozenset[str]) -> dict[str, Any]:
    """Search parameters from the query string (GET) or the JSON body (POST); nulls mean 'not given'."""
    if request.method == "GET":
        params: dict[str, Any] = {name: request.arg(name) for name in allowed if name in request.query}
        for name in ("fields", "expand", "properties", "reconcileIssues"):  # repeatable parameters
            if name in request.query:
                params[name] = request.query[name]
        return params
    body = json_body(request)
    if not isinstance(body, dict):
        raise fail(400, "Can not deserialize the search request from a non-object value.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise fail(400, f'Unrecognized field "{unknown[0]}" in the search request, not marked as ignorable.')
    return {name: value for name, value in body.items() if value is not None}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def int_param(raw: Any, *, default: int, high: int, low: int = 1, name: str = "maxResults") -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise fail(400, f"The value '{raw}' is not valid for the parameter '{name}'.") from None
    if isinstance(raw, bool) or not low <= value <= high:
        raise fail(400, f"The '{name}' parameter must be between {low} and {high}.")
    return value


def reconcile_ids(raw: Any) -> set[int]:
    tokens = split_tokens(as_list(raw))
    if len(tokens) > MAX_RECONCILE:
        raise fail(400, f"The number of issues to reconcile must not exceed {MAX_RECONCILE}.")
    try:
        return {int(token) for token in tokens}
    except ValueError:
        raise fail(400, "reconcileIssues must be a list of issue ids.") from None


def _query_hash(jql: str) -> str:
    return hashlib.sha256(jql.encode("utf-8")).hexdigest()[:16]


def encode_token(cursor: list[Any], jql: str) -> str:
    """An opaque page token: the sort key of the page's last issue, tied to its query.

    Paging by position in the order (not by offset) keeps each issue on exactly one page even when
    issues are created or deleted between page requests.
    """
    raw = json.dumps({"q": _query_hash(jql), "after": cursor}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_token(token: str, jql: str) -> list[Any]:
    try:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["q"] == _query_hash(jql) and isinstance(data["after"], list):
            cursor: list[Any] = data["after"]
            return cursor
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise fail(400, "The provided next page token is invalid or expired.")

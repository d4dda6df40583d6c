"""A stateful loopback emulator of the Notion API (Notion-Version 2025-09-03), for tests and the demo.

It speaks the wire format the real `notion-client` expects and enforces the real limits, so client bugs
show up here rather than in a customer's workspace. Property values live in `notion_values`, the
filter/sort engine in `notion_filters`, request parsing in `notion_requests`. Usage::

    sandbox = NotionSandbox()
    sandbox.seed(json.loads(Path("examples/sandbox-seed.json").read_text()))
    sandbox.start()
    client = notion_client.Client(auth=sandbox.token, base_url=sandbox.base_url)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from cxsync.sandbox import notion_requests as req
from cxsync.sandbox.base import Fault, Handler, HttpError, Request, Response, SandboxServer
from cxsync.sandbox.notion_filters import FilterContext, compile_filter, sort_pages
from cxsync.sandbox.notion_model import (
    SEED_EPOCH,
    UNDEFINED,
    Database,
    DataSource,
    Page,
    User,
    body_error,
    det_uuid,
    error_body,
    floor_minute,
    iso_millis,
    iso_minute,
    normalize_id,
    notion_error,
    object_url,
    title_text,
    validation_error,
)
from cxsync.sandbox.notion_seed import build_schema, must_id, required_id, seed_time, strict_option_properties
from cxsync.sandbox.notion_values import PendingOptions, list_items, parse_value, plain_text, render_value, seed_value

_ID = r"(?P<{}>[^/]+)"
# Bodies for injected faults that do not bring their own (status -> code, message).
_FAULT_ERRORS = {
    400: ("validation_error", "Injected validation error."),
    401: ("unauthorized", "API token is invalid."),
    403: ("restricted_resource", "API token does not have access to this resource."),
    404: ("object_not_found", "Could not find object."),
    409: ("conflict_error", "Conflict occurred while saving. Please try again."),
    429: ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
    500: ("internal_server_error", "Unexpected error occurred."),
    503: ("service_unavailable", "Notion is unavailable, please try again later."),
    504: ("gateway_timeout", "Notion timed out while processing the request."),
    529: ("service_overload", "Notion is overloaded, please try again later."),
}
_BAD_GATEWAY_HTML = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"


class NotionSandbox(SandboxServer):
    """The Notion sandbox server. All state is guarded by `self.lock`."""

    name = "notion-sandbox"

    def __init__(
        self,
        token: str = "sandbox-notion-token",
        *,
        clock: Callable[[], datetime] | None = None,
        query_result_cap: int = 10_000,
    ) -> None:
        super().__init__()
        self.token = token
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.query_result_cap = query_result_cap
        self._generation = 0  # bumped by every change; query orderings are reused until it moves
        self._orderings: dict[tuple[Any, ...], tuple[list[Page], dict[str, int]]] = {}
        self.bot = User(id=det_uuid("bot", "cxsync-sandbox"), name="cxsync sandbox", type="bot")
        self.users: dict[str, User] = {}
        self.databases: dict[str, Database] = {}
        self.data_sources: dict[str, DataSource] = {}
        self.pages: dict[str, Page] = {}
        self.reset()
        self._register_routes()

    # -- public helpers: seeding and acting as "a human in Notion" ---------------------------------
    def reset(self) -> None:
        with self.lock:
            self.users = {self.bot.id: self.bot}
            self.databases, self.data_sources, self.pages = {}, {}, {}

    def seed(self, seed: Mapping[str, Any]) -> None:
        """Load the `"notion"` part of a seed (docs/sandbox-seed.md); other keys are ignored.

        Seeding again replaces databases (and their rows) with the same id; ids are deterministic.
        """
        notion = seed.get("notion") or {}
        with self.lock:
            for raw in notion.get("users", []):
                user_id = required_id(raw, "id", "user")
                self.users[user_id] = User(
                    user_id, str(raw.get("name", "")), "person", raw.get("avatar_url"), raw.get("email")
                )
            for raw in notion.get("databases", []):
                self._seed_database(raw)
            self._check_relations()

    def data_source_id(self, database_id: str) -> str:
        """The (only) data source of a seeded database."""
        with self.lock:
            return self._database(must_id(database_id)).data_source_ids[0]

    def trash_page(self, page_id: str, *, by: str | None = None) -> None:
        self._human_edit(page_id, by, lambda page: setattr(page, "in_trash", True))

    def restore_page(self, page_id: str, *, by: str | None = None) -> None:
        self._human_edit(page_id, by, lambda page: setattr(page, "in_trash", False))

    def edit_page(self, page_id: str, values: Mapping[str, Any], *, by: str | None = None) -> None:
        """Change properties as a person in the Notion app would: seed-style plain values, no API limits.

        `last_edited_by` becomes `by` (default: the first seeded user), not the integration's bot.
        """

        def apply(page: Page) -> None:
            page.values.update(self._seed_values(self.data_sources[page.data_source_id], values, set()))

        self._human_edit(page_id, by, apply)

    def add_row(self, data_source_id: str, values: Mapping[str, Any], *, by: str | None = None) -> str:
        """Create a row as a person in the Notion app would; returns the new page id."""
        with self.lock:
            ds = self._data_source(must_id(data_source_id))
            author = must_id(by) if by else self._default_person()
            page = self._new_page(ds, author, floor_minute(self.clock()))
            page.values.update(self._seed_values(ds, values, set()))
            return page.id

    def page_json(self, page_id: str) -> dict[str, Any]:
        """The page object the API would return, without going over HTTP."""
        with self.lock:
            return self.render_page(self._page(must_id(page_id)))

    # -- Workspace protocol (used by notion_values) -----------------------------------------------
    def page_data_source(self, page_id: str) -> str | None:
        page = self.pages.get(page_id)
        return page.data_source_id if page else None

    def page_title(self, page_id: str) -> str:
        page = self.pages.get(page_id)
        return (plain_text(page.values.get("title", [])) if page else "") or "Untitled"

    # -- base hooks: every error is Notion-shaped ------------------------------------------------
    def epoch_now(self) -> float:
        return self.clock().timestamp()

    def authenticate(self, request: Request) -> Response | None:
        if request.header("authorization") != f"Bearer {self.token}":
            return Response(401, error_body(401, "unauthorized", "API token is invalid."))
        if not request.header("notion-version"):
            message = (
                "Notion-Version header failed validation: Notion-Version header should be defined, "
                "instead was `undefined`."
            )
            return Response(400, error_body(400, "missing_version", message))
        return None

    def not_found(self, request: Request, *, method_mismatch: bool) -> Response:
        return Response(400, error_body(400, "invalid_request_url", "Invalid request URL."))

    def rate_limited(self, retry_after: float) -> Response:
        headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}
        return Response(429, error_body(429, *_FAULT_ERRORS[429]), headers)

    def internal_error(self) -> Response:
        return Response(500, error_body(500, *_FAULT_ERRORS[500]))

    def fault_response(self, fault: Fault) -> Response:
        """A fault without a body answers with the Notion error for its status (502: the edge's HTML)."""
        status, headers = fault.status or 500, dict(fault.headers)
        if fault.body is None and status == 502:
            return Response(status, _BAD_GATEWAY_HTML, headers, content_type="text/html; charset=utf-8")
        if fault.body is None and status in _FAULT_ERRORS:
            if status == 429:
                headers.setdefault("Retry-After", "1")
            return Response(status, error_body(status, *_FAULT_ERRORS[status]), headers)
        return Response(status, fault.body, headers)

    # -- routes ----------------------------------------------------------------------------------
    def _register_routes(self) -> None:
        page = "/v1/pages/" + _ID.format("page_id")
        data_source = "/v1/data_sources/" + _ID.format("data_source_id")
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/v1/users/me", self._get_me),
            ("GET", "/v1/users", self._list_users),
            ("GET", "/v1/users/" + _ID.format("user_id"), self._get_user),
            ("GET", "/v1/databases/" + _ID.format("database_id"), self._get_database),
            ("GET", data_source, self._get_data_source),
            ("POST", data_source + "/query", self._query),
            ("POST", "/v1/pages", self._create_page),
            ("POST", "/v1/search", self._search),
            ("GET", page, self._get_page),
            ("PATCH", page, self._update_page),
            ("GET", page + "/properties/" + _ID.format("property_id"), self._get_property),
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, self._locked(handler))

    def _locked(self, handler: Handler) -> Handler:
        def run(request: Request) -> Response:
            with self.lock:
                return handler(request)

        return run

    def _get_me(self, request: Request) -> Response:
        me = self.bot.full()
        me["bot"] = {
            "owner": {"type": "workspace", "workspace": True},
            "workspace_name": "cxsync sandbox",
            "workspace_id": det_uuid("workspace"),
            "workspace_limits": {"max_file_upload_size_in_bytes": 5_242_880},
        }
        return req.ok(me)

    def _list_users(self, request: Request) -> Response:
        people = [u for u in self.users.values() if u.type == "person"] + [self.bot]
        page_size = req.query_page_size(request)
        start, _ = req.decode_cursor(request.arg("start_cursor"), "users", "", "query")
        more = start + page_size < len(people)
        return req.ok({
            "object": "list",
            "results": [u.full() for u in people[start : start + page_size]],
            "next_cursor": req.encode_cursor("users", "", start + page_size) if more else None,
            "has_more": more,
            "type": "user",
            "user": {},
        })

    def _get_user(self, request: Request) -> Response:
        user_id = req.path_id(request, "user_id")
        if user_id not in self.users:
            raise self._not_found_error("user", user_id)
        return req.ok(self.users[user_id].full())

    def _get_database(self, request: Request) -> Response:
        db = self._database(req.path_id(request, "database_id"))
        sources = [{"id": ds_id, "name": self.data_sources[ds_id].title} for ds_id in db.data_source_ids]
        return req.ok({
            "object": "database", "id": db.id, "title": title_text(db.title), "description": [],
            "parent": {"type": "workspace", "workspace": True}, "is_inline": False, "in_trash": False,
            "is_locked": False, "created_time": iso_millis(db.created_time),
            "last_edited_time": iso_millis(db.last_edited_time), "data_sources": sources,
            "icon": None, "cover": None, "url": object_url("", db.id), "public_url": None, "archived": False,
        })

    def _get_data_source(self, request: Request) -> Response:
        return req.ok(self._data_source_object(self._data_source(req.path_id(request, "data_source_id"))))

    def _search(self, request: Request) -> Response:
        """POST /v1/search: data sources and pages shared with the integration whose title contains `query`.

        Every seeded object counts as shared. `filter` is `{"property": "object", "value": "page" | "data_source"}`;
        results are ordered by last edit, newest first (Notion ranks by relevance), with cursor pagination.
        """
        body = req.json_body(request)
        req.reject_unknown_keys(body, frozenset({"query", "sort", "filter", "start_cursor", "page_size"}))
        query = body.get("query", "")
        if not isinstance(query, str):
            raise body_error("body.query", "a string or undefined", query)
        page_size = body.get("page_size", req.DEFAULT_PAGE_SIZE)
        req.check_page_size(page_size, "body.page_size")
        wanted = {"page", "data_source"}
        raw_filter = body.get("filter")
        if raw_filter is not None:
            value = raw_filter.get("value") if isinstance(raw_filter, dict) else None
            if not isinstance(raw_filter, dict) or raw_filter.get("property") != "object" or value not in wanted:
                raise validation_error(
                    'body failed validation: body.filter.value should be `"page"` or `"data_source"`, '
                    f"instead was `{value if isinstance(raw_filter, dict) else raw_filter}`."
                )
            wanted = {str(value)}
        needle = query.casefold()
        found: list[tuple[datetime, str, dict[str, Any]]] = []
        if "data_source" in wanted:
            for ds in self.data_sources.values():
                if needle in ds.title.casefold():
                    found.append((ds.last_edited_time, ds.id, self._data_source_object(ds)))
        if "page" in wanted:
            for page in self.pages.values():
                if not page.in_trash and needle in self.page_title(page.id).casefold():
                    found.append((page.last_edited_time, page.id, self.render_page(page)))
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        start, _ = req.decode_cursor(body.get("start_cursor"), "search", "search", "body")
        end = min(start + int(page_size), len(found))
        more = end < len(found)
        return req.ok({
            "object": "list",
            "results": [item[2] for item in found[start:end]],
            "next_cursor": req.encode_cursor("search", "search", end) if more else None,
            "has_more": more,
            "type": "page_or_data_source",
            "page_or_data_source": {},
        })

    def _data_source_object(self, ds: DataSource) -> dict[str, Any]:
        owner = {"object": "user", "id": self._default_person()}
        return {
            "object": "data_source", "id": ds.id, "cover": None, "icon": None,
            "created_time": iso_minute(ds.created_time), "created_by": owner, "last_edited_by": owner,
            "last_edited_time": iso_minute(ds.last_edited_time), "title": title_text(ds.title),
            "description": [], "is_inline": False,
            "properties": {p.name: p.render() for p in ds.properties.values()},
            "parent": {"type": "database_id", "database_id": ds.database_id},
            "database_parent": {"type": "workspace", "workspace": True},
            "url": object_url("", ds.database_id), "public_url": None, "in_trash": False, "archived": False,
        }

    def _query(self, request: Request) -> Response:
        ds = self._data_source(req.path_id(request, "data_source_id"))
        params = req.query_params(req.json_body(request))
        only = self._filter_property_ids(request, ds)
        ordered, positions = self._ordering(ds, params)
        start = req.cursor_position(params.start_cursor, ds.id, ordered, positions)
        visible = min(len(ordered), self.query_result_cap)
        end = min(start + params.page_size, visible)
        more = end < visible
        body: dict[str, Any] = {
            "object": "list",
            "results": [self.render_page(p, only) for p in ordered[start:end]],
            "next_cursor": req.encode_cursor("query", ds.id, end, ordered[end].id) if more else None,
            "has_more": more,
            "type": "page_or_data_source",
            "page_or_data_source": {},
        }
        if len(ordered) > self.query_result_cap:
            body["request_status"] = {"type": "incomplete", "incomplete_reason": "query_result_limit_reached"}
        return req.ok(body)

    def _ordering(self, ds: DataSource, params: req.QueryParams) -> tuple[list[Page], dict[str, int]]:
        """The filtered, sorted pages of a query and each page's position, reused across its cursor pages
        while nothing changes (a 100,000-row data source would otherwise be filtered and sorted again for
        every page)."""
        now = self.clock()
        key = (ds.id, self._generation, floor_minute(now), params.in_trash, params.result_type,
               json.dumps(params.filter, sort_keys=True, default=str), json.dumps(params.sorts, sort_keys=True))
        cached = self._orderings.get(key)
        if cached is not None:
            return cached
        pages = [p for p in (self.pages[i] for i in ds.page_ids) if p.in_trash == params.in_trash]
        if params.filter is not UNDEFINED:
            predicate = compile_filter(params.filter, FilterContext(ds, self.bot.id, now))
            pages = [p for p in pages if predicate(p)]
        ordered = sort_pages(pages if params.result_type == "page" else [], params.sorts, ds, self)
        positions = {page.id: index for index, page in enumerate(ordered)}
        self._orderings = {key: (ordered, positions)}  # only the latest query is kept
        return ordered, positions

    def _get_page(self, request: Request) -> Response:
        page = self._page(req.path_id(request, "page_id"))
        only = self._filter_property_ids(request, self.data_sources[page.data_source_id])
        return req.ok(self.render_page(page, only))

    def _update_page(self, request: Request) -> Response:
        page = self._page(req.path_id(request, "page_id"))
        body = req.json_body(request)
        req.reject_unknown_keys(body, req.UPDATE_KEYS)
        trash = req.trash_flag(body)
        if page.in_trash and trash is not False:
            raise validation_error("Can't edit block that is archived. You must unarchive the block before editing.")
        ds = self.data_sources[page.data_source_id]
        values, pending = self._parse_properties(ds, body.get("properties", {}))
        if not isinstance(body.get("is_locked", False), bool):
            raise body_error("body.is_locked", "a boolean", body["is_locked"])
        icon, cover = req.parse_icon(body, "icon", page.icon), req.parse_icon(body, "cover", page.cover)
        self._commit_options(ds, pending)
        page.values.update(values)
        page.icon, page.cover = icon, cover
        page.is_locked = body.get("is_locked", page.is_locked)
        page.in_trash = page.in_trash if trash is None else trash
        self._touch(page, self.bot.id)
        return req.ok(self.render_page(page))

    def _create_page(self, request: Request) -> Response:
        body = req.json_body(request)
        req.reject_unknown_keys(body, req.CREATE_KEYS)
        ds = self._parent_data_source(body.get("parent", UNDEFINED))
        values, pending = self._parse_properties(ds, body.get("properties", {}))
        icon, cover = req.parse_icon(body, "icon", None), req.parse_icon(body, "cover", None)
        self._commit_options(ds, pending)
        page = self._new_page(ds, self.bot.id, floor_minute(self.clock()))
        page.values.update(values)
        page.icon, page.cover = icon, cover
        return req.ok(self.render_page(page))

    def _get_property(self, request: Request) -> Response:
        page = self._page(req.path_id(request, "page_id"))
        wanted = unquote(request.params["property_id"])
        prop = self.data_sources[page.data_source_id].find_property(wanted)
        if prop is None:
            raise notion_error(404, "object_not_found", f"Could not find property with ID: {wanted}.")
        items = list_items(prop, page, self)
        if items is None:
            return req.ok({"object": "property_item", **render_value(prop, page, self)})
        page_size = req.query_page_size(request)
        start, _ = req.decode_cursor(request.arg("start_cursor"), "property", page.id + prop.id, "query")
        more = start + page_size < len(items)
        cursor = req.encode_cursor("property", page.id + prop.id, start + page_size) if more else None
        base = f"https://api.notion.com/v1/pages/{page.id}/properties/{quote(prop.id, safe='%')}"
        return req.ok({
            "object": "list",
            "results": items[start : start + page_size],
            "next_cursor": cursor,
            "has_more": more,
            "type": "property_item",
            "property_item": {"id": prop.id, "next_url": f"{base}?start_cursor={cursor}" if cursor else None,
                              "type": prop.type, prop.type: {}},
        })

    # -- rendering and state helpers -------------------------------------------------------------
    def render_page(self, page: Page, only: set[str] | None = None) -> dict[str, Any]:
        ds = self.data_sources[page.data_source_id]
        properties = {p.name: render_value(p, page, self) for p in ds.properties.values() if not only or p.id in only}
        return {
            "object": "page", "id": page.id,
            "created_time": iso_minute(page.created_time), "last_edited_time": iso_minute(page.last_edited_time),
            "created_by": {"object": "user", "id": page.created_by},
            "last_edited_by": {"object": "user", "id": page.last_edited_by},
            "cover": page.cover, "icon": page.icon,
            "parent": {"type": "data_source_id", "data_source_id": ds.id, "database_id": ds.database_id},
            "in_trash": page.in_trash, "is_archived": False, "is_locked": page.is_locked,
            "properties": properties, "url": object_url(self.page_title(page.id), page.id), "public_url": None,
            "archived": page.in_trash,
        }

    def _page(self, page_id: str) -> Page:
        if page_id not in self.pages:
            raise self._not_found_error("page", page_id)
        return self.pages[page_id]

    def _database(self, database_id: str) -> Database:
        if database_id not in self.databases:
            raise self._not_found_error("database", database_id)
        return self.databases[database_id]

    def _data_source(self, data_source_id: str) -> DataSource:
        if data_source_id not in self.data_sources:
            raise self._not_found_error("data source", data_source_id)
        return self.data_sources[data_source_id]

    def _not_found_error(self, kind: str, object_id: str) -> HttpError:
        message = (
            f"Could not find {kind} with ID: {object_id}. "
            "Make sure the relevant pages and databases are shared with your integration."
        )
        return notion_error(404, "object_not_found", message, additional_data={"integration_id": self.bot.id})

    def _default_person(self) -> str:
        return next((u.id for u in self.users.values() if u.type == "person"), self.bot.id)

    def _touch(self, page: Page, by: str) -> None:
        self._generation += 1
        page.last_edited_time = floor_minute(self.clock())
        page.last_edited_by = by

    def _human_edit(self, page_id: str, by: str | None, change: Callable[[Page], None]) -> None:
        with self.lock:
            page = self._page(must_id(page_id))
            change(page)
            self._touch(page, must_id(by) if by else self._default_person())

    def _new_page(self, ds: DataSource, author: str, created: datetime, page_id: str | None = None) -> Page:
        self._generation += 1
        page_id = page_id or self._fresh_page_id(ds)
        page = Page(page_id, ds.id, created, created, author, author, unique_number=ds.next_unique_number)
        ds.next_unique_number += 1
        if page_id not in self.pages:
            ds.page_ids.append(page_id)
        self.pages[page_id] = page
        return page

    def _fresh_page_id(self, ds: DataSource) -> str:
        counter = len(ds.page_ids)
        while det_uuid(ds.id, "created", str(counter)) in self.pages:
            counter += 1
        return det_uuid(ds.id, "created", str(counter))

    def _parse_properties(self, ds: DataSource, raw: Any) -> tuple[dict[str, Any], PendingOptions]:
        if not isinstance(raw, dict):
            raise body_error("body.properties", "an object", raw)
        values: dict[str, Any] = {}
        pending: PendingOptions = []
        for key, value in raw.items():
            prop = ds.find_property(key)
            if prop is None:
                raise validation_error(f"{key} is not a property that exists.")
            values[prop.id] = parse_value(prop, value, f"body.properties.{key}", self, pending)
        return values, pending

    def _commit_options(self, ds: DataSource, pending: PendingOptions) -> None:
        """New select options are only added once the whole request has validated."""
        self._generation += 1
        for prop, option in pending:
            prop.options.append(option)
        if pending:
            ds.last_edited_time = floor_minute(self.clock())

    def _parent_data_source(self, parent: Any) -> DataSource:
        if not isinstance(parent, dict):
            raise body_error("body.parent", "an object", parent)
        for key in ("data_source_id", "database_id"):
            if key not in parent:
                continue
            target = normalize_id(str(parent[key]))
            if target is None:
                raise body_error(f"body.parent.{key}", "a valid uuid", parent[key])
            if key == "data_source_id":
                return self._data_source(target)
            db = self._database(target)
            if len(db.data_source_ids) != 1:
                raise validation_error("Database has multiple data sources; use parent.data_source_id.")
            return self.data_sources[db.data_source_ids[0]]
        raise validation_error("The sandbox only creates pages in a data source: use parent.data_source_id.")

    def _filter_property_ids(self, request: Request, ds: DataSource) -> set[str] | None:
        wanted = request.query.get("filter_properties", []) + request.query.get("filter_properties[]", [])
        if not wanted:
            return None
        found = {key: ds.find_property(key) for key in wanted}
        missing = [key for key, prop in found.items() if prop is None]
        if missing:
            raise validation_error(f"Could not find property with name or id: {missing[0]}")
        return {prop.id for prop in found.values() if prop is not None}

    # -- seeding ---------------------------------------------------------------------------------
    def _seed_database(self, raw: Mapping[str, Any]) -> None:
        self._generation += 1
        db_id = required_id(raw, "id", "database")
        ds_id = must_id(str(raw.get("data_source_id") or det_uuid(db_id, "data_source")))
        created = seed_time(raw.get("created_time"), SEED_EPOCH)
        title = str(raw.get("title", "Untitled"))
        for page_id in self.data_sources[ds_id].page_ids if ds_id in self.data_sources else []:
            self.pages.pop(page_id, None)
        specs = raw.get("properties") or {}
        ds = DataSource(ds_id, db_id, title, {}, floor_minute(created), floor_minute(created))
        build_schema(ds, specs, self.databases)
        self.databases[db_id] = Database(db_id, title, [ds_id], created, created)
        self.data_sources[ds_id] = ds
        for index, row in enumerate(raw.get("rows") or []):
            try:
                self._seed_row(ds, index, row, strict_option_properties(specs))
            except ValueError as error:
                raise ValueError(f"database {title!r} row {index}: {error}") from None

    def _seed_row(self, ds: DataSource, index: int, row: Mapping[str, Any], strict: set[str]) -> None:
        page_id = must_id(str(row["id"])) if row.get("id") else det_uuid(ds.database_id, "row", str(index))
        created = floor_minute(seed_time(row.get("created_time"), SEED_EPOCH))
        author = must_id(str(row["created_by"])) if row.get("created_by") else self._default_person()
        page = self._new_page(ds, author, created, page_id)
        page.last_edited_time = floor_minute(seed_time(row.get("last_edited_time"), created))
        page.in_trash = bool(row.get("in_trash", False))
        page.values = self._seed_values(ds, row.get("values") or {}, strict)

    def _seed_values(self, ds: DataSource, values: Mapping[str, Any], strict: set[str]) -> dict[str, Any]:
        converted: dict[str, Any] = {}
        for name, raw in values.items():
            prop = ds.find_property(name)
            if prop is None:
                raise ValueError(f"{name!r} is not a property of {ds.title!r}")
            converted[prop.id] = seed_value(prop, raw, self, strict_options=name in strict)
        return converted

    def _check_relations(self) -> None:
        for ds in self.data_sources.values():
            relations = [p for p in ds.properties.values() if p.type == "relation"]
            for page_id in ds.page_ids:
                for prop in relations:
                    target = prop.config["data_source_id"]
                    wrong = [t for t in self.pages[page_id].values.get(prop.id, []) if self.page_data_source(t) != target]
                    if wrong:
                        raise ValueError(f"page {page_id}: relation {prop.name!r} needs pages of {target}, got {wrong}")

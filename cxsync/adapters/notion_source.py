"""The Notion side: resolve the data source, read need-tagged pages as VocEntry, write back."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from notion_client import Client
from notion_client.errors import APIResponseError, HTTPResponseError, RequestTimeoutError

from cxsync.adapters.counting import ApiCounter
from cxsync.adapters.notion_pages import page_to_entry
from cxsync.adapters.notion_values import as_text, text_value
from cxsync.adapters.pacing import Pacer, RetryBudget, backoff, http_timeout
from cxsync.config import NotionCredentials, NotionSettings
from cxsync.errors import AuthError, ConfigError, CxsyncError, RemoteError
from cxsync.models import SkippedEntry, VocEntry
from cxsync.redact import redact

T = TypeVar("T")

ROLE_TYPES: dict[str, set[str]] = {
    "text": {"title", "rich_text"},
    "need_tag": {"select", "multi_select", "status", "rich_text"},
    "customer": {"rich_text", "title", "select", "people", "email"},
    "company": {"rich_text", "title", "select", "multi_select", "formula", "rollup"},
    "revenue": {"number", "formula", "rollup"},
    "channel": {"select", "multi_select", "rich_text"},
    "created": {"date", "created_time"},
    "owner": {"people", "rich_text", "select", "created_by"},
    "jira_key": {"rich_text"},
    "jira_url": {"url", "rich_text"},
    "status": {"status", "select"},
    "group_override": {"rich_text", "select"},
}
PAGE_SIZE = 100
MAX_ATTEMPTS = 8
RETRY_STATUSES = {409, 429, 500, 502, 503, 504, 529}


@dataclass(frozen=True)
class Schema:
    data_source_id: str
    title: str
    types: dict[str, str]  # property name → type
    status_options: frozenset[str] = frozenset()


@dataclass(frozen=True)
class WriteBack:
    page_id: str
    jira_key: str | None
    jira_url: str | None
    status: str | None


class NotionSource:
    def __init__(
        self,
        credentials: NotionCredentials,
        settings: NotionSettings,
        counter: ApiCounter,
        budget: RetryBudget | None = None,
    ) -> None:
        self.budget = budget or RetryBudget()
        self.settings = settings
        self.props = settings.properties
        self._base_url = credentials.base_url
        self.server_time: datetime | None = None  # from the Date header of the latest answer
        http = httpx.Client(event_hooks={"response": [self._count(counter), self._note_time]})
        # cxsync paces and retries itself (see `_call`), uniformly for every call
        self.client = Client(
            auth=credentials.token,
            base_url=credentials.base_url,
            client=http,
            timeout_ms=int(http_timeout() * 1000),
            retry=False,
            log_level=logging.CRITICAL,  # failures surface as cxsync errors, not as client log noise
        )
        self.pacer = Pacer(credentials.requests_per_second)
        self._schema: Schema | None = None
        self.known_data_source: str | None = None  # found by an earlier run: spares the database lookup

    @staticmethod
    def _count(counter: ApiCounter) -> Callable[[httpx.Response], None]:
        def hook(response: httpx.Response) -> None:
            counter.record("notion", response.request.method, response.request.url.path)

        return hook

    def _note_time(self, response: httpx.Response) -> None:
        stamp = response.headers.get("date")
        if stamp:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = parsedate_to_datetime(stamp)

    # -- schema -------------------------------------------------------------------------------------
    def schema(self) -> Schema:
        if self._schema is None:
            self._schema = self._load_schema()
        return self._schema

    def use_known_data_source(self, data_source_id: str | None) -> None:
        """Take the data source an earlier run found for the database (None: look it up again)."""
        self.known_data_source, self._schema = data_source_id, None

    def _load_schema(self) -> Schema:
        data_source_id = self.settings.data_source_id or self.known_data_source
        if data_source_id is None:
            database = self._call(
                lambda: _json(self.client.databases.retrieve(database_id=str(self.settings.database_id)))
            )
            sources = database.get("data_sources") or []
            if len(sources) != 1:
                raise ConfigError(
                    f"Database {self.settings.database_id} has {len(sources)} data sources; "
                    "name the one to sync with notion.data_source_id.",
                    f"데이터베이스 {self.settings.database_id}에 데이터 소스가 {len(sources)}개 있습니다. "
                    "notion.data_source_id로 하나를 지정하세요.",
                )
            data_source_id = sources[0]["id"]
        source_id = data_source_id
        source = self._call(lambda: _json(self.client.data_sources.retrieve(data_source_id=source_id)))
        props = source.get("properties", {})
        status_name = self.props.status
        options = props.get(status_name, {}).get(props.get(status_name, {}).get("type", ""), {}) if status_name else {}
        names = frozenset(o.get("name", "") for o in (options or {}).get("options", []) or [])
        title = "".join(t.get("plain_text", "") for t in source.get("title", []) or [])
        return Schema(data_source_id, title, {name: p.get("type", "") for name, p in props.items()}, names)

    def schema_problems(self) -> list[str]:
        """Every mismatch between the mapping and the live schema, each on one line."""
        schema = self.schema()
        problems = []
        for role, name in self.props.used().items():
            actual = schema.types.get(name)
            allowed = ROLE_TYPES[role]
            if actual is None:
                near = ", ".join(sorted(schema.types)) or "(none)"
                problems.append(f"notion.properties.{role}: property {name!r} does not exist (existing: {near})")
            elif actual not in allowed:
                problems.append(
                    f"notion.properties.{role}: property {name!r} is {actual}; expected one of {', '.join(sorted(allowed))}"
                )
        return problems

    def check_schema(self) -> Schema:
        problems = self.schema_problems()
        if problems:
            raise ConfigError(
                f"The mapping does not fit the Notion data source ({len(problems)} problem(s)).",
                f"매핑이 Notion 데이터 소스와 맞지 않습니다 (문제 {len(problems)}개).",
                problems=problems,
            )
        return self.schema()

    # -- reading ------------------------------------------------------------------------------------
    def _tag_filter(self, schema: Schema) -> dict[str, Any]:
        kind = schema.types[self.props.need_tag]
        return {"property": self.props.need_tag, kind: {"is_not_empty": True}}

    def pages(self) -> Iterator[dict[str, Any]]:
        """All need-tagged pages, oldest first, following cursors (and Notion's 10,000-row cap) to the end."""
        schema = self.check_schema()
        return self._query_all(schema, self._tag_filter(schema), "created_time")

    def edited_pages(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Every page, tagged or not, edited at or after `since`, oldest edit first."""
        return self._query_all(self.check_schema(), None, "last_edited_time", since)

    def is_tagged(self, page: dict[str, Any]) -> bool:
        prop = (page.get("properties") or {}).get(self.props.need_tag)
        try:
            return isinstance(prop, dict) and bool(as_text(prop))
        except Exception:  # an unreadable tag is still a tag; page_to_entry reports the problem
            return True

    def _query_all(
        self, schema: Schema, base: dict[str, Any] | None, stamp: str, since: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Query in windows of `stamp` (created or edited time): when a query stops at Notion's
        result cap, the next one starts at the last time seen; rows seen twice are skipped."""
        seen: set[str] = set()
        while True:
            window = [] if since is None else [{"timestamp": stamp, stamp: {"on_or_after": _iso(since)}}]
            parts = [*([base] if base else []), *window]
            query_filter = parts[0] if len(parts) == 1 else {"and": parts} if parts else None
            capped = False
            last: str | None = None
            fresh = 0
            for page, incomplete in self._query(schema, query_filter, [{"timestamp": stamp, "direction": "ascending"}]):
                capped = capped or incomplete
                if page is None:
                    continue
                last = page.get(stamp) or last
                if page.get("id") in seen:
                    continue
                seen.add(str(page.get("id")))
                fresh += 1
                yield page
            if not capped:
                return
            if last is None or fresh == 0:
                raise RemoteError(
                    "Notion stopped the query at its result cap within one minute of edits; cannot page further.",
                    "Notion이 1분 안의 결과 상한에서 조회를 멈췄습니다. 더 이상 읽을 수 없습니다.",
                )
            since = datetime.fromisoformat(last.replace("Z", "+00:00"))

    def _query(
        self, schema: Schema, query_filter: dict[str, Any] | None, sorts: list[dict[str, str]]
    ) -> Iterator[tuple[dict[str, Any] | None, bool]]:
        """Pages of one query with a flag saying Notion capped it; a capped query ends with (None, True)."""
        body: dict[str, Any] = {"page_size": PAGE_SIZE, "sorts": sorts}
        if query_filter is not None:
            body["filter"] = query_filter
        seen_cursors: set[str] = set()
        while True:
            page = self._call(
                lambda: _json(self.client.data_sources.query(data_source_id=schema.data_source_id, **body))
            )
            for result in page.get("results", []):
                yield result, False
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                # the cap shows as `incomplete` (on any page, in some answers); it matters where paging ends
                if page.get("request_status", {}).get("type") == "incomplete":
                    yield None, True
                return
            if cursor in seen_cursors:  # a repeated cursor would page forever
                raise RemoteError(
                    "Notion returned a cursor it had already returned; stopping instead of looping.",
                    "Notion이 이미 받은 커서를 다시 돌려주었습니다. 무한 반복 대신 멈춥니다.",
                )
            seen_cursors.add(cursor)
            body["start_cursor"] = cursor

    def read(self) -> tuple[list[VocEntry], list[SkippedEntry]]:
        entries: list[VocEntry] = []
        skipped: list[SkippedEntry] = []
        for page in self.pages():
            result = self.to_entry(page)
            (entries if isinstance(result, VocEntry) else skipped).append(result)  # type: ignore[arg-type]
        return entries, skipped

    def to_entry(self, page: dict[str, Any]) -> VocEntry | SkippedEntry:
        return page_to_entry(page, self.settings)

    # -- writing ------------------------------------------------------------------------------------
    def write_back(self, change: WriteBack) -> dict[str, Any]:
        """PATCH cxsync's properties of one page; returns the page as Notion now has it."""
        schema = self.schema()
        properties: dict[str, Any] = {}
        if self.props.jira_key:
            properties[self.props.jira_key] = text_value(
                schema.types[self.props.jira_key], change.jira_key, change.jira_url
            )
        if self.props.jira_url:
            properties[self.props.jira_url] = text_value(schema.types[self.props.jira_url], change.jira_url)
        if self.props.status and change.status:
            properties[self.props.status] = text_value(schema.types[self.props.status], change.status)
        return self._call(lambda: _json(self.client.pages.update(page_id=change.page_id, properties=properties)))

    # -- errors -------------------------------------------------------------------------------------
    def _call(self, action: Callable[[], T]) -> T:
        """Run one paced call; retry throttling, conflicts and transient failures with backoff.

        Every call cxsync makes to Notion is idempotent (reads, queries, PATCH of its own
        properties), so retrying any of them is safe.
        """
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.pacer.wait()
            try:
                return action()
            except CxsyncError:
                raise
            except HTTPResponseError as error:
                retryable = error.status in RETRY_STATUSES and attempt < MAX_ATTEMPTS
                if not retryable or not self.budget.wait(backoff(attempt, error.headers.get("retry-after"))):
                    raise self._failure(error) from None
            except (RequestTimeoutError, httpx.TransportError) as error:
                if attempt == MAX_ATTEMPTS or not self.budget.wait(backoff(attempt, None)):
                    raise self._failure(error) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _failure(self, error: Exception) -> CxsyncError:
        if isinstance(error, APIResponseError):
            return _translate(error)
        if isinstance(error, RequestTimeoutError):
            return RemoteError("Notion did not answer in time.", "Notion이 제시간에 응답하지 않았습니다.")
        if isinstance(error, HTTPResponseError):
            return RemoteError(
                f"Notion answered HTTP {error.status}: {redact(str(error))[:300]}",
                f"Notion이 HTTP {error.status} 오류로 응답했습니다: {redact(str(error))[:300]}",
            )
        return RemoteError(
            f"Cannot reach Notion at {self._base_url} ({type(error).__name__}).",
            f"Notion({self._base_url})에 연결할 수 없습니다 ({type(error).__name__}).",
            hint_en="check the network and NOTION_BASE_URL",
            hint_ko="네트워크와 NOTION_BASE_URL을 확인하세요",
        )


def _translate(error: APIResponseError) -> CxsyncError:
    code = str(getattr(error.code, "value", error.code))
    message = redact(str(error))[:300]
    if code == "unauthorized":
        return AuthError(
            "Notion rejected NOTION_TOKEN (unauthorized).",
            "Notion이 NOTION_TOKEN을 거부했습니다 (unauthorized).",
            hint_en="create an internal integration token and set NOTION_TOKEN",
            hint_ko="내부 통합 토큰을 만들어 NOTION_TOKEN에 설정하세요",
        )
    if code in ("object_not_found", "restricted_resource"):
        return ConfigError(
            f"Notion cannot find or open the object: {message}",
            f"Notion에서 대상을 찾거나 열 수 없습니다: {message}",
            hint_en="check the id in the mapping and share the database with the integration (••• → Connections)",
            hint_ko="매핑의 id를 확인하고 데이터베이스를 통합에 공유하세요 (••• → 연결)",
        )
    return RemoteError(f"Notion error {code}: {message}", f"Notion 오류 {code}: {message}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(value: Any) -> dict[str, Any]:
    """notion-client's sync client returns plain dicts; its type says `Any | Awaitable`."""
    assert isinstance(value, dict), type(value)
    return value

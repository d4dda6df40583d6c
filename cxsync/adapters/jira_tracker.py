"""The Jira side, through the `jira` library: find cxsync issues, create, update, link.

Cloud is spoken over REST v3 (descriptions in Atlassian Document Format); Data Center over REST
v2 (wiki markup). The library's own retry layer is off (`max_retries=0`) because it re-POSTs
creates on 429/503/connection errors; idempotent calls are retried here instead, and a create is
sent exactly once per attempt (see `cxsync.apply` for the safe-create protocol).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import requests
from jira import JIRA, JIRAError

from cxsync.adapters.counting import ApiCounter
from cxsync.adapters.pacing import CLOCK, RetryBudget, backoff, http_timeout
from cxsync.config import JiraCredentials, JiraSettings
from cxsync.document import has_adf_block, has_wiki_block, pack_json
from cxsync.errors import AuthError, ConfigError, CxsyncError, RemoteError
from cxsync.models import ActualIssue, RemoteLinkSpec, SyncRecord
from cxsync.redact import redact

T = TypeVar("T")
PROPERTY_KEY = "cxsync"
ISSUE_FIELDS = ("summary", "labels", "description", "status", "priority", "resolutiondate", "updated")
RETRY_STATUSES = {409, 429, 500, 502, 503, 504}  # only idempotent calls go through _call
MAX_ATTEMPTS = 8
MAX_DELAY = 60.0
SEARCH_PAGE = 100
RECONCILE_IDS = 50  # ids a search may reconcile
TASK_POLL_SECONDS = 1.0
TASK_WAIT_SECONDS = 120.0  # how long a bulk property task may run before cxsync stops waiting


class AmbiguousCreate(RemoteError):
    """A create was sent but its outcome is unknown (lost response, timeout, 5xx)."""


class CreateThrottled(RemoteError):
    """Jira answered a create with 429: throttled requests are not executed, so it may be resent."""

    def __init__(self, retry_after: str | None) -> None:
        super().__init__("Jira throttled an issue create (HTTP 429).", "Jira가 이슈 생성을 제한했습니다 (HTTP 429).")
        self.retry_after = retry_after


class JiraTracker:
    def __init__(
        self,
        credentials: JiraCredentials,
        settings: JiraSettings,
        counter: ApiCounter,
        budget: RetryBudget | None = None,
    ) -> None:
        self.budget = budget or RetryBudget()
        self.settings = settings
        self.url = credentials.url
        self.flavor: Literal["cloud", "datacenter"] = credentials.flavor
        self._counter = counter
        self.server_time: float | None = None  # epoch seconds, from the Date header of the latest answer
        self._answered_at = 0.0  # CLOCK.monotonic() when that answer came
        self.jira = self._connect(credentials)
        self._field_ids: dict[str, str] | None = None
        self.created: dict[str, str] = {}  # key → id of the issues this run created

    @property
    def markup(self) -> Literal["adf", "wiki"]:
        return "adf" if self.flavor == "cloud" else "wiki"

    def _connect(self, credentials: JiraCredentials) -> JIRA:
        options: dict[str, Any] = {"rest_api_version": "3" if self.flavor == "cloud" else "2", "check_update": False}
        auth: dict[str, Any] = (
            {"basic_auth": (credentials.email, credentials.api_token)}
            if self.flavor == "cloud"
            else {"token_auth": credentials.pat}
        )

        def connect() -> JIRA:
            client = JIRA(server=self.url, options=options, max_retries=0, timeout=http_timeout(), **auth)
            client._session.hooks["response"].append(self._count)
            self._counter.record("jira", "GET", "/rest/api/serverInfo")  # sent by the constructor
            return client

        return self._call(connect)

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        self._counter.record("jira", request.method or "GET", urlsplit(request.url or "").path)
        stamp = response.headers.get("Date")
        if stamp:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = parsedate_to_datetime(stamp).timestamp()
                self._answered_at = CLOCK.monotonic()

    # -- reading ------------------------------------------------------------------------------------
    def field_ids(self) -> dict[str, str]:
        """Role → field id for the demand fields the mapping names (by name or id)."""
        if self._field_ids is None:
            wanted = {r: v for r, v in self.settings.demand_fields.model_dump().items() if v}
            self._field_ids = {}
            if wanted:
                fields = self._call(self.jira.fields)
                self._field_ids = {role: _field_id(fields, value, role) for role, value in wanted.items()}
        return self._field_ids

    def search(self, jql: str, reconcile: list[int] | None = None) -> list[ActualIssue]:
        if reconcile and self.flavor == "cloud":  # one page, consistent for the just-created ids
            return [self._to_actual(i) for i in self._search_page(jql, None, 0, reconcile).get("issues") or []]
        return list(self.iter_search(jql))

    def read_back(self, ids: Sequence[str]) -> Iterator[ActualIssue]:
        """Issues just written, as they are now: Cloud's search may lag behind writes, so the ids are
        reconciled (50 per search, Jira's limit). Data Center's search has no such lag to reconcile."""
        if self.flavor != "cloud":
            return
        for start in range(0, len(ids), RECONCILE_IDS):
            chunk = [int(i) for i in ids[start : start + RECONCILE_IDS]]
            jql = f"{self._managed_jql()} AND id in ({', '.join(map(str, chunk))})"
            yield from (self._to_actual(raw) for raw in self._search_page(jql, None, 0, chunk).get("issues") or [])

    def iter_search(self, jql: str) -> Iterator[ActualIssue]:
        """Every issue the query finds, page by page: only one page of raw JSON is held at a time."""
        token: str | None = None
        start = 0
        while True:
            page = self._search_page(jql, token, start)
            issues: list[dict[str, Any]] = page.get("issues") or []
            yield from (self._to_actual(raw) for raw in issues)
            start += len(issues)
            token = page.get("nextPageToken")
            if self.flavor == "cloud" and not token:
                return
            if self.flavor == "datacenter" and (not issues or start >= int(page.get("total", 0))):
                return

    def _search_page(
        self, jql: str, token: str | None, start: int, reconcile: list[int] | None = None
    ) -> dict[str, Any]:
        """One page: Cloud's `search/jql` resumes at a token, Data Center's `search` at an offset."""
        common: dict[str, Any] = {"maxResults": SEARCH_PAGE, "properties": PROPERTY_KEY, "json_result": True}
        if self.flavor == "cloud":
            search: Callable[..., Any] = self.jira.enhanced_search_issues
            common["nextPageToken"] = token
            if reconcile:
                common |= {"reconcileIssues": reconcile, "use_post": True}
        else:
            search = self.jira.search_issues
            common["startAt"] = start
        page = self._call(lambda: search(jql, fields=self._wanted_fields(), **common))
        return page if isinstance(page, dict) else {}

    def _wanted_fields(self) -> list[str]:
        """A fresh list each call: the library rewrites the list it is given."""
        return [*ISSUE_FIELDS, *self.field_ids().values()]

    def _managed_jql(self) -> str:
        return f'project = "{self.settings.project}" AND labels = "{self.settings.label_prefix}"'

    def count_managed(self) -> int:
        """How many issues carry cxsync's label in the project: one request, however many there are."""
        if self.flavor == "cloud":
            url = self.jira._get_url("search/approximate-count")
            body = json.dumps({"jql": self._managed_jql()})
            answer = self._call(lambda: self.jira._session.post(url, data=body)).json()
            return int(answer.get("count", 0))
        params: dict[str, str | int] = {"jql": self._managed_jql(), "maxResults": 0, "fields": "id"}
        answer = self._call(lambda: self.jira._session.get(self.jira._get_url("search"), params=params)).json()
        return int(answer.get("total", 0))

    def managed_issues(self, updated_since: float | None = None) -> list[ActualIssue]:
        return list(self.iter_managed_issues(updated_since))

    def iter_managed_issues(self, updated_since: float | None = None) -> Iterator[ActualIssue]:
        """Every issue in the project that carries cxsync's label, or those updated since an epoch time.

        JQL dates are read in the user's time zone, so the window is relative ("-90m"), counted from the
        server's own clock (the Date header of its latest answer) and rounded up by a minute.
        """
        window = ""
        if updated_since is not None:
            now = self.now()
            minutes = max(1, math.ceil((now - updated_since) / 60) + 1)
            window = f' AND updated >= "-{minutes}m"'
        return self.iter_search(f"{self._managed_jql()}{window} ORDER BY created ASC")

    def now(self) -> float:
        """Jira's clock now: its latest answer's time plus the time since then (asks serverInfo if none)."""
        if self.server_time is None:
            info = self._call(self.jira.server_info)
            self.server_time = _epoch(info.get("serverTime")) or self.server_time
            self._answered_at = CLOCK.monotonic()
        if self.server_time is None:
            raise RemoteError("Jira did not say what time it is.", "Jira가 서버 시각을 알려주지 않았습니다.")
        return self.server_time + (CLOCK.monotonic() - self._answered_at)

    def find_by_label(self, label: str, reconcile: list[int] | None = None) -> list[ActualIssue]:
        return self.search(f'labels = "{label}" ORDER BY created ASC', reconcile)

    def get(self, key: str) -> ActualIssue | None:
        wanted = ",".join([*ISSUE_FIELDS, *self.field_ids().values()])
        try:
            issue = self._call(lambda: self.jira.issue(key, fields=wanted, properties=PROPERTY_KEY))
        except RemoteError as error:
            if "404" in error.en:
                return None
            raise
        return self._to_actual(issue.raw)

    def remote_links(self, key: str) -> dict[str, dict[str, Any]]:
        raw = self._call(lambda: self.jira._get_json(f"issue/{key}/remotelink"))
        return {link["globalId"]: link for link in raw or [] if link.get("globalId")}

    def browse_url(self, key: str) -> str:
        return f"{self.url}/browse/{key}"

    def _to_actual(self, raw: dict[str, Any]) -> ActualIssue:
        fields = raw.get("fields", {}) or {}
        description = fields.get("description")
        status = fields.get("status") or {}
        record = (raw.get("properties") or {}).get(PROPERTY_KEY)
        extra = {role: fields.get(fid) for role, fid in self.field_ids().items()}
        return ActualIssue(
            id=str(raw["id"]),
            key=raw["key"],
            summary=fields.get("summary") or "",
            labels=tuple(fields.get("labels") or ()),
            description_json=pack_json(description),
            has_block=has_adf_block(description) if self.markup == "adf" else has_wiki_block(description),
            status=status.get("name", ""),
            status_category=(status.get("statusCategory") or {}).get("key", ""),
            priority=(fields.get("priority") or {}).get("name"),
            resolved=fields.get("resolutiondate"),
            updated=fields.get("updated"),
            fields=extra,
            record=SyncRecord.model_validate(record) if isinstance(record, dict) and "group" in record else None,
        )

    # -- writing ------------------------------------------------------------------------------------
    def create(self, fields: dict[str, Any], record: SyncRecord) -> tuple[str, str]:
        """POST one issue, exactly once. Returns (id, key); raises AmbiguousCreate if unsure."""
        body = {
            "fields": {
                "project": {"key": self.settings.project},
                "issuetype": {"name": self.settings.issue_type},
                **fields,
            },
            "properties": [{"key": PROPERTY_KEY, "value": record.model_dump()}],
        }
        try:
            response = self.jira._session.post(self.jira._get_url("issue"), data=json.dumps(body))
        except JIRAError as error:
            if (error.status_code and error.status_code >= 500) or error.status_code == 429:
                raise AmbiguousCreate(*_ambiguous(f"HTTP {error.status_code}")) from None
            raise _translate(error) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise AmbiguousCreate(*_ambiguous(type(error).__name__)) from None
        created = response.json()
        self.created[str(created["key"])] = str(created["id"])
        return str(created["id"]), str(created["key"])

    def update(self, key: str, fields: dict[str, Any], add_labels: list[str], record: SyncRecord | None = None) -> None:
        """One edit: fields, added labels and (in the same request) cxsync's sync record."""
        body: dict[str, Any] = {"fields": fields}
        if add_labels:
            body["update"] = {"labels": [{"add": label} for label in add_labels]}
        if record is not None:
            body["properties"] = [{"key": PROPERTY_KEY, "value": record.model_dump()}]
        url = self.jira._get_url(f"issue/{key}") + "?notifyUsers=false"
        self._call(lambda: self.jira._session.put(url, data=json.dumps(body)))

    def upsert_link(self, key: str, link: RemoteLinkSpec) -> None:
        body = {
            "globalId": link.global_id,
            "application": {"type": "com.notion", "name": "Notion"},
            "relationship": "customer request",
            "object": {"url": link.url, "title": link.title, "icon": {"title": "Notion"}},
        }
        url = self.jira._get_url(f"issue/{key}/remotelink")
        self._call(lambda: self.jira._session.post(url, data=json.dumps(body)))

    def delete_link(self, key: str, global_id: str) -> None:
        url = self.jira._get_url(f"issue/{key}/remotelink")
        self._call(lambda: self.jira._session.delete(url, params={"globalId": global_id}))

    def set_record(self, key: str, record: SyncRecord) -> None:
        url = self.jira._get_url(f"issue/{key}/properties/{PROPERTY_KEY}")
        self._call(lambda: self.jira._session.put(url, data=json.dumps(record.model_dump())))

    @property
    def bulk_records(self) -> bool:
        """Whether sync records can be set 100 issues at a time (Cloud's `issue/properties/multi`)."""
        return self.flavor == "cloud"

    def set_records(self, records: Sequence[tuple[str, SyncRecord]]) -> None:
        """Set the sync records of up to 100 issues (by id) in one request, and wait for Jira's task.

        Setting a property is idempotent, so the request is retried like any other.
        """
        body = json.dumps(
            {"issues": [{"issueID": int(i), "properties": {PROPERTY_KEY: r.model_dump()}} for i, r in records]}
        )
        url = self.jira._get_url("issue/properties/multi")
        answer = self._call(lambda: self.jira._session.post(url, data=body, allow_redirects=False))
        self._await_task(answer.headers.get("Location"))

    def _await_task(self, location: str | None) -> None:
        """Poll an asynchronous task until it ends; raise unless it completed."""
        waited = 0.0
        while location:
            task = self._call(lambda: self.jira._session.get(location)).json()
            status = str(task.get("status", ""))
            if status == "COMPLETE":
                return
            if status in ("FAILED", "CANCELLED", "CANCEL_REQUESTED", "DEAD") or waited >= TASK_WAIT_SECONDS:
                detail = redact(str(task.get("message") or status))[:200]
                raise RemoteError(
                    f"Jira's bulk property task did not complete ({detail}); the next run sets these records again.",
                    f"Jira의 일괄 속성 작업이 끝나지 않았습니다 ({detail}). 다음 실행에서 다시 기록합니다.",
                )
            CLOCK.sleep(TASK_POLL_SECONDS)
            waited += TASK_POLL_SECONDS

    # -- errors and retries -------------------------------------------------------------------------
    def _call(self, action: Callable[[], T]) -> T:
        """Run an idempotent call, retrying throttling and transient failures with backoff."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return action()
            except JIRAError as error:
                retryable = error.status_code in RETRY_STATUSES and attempt < MAX_ATTEMPTS
                if not retryable or not self.budget.wait(_delay(attempt, error.response)):
                    raise _translate(error) from None
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt == MAX_ATTEMPTS or not self.budget.wait(_delay(attempt, None)):
                    raise RemoteError(
                        f"Cannot reach Jira at {self.url} ({type(error).__name__}).",
                        f"Jira({self.url})에 연결할 수 없습니다 ({type(error).__name__}).",
                        hint_en="check the network and JIRA_URL",
                        hint_ko="네트워크와 JIRA_URL을 확인하세요",
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _epoch(server_time: Any) -> float | None:
    """serverInfo's `serverTime` ("2026-11-29T20:00:00.000+0000") as epoch seconds."""
    if not isinstance(server_time, str):
        return None
    try:
        return datetime.strptime(server_time, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return None


def _delay(attempt: int, response: requests.Response | None) -> float:
    return backoff(attempt, response.headers.get("Retry-After") if response is not None else None, MAX_DELAY)


def _ambiguous(reason: str) -> tuple[str, str]:
    return (
        f"Jira did not confirm an issue create ({reason}); it may or may not exist.",
        f"Jira가 이슈 생성을 확인해 주지 않았습니다 ({reason}). 생성되었을 수도 있습니다.",
    )


def _field_id(fields: list[dict[str, Any]], wanted: str, role: str) -> str:
    matches = [f for f in fields if wanted in (f.get("id"), f.get("name"))]
    if len(matches) != 1:
        state = "does not exist" if not matches else "is ambiguous (several fields share the name; use the id)"
        raise ConfigError(
            f"jira.demand_fields.{role}: field {wanted!r} {state}.",
            f"jira.demand_fields.{role}: 필드 {wanted!r}을(를) 찾을 수 없거나 이름이 겹칩니다.",
        )
    return str(matches[0]["id"])


def _translate(error: JIRAError) -> CxsyncError:
    status = error.status_code
    detail = redact(str(error.text or ""))[:300]
    if status == 401:
        return AuthError(
            "Jira rejected the credentials (HTTP 401).",
            "Jira가 자격 증명을 거부했습니다 (HTTP 401).",
            hint_en="Cloud: JIRA_EMAIL + JIRA_API_TOKEN; Data Center: JIRA_PAT",
            hint_ko="Cloud는 JIRA_EMAIL + JIRA_API_TOKEN, Data Center는 JIRA_PAT",
        )
    if status == 403:
        return AuthError(
            f"Jira refused the operation (HTTP 403): {detail}", f"Jira가 작업을 거부했습니다 (HTTP 403): {detail}"
        )
    return RemoteError(f"Jira answered HTTP {status}: {detail}", f"Jira가 HTTP {status} 오류로 응답했습니다: {detail}")

"""Read Notion and Jira incrementally through the local cache, and settle the cache after writing.

A scheduled sync must cost what changed, not what exists. Notion is queried for pages edited since
a watermark: `last_edited_time` is rounded down to the minute, so the watermark is the minute of the
server's clock (its Date header) when the read began, and that minute is read again next time. Jira
is searched for cxsync issues updated since its watermark, taken a search lag plus a minute before the
read began (search is eventually consistent). A full scan — the first run, `--full`, a changed
mapping, a lost cache, or every `CXSYNC_FULL_SCAN_HOURS` (default 24) — reads everything and finds
entries that left Notion (archived, deleted or untagged) since the last one.

After a run that wrote, `settle` reads the run's own window once more, so the watermarks move past
cxsync's own writes (a no-op resync then reads almost nothing) without missing edits people made
while the run was writing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from cxsync.adapters.jira_tracker import JiraTracker
from cxsync.adapters.notion_source import NotionSource
from cxsync.adapters.pacing import CLOCK
from cxsync.apply import search_lag_seconds
from cxsync.cache import SyncCache
from cxsync.errors import CxsyncError
from cxsync.models import ActualIssue, RemoteLinkSpec, SkippedEntry, VocEntry
from cxsync.plan import Departed

NOTION_MARK = "notion.watermark"
NOTION_FULL_AT = "notion.full_at"
JIRA_MARK = "jira.watermark"
JIRA_FULL_AT = "jira.full_at"
DATA_SOURCE = "notion.data_source"
# Edited pages folded into the cache at a time: a settle after a first sync re-reads every page the run
# wrote back, and holding them all at once would cost as much memory as the first read.
EDIT_BATCH = 1000


def full_scan_hours() -> float:
    return float(os.environ.get("CXSYNC_FULL_SCAN_HOURS", "24"))


@dataclass
class ReadStats:
    notion_mode: str = "full"  # or "incremental"
    jira_mode: str = "full"
    pages_read: int = 0
    issues_read: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Inputs:
    entries: list[VocEntry]
    skipped: list[SkippedEntry]
    issues: list[ActualIssue]
    departed: list[Departed] = field(default_factory=list)
    stats: ReadStats = field(default_factory=ReadStats)


class IncrementalReader:
    def __init__(self, notion: NotionSource, jira: JiraTracker, cache: SyncCache, *, full: bool = False) -> None:
        self.notion = notion
        self.jira = jira
        self.cache = cache
        self.full = full
        self._notion_window: datetime | None = None  # where this run's Notion read began
        self._jira_window: float | None = None
        self.last_jira_write: float | None = None  # CLOCK.monotonic() of the latest Jira write
        self.wrote_notion = False
        self.written: dict[str, float] = {}  # issue key → CLOCK.monotonic() of cxsync's latest write to it
        self.stats = ReadStats()
        self.departed: list[Departed] = []
        self._pages: tuple[list[VocEntry], list[SkippedEntry]] | None = None  # a full read, until loaded
        self._issues: list[ActualIssue] | None = None

    # -- reading -------------------------------------------------------------------------------------
    def read(self) -> Inputs:
        self.refresh()
        return self.load()

    def refresh(self) -> None:
        """Bring the cache up to date with both sides. Whether anything changed shows in its generation.

        Jira is asked on a second thread while Notion is read (mostly waiting on its 3 requests/s): a
        run's reads take about as long as the slower side, not both. Only this thread touches the cache.
        """
        self.stats = ReadStats()
        full_jira = self._due(JIRA_FULL_AT, JIRA_MARK)
        since = None if full_jira else self.cache.get(JIRA_MARK)
        jira = _Background(lambda: self._fetch_jira(None if since is None else float(since)))
        try:
            self.departed = self._read_notion(self.stats)
        except Exception:
            jira.finish()  # Notion's failure is the one to report; leave nothing running behind it
            raise
        self._store_jira(jira.result(), self.stats)

    def load(self) -> Inputs:
        """The inputs of a plan: what a full read just returned, else what the cache holds."""
        entries, skipped = self._pages or self.cache.pages()
        issues = self._issues if self._issues is not None else self.cache.issues()
        self._pages, self._issues = None, None  # handed over, not held
        return Inputs(entries, skipped, issues, self.departed, self.stats)

    @property
    def links_from_cache(self) -> bool:
        """On a full scan, the links of changed groups are read from Jira rather than trusted from the cache."""
        return not self.full

    def _due(self, stamp_name: str, mark_name: str) -> bool:
        age = self.cache.age_hours(stamp_name)
        return self.full or self.cache.get(mark_name) is None or age is None or age >= full_scan_hours()

    def _read_notion(self, stats: ReadStats) -> list[Departed]:
        since = self.cache.get(NOTION_MARK)
        full = self._due(NOTION_FULL_AT, NOTION_MARK) or since is None
        self._check_schema(rediscover=full)  # its answer carries the server time the window starts from
        began = self._notion_mark()
        departed: list[Departed] = []
        if full or since is None:
            entries, skipped = self.notion.read()
            stats.pages_read = len(entries) + len(skipped)
            departed = self._left_notion({e.page_id for e in entries} | {s.page_id for s in skipped})
            self.cache.replace_pages(chain(entries, skipped))
            self.cache.stamp(NOTION_FULL_AT)
            self._pages = entries, skipped
        else:
            stats.notion_mode = "incremental"
            stats.pages_read, departed = self._apply_edits(datetime.fromisoformat(since))
        self.cache.put(NOTION_MARK, began.isoformat())
        self._notion_window = began
        return departed

    def _check_schema(self, *, rediscover: bool) -> None:
        """Check the mapping against the data source. Between full scans, the data source found for the
        database last time is used without looking the database up again; should that fail, it is."""
        known = None if rediscover else self.cache.get(DATA_SOURCE)
        self.notion.use_known_data_source(known)
        try:
            self.notion.check_schema()
        except CxsyncError:
            if known is None:
                raise
            self.notion.use_known_data_source(None)
            self.notion.check_schema()
        self.cache.put(DATA_SOURCE, self.notion.schema().data_source_id)

    def _left_notion(self, present: set[str]) -> list[Departed]:
        gone = self.cache.page_ids() - present
        departed = []
        for page_id in sorted(gone):
            entry = self.cache.cached_entry(page_id)
            if entry is not None:
                departed.append(
                    _departed(
                        entry,
                        "no longer in Notion with a need tag (archived, deleted or untagged)",
                        "Notion에서 사라졌거나 니즈 태그가 없어졌습니다 (보관, 삭제 또는 태그 해제)",
                    )
                )
        return departed

    def _apply_edits(self, since: datetime) -> tuple[int, list[Departed]]:
        """Fold the pages edited since `since` into the cache, a batch at a time; untagged ones leave it.

        Each page is read once (the query skips repeats), so a batch written early never changes what
        a later page finds in the cache.
        """
        read = 0
        keep: list[VocEntry | SkippedEntry] = []
        departed: list[Departed] = []
        for page in self.notion.edited_pages(since):
            read += 1
            if self.notion.is_tagged(page):
                keep.append(self.notion.to_entry(page))
                if len(keep) >= EDIT_BATCH:
                    self.cache.upsert_pages(keep)
                    keep = []
                continue
            previous = self.cache.cached_entry(str(page.get("id")))
            if previous is not None:
                departed.append(_departed(previous, "its need tag was removed", "니즈 태그가 제거되었습니다"))
        self.cache.upsert_pages(keep)
        self.cache.drop_pages(d.page_id for d in departed)
        return read, departed

    def _fetch_jira(self, since: float | None) -> _JiraAnswer:
        """Jira's side of a refresh, network only: every managed issue, or those updated since `since`
        and how many there are in all."""
        self.jira.field_ids()
        began = self._jira_mark()
        if since is None:
            return _JiraAnswer(began, self.jira.managed_issues(), None)
        return _JiraAnswer(began, self.jira.managed_issues(updated_since=since), self.jira.count_managed())

    def _store_jira(self, answer: _JiraAnswer, stats: ReadStats) -> None:
        if answer.total is None:
            self._keep_all_issues(answer.issues, stats)
        else:
            stats.jira_mode = "incremental"
            stats.issues_read = len(answer.issues)
            self.cache.upsert_issues(answer.issues)
            if answer.total != self.cache.issue_count():  # one was deleted or moved away: look at all
                self._keep_all_issues(self.jira.managed_issues(), stats)
        self.cache.put(JIRA_MARK, repr(answer.began))
        self._jira_window = answer.began

    def _keep_all_issues(self, issues: list[ActualIssue], stats: ReadStats) -> None:
        stats.jira_mode = "full"
        stats.issues_read += len(issues)
        self.cache.replace_issues(issues)
        self.cache.stamp(JIRA_FULL_AT)
        self._issues = issues

    def _notion_mark(self) -> datetime:
        """Where the next Notion window starts: the minute of Notion's clock now (it rounds edits down to it)."""
        return _minute(self.notion.server_time or datetime.now(UTC))

    def _jira_mark(self) -> float:
        """Where the next Jira window starts: a search lag and a minute before Jira's clock now."""
        return self.jira.now() - search_lag_seconds() - 60

    # -- links ---------------------------------------------------------------------------------------
    def read_links(self, key: str) -> dict[str, dict[str, Any]]:
        """An issue's remote links: from the cache when it knows them all, else from Jira (then cached)."""
        known = self.cache.links(key) if self.links_from_cache else None
        if known is None:
            known = self.jira.remote_links(key)
            self.cache.know_links(key, known)
        return known

    # -- while and after writing ---------------------------------------------------------------------
    def write(self, kind: str, target: str, payload: Any, outcome: str, detail: str = "", group_id: str = "") -> None:
        """Told about every write apply makes (a `cxsync.apply.WriteRecorder`)."""
        if kind != "writeback":
            self.last_jira_write = CLOCK.monotonic()
        if outcome != "ok":
            if "HTTP 404" in detail and kind in ("update", "link", "unlink", "record"):
                self.cache.drop(JIRA_FULL_AT)  # an issue cxsync knew is gone: rescan Jira next time
            return
        if kind in ("create", "update", "link", "unlink", "record"):
            self.written[target] = CLOCK.monotonic()
        if kind == "create":
            self.cache.know_links(target, {})
        elif kind == "link":
            self.cache.linked(target, RemoteLinkSpec.model_validate(payload))
        elif kind == "unlink":
            self.cache.unlinked(target, str(payload))
        elif kind == "writeback":
            self.wrote_notion = True

    def settle(self) -> None:
        """Re-read this run's windows so the watermarks pass cxsync's own writes.

        Jira's search may not show the last few seconds of writes yet. The issues written that lately are
        read back reconciled (Cloud), so the cache holds what the run left; the next Jira window also
        starts a search lag and a minute before this re-read, so it reads them again in any case.
        """
        if self.wrote_notion and self._notion_window is not None:
            began = self._notion_mark()
            self._apply_edits(self._notion_window)
            self.cache.put(NOTION_MARK, began.isoformat())
        if self.last_jira_write is not None and self._jira_window is not None:
            mark = self._jira_mark()
            lately = self._lately_written()  # taken before the search, which may take a while
            self.cache.upsert_issues(self.jira.iter_managed_issues(updated_since=self._jira_window))
            self.cache.upsert_issues(self.jira.read_back(self._ids_of(lately)))
            self.cache.put(JIRA_MARK, repr(mark))

    def _lately_written(self) -> set[str]:
        """Keys of the issues written within a search lag of now, which a search may show as they were
        (or, if just created, not at all)."""
        horizon = CLOCK.monotonic() - search_lag_seconds() - 1
        return {key for key, at in self.written.items() if at >= horizon}

    def _ids_of(self, keys: set[str]) -> list[str]:
        created = {self.jira.created[key] for key in keys if key in self.jira.created}
        return sorted(set(self.cache.issue_ids(keys)) | created, key=int)


@dataclass
class _JiraAnswer:
    began: float  # where the next Jira window starts
    issues: list[ActualIssue]
    total: int | None  # how many managed issues there are; None when `issues` are all of them


class _Background:
    """One call on a daemon thread (an interrupted run does not wait for it to finish)."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._outcome: tuple[Any, BaseException | None] = (None, None)
        self._thread = threading.Thread(target=self._run, args=(call,), name="cxsync-jira-read", daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self._outcome = (call(), None)
        except BaseException as error:  # raised again on the calling thread
            self._outcome = (None, error)

    def finish(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self.finish()
        value, error = self._outcome
        if error is not None:
            raise error
        return value


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _departed(entry: VocEntry, reason_en: str, reason_ko: str) -> Departed:
    return Departed(
        page_id=entry.page_id,
        url=entry.url,
        text=entry.text[:120],
        jira_key=entry.jira_key,
        reason_en=reason_en,
        reason_ko=reason_ko,
    )

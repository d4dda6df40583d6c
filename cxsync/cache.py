"""A local SQLite cache of what the last runs read, so a scheduled sync reads only what changed.

Only a cache: Notion and Jira stay the truth. It holds the entries read from Notion, the managed
Jira issues, the remote links cxsync wrote, and the watermarks of the incremental reads. When the
mapping (or this file's format) changes, or the file is lost, the next run simply reads everything.

Every write that changes what the cache holds (a page, an issue or a link that differs from the one
stored) moves its `generation` on; reading the same data again does not. A plan depends on the
cached data only through that number, so equal generations mean equal inputs.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from cxsync.journal import state_dir
from cxsync.models import ActualIssue, RemoteLinkSpec, SkippedEntry, VocEntry

FORMAT = "3"
_SCHEMA = """
create table if not exists meta (name text primary key, value text not null);
create table if not exists pages (page_id text primary key, kind text not null, body text not null);
create table if not exists issues (id text primary key, body text not null, description blob not null);
create table if not exists link_sets (issue_key text primary key);
create table if not exists group_plans (group_id text primary key, key text not null, plan text not null);
create table if not exists links (
  issue_key text not null, global_id text not null, url text not null, title text not null,
  primary key (issue_key, global_id)
);
"""
_TABLES = ("meta", "pages", "issues", "link_sets", "links", "group_plans")
GENERATION = "generation"
Row = TypeVar("Row")
HELD_SHARE = 0.25  # of the held pages (or issues) replaced, after which they are let go
# An upsert that leaves an identical row alone, so that SQLite counts no change for it.
_UPSERT_PAGE = (
    "insert into pages values (?, ?, ?) on conflict (page_id) do update set kind = excluded.kind, body = excluded.body"
    " where pages.kind != excluded.kind or pages.body != excluded.body"
)
_UPSERT_ISSUE = (
    "insert into issues values (?, ?, ?) on conflict (id) do update set body = excluded.body,"
    " description = excluded.description where issues.body != excluded.body or issues.description != excluded.description"
)
_UPSERT_LINK = (
    "insert into links values (?, ?, ?, ?) on conflict (issue_key, global_id) do update set url = excluded.url,"
    " title = excluded.title where links.url != excluded.url or links.title != excluded.title"
)


class SyncCache:
    def __init__(self, mapping: str, fingerprint: str, path: Path | None = None) -> None:
        self.path = path or state_dir() / f"{mapping}.cache.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.executescript(_SCHEMA)
        # What the cache holds, as loaded and kept in step with every write since: a second plan in the
        # same run (the one confirming that the run converged) then parses no rows again.
        # Once a good share of them has been replaced (a first sync's settle re-reads every page), they are
        # let go instead: the next load parses the rows again rather than keep a heap fragmented by the swap.
        self._held_pages: _Held[VocEntry | SkippedEntry] | None = None
        self._held_issues: _Held[ActualIssue] | None = None
        self.held: dict[str, Any] = {}  # results parsed from this cache, for the memos to reuse in this process
        stamp = f"{FORMAT}:{fingerprint}"
        if self.get("fingerprint") != stamp:
            self.clear()
            self.put("fingerprint", stamp)

    def close(self) -> None:
        self.db.close()

    def clear(self) -> None:
        """Forget everything; the tables are made anew, in this version's format."""
        with self.db:
            for table in _TABLES:
                self.db.execute(f"drop table if exists {table}")  # fixed table names, not input
        self.db.executescript(_SCHEMA)
        self._held_pages = self._held_issues = None
        self.held = {}

    # -- meta ----------------------------------------------------------------------------------------
    def get(self, name: str) -> str | None:
        row = self.db.execute("select value from meta where name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, name: str, value: str) -> None:
        with self.db:
            self.db.execute("insert or replace into meta (name, value) values (?, ?)", (name, value))

    def drop(self, name: str) -> None:
        with self.db:
            self.db.execute("delete from meta where name = ?", (name,))

    def age_hours(self, name: str) -> float | None:
        """Hours since the timestamp stored under `name` (None when there is none)."""
        stamp = self.get(name)
        return None if stamp is None else (time.time() - float(stamp)) / 3600

    def stamp(self, name: str) -> None:
        self.put(name, str(time.time()))

    # -- what the cache holds ------------------------------------------------------------------------
    def generation(self) -> int:
        """How many times the cached pages, issues or links have changed (0 for a new cache)."""
        return int(self.get(GENERATION) or 0)

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """A transaction that moves the generation on if it changed any row."""
        with self.db:
            before = self.db.total_changes
            yield
            if self.db.total_changes != before:
                self.db.execute(
                    "insert or replace into meta (name, value) values (?, ?)", (GENERATION, str(self.generation() + 1))
                )

    # -- Notion pages --------------------------------------------------------------------------------
    def pages(self) -> tuple[list[VocEntry], list[SkippedEntry]]:
        """Every cached page, in page id order: entries, and pages skipped with their reason."""
        held = self._hold_pages()
        entries: list[VocEntry] = []
        skipped: list[SkippedEntry] = []
        for item in held.values():
            if isinstance(item, VocEntry):
                entries.append(item)
            else:
                skipped.append(item)
        return entries, skipped

    def _hold_pages(self) -> dict[str, VocEntry | SkippedEntry]:
        if self._held_pages is None:
            rows = self.db.execute("select kind, body from pages order by page_id")
            self._held_pages = _Held({item.page_id: item for item in (_page(kind, body) for kind, body in rows)})
        elif not self._held_pages.in_order:
            self._held_pages.rows = dict(sorted(self._held_pages.rows.items()))
            self._held_pages.in_order = True
        return self._held_pages.rows

    def page_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("select page_id from pages")}

    def cached_entry(self, page_id: str) -> VocEntry | None:
        row = self.db.execute("select body from pages where page_id = ? and kind = 'entry'", (page_id,)).fetchone()
        return None if row is None else VocEntry.model_validate_json(row[0])

    def replace_pages(self, items: Iterable[VocEntry | SkippedEntry]) -> None:
        items = list(items)
        with self._changing():
            self.db.execute("delete from pages")
            self.db.executemany("insert into pages values (?, ?, ?)", map(_page_row, items))
        self._held_pages = _Held({item.page_id: item for item in sorted(items, key=lambda item: item.page_id)})

    def upsert_pages(self, items: Iterable[VocEntry | SkippedEntry]) -> None:
        items = list(items)
        with self._changing():
            self.db.executemany(_UPSERT_PAGE, map(_page_row, items))
        held = self._held_pages = _still_held(self._held_pages, len(items))
        if held is not None:
            for item in items:
                held.in_order &= item.page_id in held.rows
                held.rows[item.page_id] = item

    def drop_pages(self, page_ids: Iterable[str]) -> None:
        page_ids = list(page_ids)
        with self._changing():
            self.db.executemany("delete from pages where page_id = ?", [(p,) for p in page_ids])
        if self._held_pages is not None:
            for page_id in page_ids:
                self._held_pages.rows.pop(page_id, None)

    # -- Jira issues ---------------------------------------------------------------------------------
    def issues(self) -> list[ActualIssue]:
        """Every cached issue, in Jira's id order."""
        if self._held_issues is None:
            rows = self.db.execute("select body, description from issues order by cast(id as integer), id")
            self._held_issues = _Held({issue.id: issue for issue in (_issue(body, text) for body, text in rows)})
        return sorted(self._held_issues.rows.values(), key=_issue_order)

    def issue_ids(self, keys: Iterable[str]) -> list[str]:
        """The ids of the cached issues with these keys (ids in Jira's order)."""
        wanted = set(keys)
        rows = self.db.execute("select id, json_extract(body, '$.key') from issues order by cast(id as integer), id")
        return [issue_id for issue_id, key in rows if key in wanted]

    def issue_count(self) -> int:
        return int(self.db.execute("select count(*) from issues").fetchone()[0])

    def replace_issues(self, issues: Iterable[ActualIssue]) -> None:
        issues = list(issues)
        with self._changing():
            self.db.execute("delete from issues")
            self.db.executemany("insert into issues values (?, ?, ?)", map(_issue_row, issues))
        self._held_issues = _Held({issue.id: issue for issue in issues})

    def upsert_issues(self, issues: Iterable[ActualIssue]) -> None:
        issues = list(issues)
        with self._changing():
            self.db.executemany(_UPSERT_ISSUE, map(_issue_row, issues))
        held = self._held_issues = _still_held(self._held_issues, len(issues))
        if held is not None:
            held.rows.update((issue.id, issue) for issue in issues)

    # -- remote links cxsync wrote -------------------------------------------------------------------
    def links(self, key: str) -> dict[str, dict[str, Any]] | None:
        """The issue's links as Jira returns them (global id → link), when the whole set is known."""
        if self.db.execute("select 1 from link_sets where issue_key = ?", (key,)).fetchone() is None:
            return None
        rows = self.db.execute("select global_id, url, title from links where issue_key = ?", (key,))
        return {gid: {"globalId": gid, "object": {"url": url, "title": title}} for gid, url, title in rows}

    def know_links(self, key: str, links: dict[str, dict[str, Any]]) -> None:
        """Record the complete set of an issue's links (as read from Jira, or all written at create)."""
        rows = [(key, gid, *_url_title(link)) for gid, link in links.items()]
        with self._changing():
            self.db.execute("insert or ignore into link_sets values (?)", (key,))
            present = [gid for (gid,) in self.db.execute("select global_id from links where issue_key = ?", (key,))]
            gone = [(key, gid) for gid in present if gid not in links]
            self.db.executemany("delete from links where issue_key = ? and global_id = ?", gone)
            self.db.executemany(_UPSERT_LINK, rows)

    def linked(self, key: str, link: RemoteLinkSpec) -> None:
        with self._changing():
            self.db.execute(_UPSERT_LINK, (key, link.global_id, link.url, link.title))

    def unlinked(self, key: str, global_id: str) -> None:
        with self._changing():
            self.db.execute("delete from links where issue_key = ? and global_id = ?", (key, global_id))

    # -- group plans found unchanged (cxsync.group_memo) ----------------------------------------------
    def group_plan_keys(self) -> dict[str, str]:
        return dict(self.db.execute("select group_id, key from group_plans"))

    def group_plan(self, group_id: str) -> str | None:
        row = self.db.execute("select plan from group_plans where group_id = ?", (group_id,)).fetchone()
        return None if row is None else str(row[0])

    def keep_group_plans(self, rows: Iterable[tuple[str, str, str]], live: set[str] | None = None) -> None:
        """Store these plans; with `live`, forget those of other groups (neither is a change of data)."""
        with self.db:
            self.db.executemany("insert or replace into group_plans values (?, ?, ?)", rows)
            if live is not None:
                stored = [gid for (gid,) in self.db.execute("select group_id from group_plans")]
                self.db.executemany(
                    "delete from group_plans where group_id = ?", [(g,) for g in stored if g not in live]
                )


def _page_row(item: VocEntry | SkippedEntry) -> tuple[str, str, str]:
    kind = "entry" if isinstance(item, VocEntry) else "skipped"
    return item.page_id, kind, item.model_dump_json()


class _Held(Generic[Row]):
    """Rows as loaded, by id; how many of them writes have replaced since; whether they are still in id order."""

    def __init__(self, rows: dict[str, Row]) -> None:
        self.rows = rows
        self.replaced = 0
        self.in_order = True  # a write that adds an id appends it


def _still_held(held: _Held[Row] | None, written: int) -> _Held[Row] | None:
    """`held` after `written` more rows were replaced; None (let go) once past a quarter of them."""
    if held is None:
        return None
    held.replaced += written
    return held if held.replaced <= HELD_SHARE * len(held.rows) else None


def _page(kind: str, body: str) -> VocEntry | SkippedEntry:
    return VocEntry.model_validate_json(body) if kind == "entry" else SkippedEntry.model_validate_json(body)


def _issue_order(issue: ActualIssue) -> tuple[int, str]:
    """SQLite's `order by cast(id as integer), id`: Jira's ids are numbers."""
    return (int(issue.id) if issue.id.isdigit() else 0), issue.id


def _issue_row(issue: ActualIssue) -> tuple[str, str, bytes]:
    """The description is stored packed, as the issue holds it: no JSON text to pack again on loading."""
    return issue.id, issue.model_dump_json(exclude={"description_json"}), issue.description_json


def _issue(body: str, description: bytes) -> ActualIssue:
    issue = ActualIssue.model_validate_json(body).model_copy(update={"description_json": description})
    issue.model_post_init(None)  # the copy's own set of given fields is replaced by the shared one (`Compact`)
    return issue


def _url_title(link: dict[str, Any]) -> tuple[str, str]:
    target = link.get("object") or {}
    return str(target.get("url") or ""), str(target.get("title") or "")


def mapping_fingerprint(parts: dict[str, Any]) -> str:
    """A stable text naming what the cached data was read with (mapping, data source, Jira site)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def private_copy(mapping: str) -> Path:
    """A consistent snapshot of the mapping's cache in a temporary file (SQLite's online backup)."""
    folder = tempfile.mkdtemp(prefix="cxsync-preview-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    target = Path(folder) / f"{mapping}.cache.sqlite"
    source_path = state_dir() / f"{mapping}.cache.sqlite"
    if source_path.exists():
        source, copy = sqlite3.connect(source_path, timeout=30), sqlite3.connect(target)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
    return target

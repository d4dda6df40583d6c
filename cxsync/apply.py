"""Execute a plan exactly: Jira creates and edits, remote links, sync records, Notion write-back."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from cxsync.adapters.jira_tracker import AmbiguousCreate, CreateThrottled, JiraTracker
from cxsync.adapters.notion_source import NotionSource, WriteBack
from cxsync.adapters.pacing import CLOCK, backoff
from cxsync.errors import CxsyncError
from cxsync.journal import Journal
from cxsync.plan import GroupPlan, Plan, WriteBackPlan

CREATE_ATTEMPTS = 4
RECORDS_PER_REQUEST = 100  # Cloud's issue/properties/multi takes at most 100 issues


@dataclass
class Failure:
    target: str
    message_en: str
    message_ko: str


@dataclass
class ApplyResult:
    created: dict[str, str] = field(default_factory=dict)  # group id → key
    updated: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    written_back: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class WriteRecorder(Protocol):
    """Told about every write apply attempts, with its outcome (the audit log, cxsync.audit)."""

    def write(
        self, kind: str, target: str, payload: Any, outcome: str, detail: str = "", group_id: str = ""
    ) -> None: ...


class Recorders:
    """Tells every recorder in turn (the audit log and the cache)."""

    def __init__(self, *recorders: WriteRecorder) -> None:
        self.recorders = recorders

    def write(
        self, kind: str, target: str, payload: Any, outcome: str, detail: str = "", group_id: str = ""
    ) -> None:
        for recorder in self.recorders:
            recorder.write(kind, target, payload, outcome, detail, group_id)


class _NoRecorder:
    def write(
        self, kind: str, target: str, payload: Any, outcome: str, detail: str = "", group_id: str = ""
    ) -> None:
        return None


@contextmanager
def _recorded(recorder: WriteRecorder, kind: str, target: str, payload: Any, group_id: str) -> Iterator[list[str]]:
    """Report the write in the block as ok, or as failed with the error; the block may set the target."""
    where = [target]
    try:
        yield where
    except BaseException as error:
        detail = error.en if isinstance(error, CxsyncError) else type(error).__name__
        recorder.write(kind, where[0], payload, "failed", detail, group_id)
        raise
    recorder.write(kind, where[0], payload, "ok", "", group_id)


def apply_plan(
    plan: Plan, jira: JiraTracker, notion: NotionSource, journal: Journal, recorder: WriteRecorder | None = None
) -> ApplyResult:
    result = ApplyResult()
    rec = recorder or _NoRecorder()
    records = _RecordBatch(jira, rec, result)
    try:
        with _Editors(jira.settings.concurrency, rec, result) as editors:
            for group in plan.groups:
                if group.action in ("unchanged", "skip"):
                    continue
                try:
                    _apply_group(group, jira, journal, result, rec, records, editors)
                except CxsyncError as error:
                    result.failures.append(_failure(group, error))
    finally:
        records.flush()
    for change in plan.writebacks:
        _write_back(change, jira, notion, result, rec)
    return result


def _failure(group: GroupPlan, error: CxsyncError) -> Failure:
    return Failure(group.key or group.group_id, error.en, error.ko)


def _apply_group(
    group: GroupPlan,
    jira: JiraTracker,
    journal: Journal,
    result: ApplyResult,
    rec: WriteRecorder,
    records: _RecordBatch,
    editors: _Editors,
) -> None:
    gid = group.group_id
    if group.action == "create":
        with _recorded(rec, "create", gid, group.jira_fields(), gid) as where:
            issue_id, key = _safe_create(group, jira, journal, result)
            where[0] = key
        result.created[group.group_id] = key

        def record_created() -> None:
            if group.write_record:
                records.add(issue_id, key, group)

        editors.submit(group, lambda out: _apply_links(group, key, jira, out), record_created)
        return
    key = group.key or ""
    editors.submit(group, lambda out: _edit(group, key, jira, out), lambda: result.updated.append(key))


def _edit(group: GroupPlan, key: str, jira: JiraTracker, rec: WriteRecorder) -> None:
    # links first: the sync record, sent with the edit, then vouches for them
    _apply_links(group, key, jira, rec)
    if group.edits:
        record = group.record if group.write_record else None
        fields = group.jira_fields()
        payload = [fields, group.add_labels, record.model_dump() if record else None]
        with _recorded(rec, "update", key, payload, group.group_id):
            jira.update(key, fields, group.add_labels, record)


Job = Callable[[WriteRecorder], None]


class _Buffered:
    """A worker's writes, held until the calling thread records them (the recorders write SQLite)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any, str, str, str]] = []
        self.error: BaseException | None = None

    def write(
        self, kind: str, target: str, payload: Any, outcome: str, detail: str = "", group_id: str = ""
    ) -> None:
        self.events.append((kind, target, payload, outcome, detail, group_id))


class _Editors:
    """Runs each group's Jira edits (remote links, then the issue edit) on up to `workers` threads.

    A group's own writes stay in order on one thread; different groups' edits overlap, which is
    where a large incremental run spends its time (one round trip per edited issue). Each outcome is
    recorded, and its follow-up run, on the calling thread as it completes. With one worker, every
    job runs at once on the calling thread, exactly as if there were no pool.
    """

    def __init__(self, workers: int, rec: WriteRecorder, result: ApplyResult) -> None:
        self.rec, self.result = rec, result
        self.workers = workers
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="cxsync-jira") if workers > 1 else None
        self.running: dict[Future[_Buffered], tuple[GroupPlan, Callable[[], None]]] = {}

    def __enter__(self) -> _Editors:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            while self.running:
                self._collect(wait(self.running, return_when=FIRST_COMPLETED).done)
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, group: GroupPlan, job: Job, then: Callable[[], None]) -> None:
        if self.pool is None:
            job(self.rec)
            then()
            return
        if len(self.running) >= 2 * self.workers:  # bounded: the plan may hold thousands of edits
            self._collect(wait(self.running, return_when=FIRST_COMPLETED).done)
        self.running[self.pool.submit(_buffered, job)] = (group, then)

    def _collect(self, done: set[Future[_Buffered]]) -> None:
        for future in sorted(done, key=lambda f: self.running[f][0].group_id):
            group, then = self.running.pop(future)
            buffer = future.result()
            for event in buffer.events:
                self.rec.write(*event)
            if buffer.error is None:
                then()
            elif isinstance(buffer.error, CxsyncError):
                self.result.failures.append(_failure(group, buffer.error))
            else:
                raise buffer.error


def _buffered(job: Job) -> _Buffered:
    buffer = _Buffered()
    try:
        job(buffer)
    except BaseException as error:  # handed to the calling thread, which records and raises it
        buffer.error = error
    return buffer


class _RecordBatch:
    """Sync records of newly created issues, set once all their links are in.

    The record is what vouches for the links, so it goes last; a crash before it leaves the create's
    record (empty links hash) and the next run checks the links again. On Cloud the records are sent
    100 issues per request; elsewhere one PUT each, at once.
    """

    def __init__(self, jira: JiraTracker, rec: WriteRecorder, result: ApplyResult) -> None:
        self.jira, self.rec, self.result = jira, rec, result
        self.pending: list[tuple[str, str, GroupPlan]] = []

    def add(self, issue_id: str, key: str, group: GroupPlan) -> None:
        if not self.jira.bulk_records:
            with _recorded(self.rec, "record", key, group.record.model_dump(), group.group_id):
                self.jira.set_record(key, group.record)
            return
        self.pending.append((issue_id, key, group))
        if len(self.pending) >= RECORDS_PER_REQUEST:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            self.jira.set_records([(issue_id, group.record) for issue_id, _, group in batch])
        except CxsyncError as error:
            for _, key, group in batch:
                self.rec.write("record", key, group.record.model_dump(), "failed", error.en, group.group_id)
                self.result.failures.append(Failure(key, error.en, error.ko))
            return
        for _, key, group in batch:
            self.rec.write("record", key, group.record.model_dump(), "ok", "", group.group_id)


def _apply_links(group: GroupPlan, key: str, jira: JiraTracker, rec: WriteRecorder) -> None:
    for link in group.link_upserts:
        with _recorded(rec, "link", key, link.model_dump(), group.group_id):
            jira.upsert_link(key, link)
    for global_id in group.link_deletes:
        with _recorded(rec, "unlink", key, global_id, group.group_id):
            jira.delete_link(key, global_id)


def _safe_create(group: GroupPlan, jira: JiraTracker, journal: Journal, result: ApplyResult) -> tuple[str, str]:
    """Create the group's issue at most once, even across crashes, lost responses and search lag.

    The plan was made from a search of every cxsync label, so a group planned for creation had no
    issue then. That search can miss an issue a crashed earlier attempt created moments ago, since
    search lags behind writes: where the journal holds an intent, Jira is searched again once the
    lag has passed, reconciling the ids that attempt saw. The intent is journalled before each POST.
    A 429 was not executed and is resent; an unconfirmed POST (5xx, timeout, lost response) is
    resolved by waiting out the lag and looking, and resent only when Jira has no such issue.
    """
    assert group.create_fields is not None
    lag = search_lag_seconds()
    if journal.has_intent(group.group_id):
        found = _look(group, jira, journal, wait=max(0.0, lag - journal.intent_age(group.group_id)))
        if found is not None:
            result.adopted.append(found[1])
            return found
    # the links are posted after the create: an empty links hash makes a crash in between re-post them
    record = group.record.model_copy(update={"links_sha": ""})
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        journal.creating(group.group_id, group.label)
        try:
            issue_id, key = jira.create(group.jira_fields(), record)
        except CreateThrottled as throttled:
            if not jira.budget.wait(backoff(attempt, throttled.retry_after)):
                break
            continue
        except AmbiguousCreate:
            found = _look(group, jira, journal, wait=lag)
            if found is not None:
                return found
            continue
        journal.created(group.group_id, group.label, issue_id, key)
        return issue_id, key
    journal.unknown(group.group_id, group.label)
    raise AmbiguousCreate(
        f"Gave up creating the issue for group {group.group_id} after {CREATE_ATTEMPTS} attempts; the next run retries.",
        f"그룹 {group.group_id}의 이슈 생성을 {CREATE_ATTEMPTS}번 시도한 뒤 멈췄습니다. 다음 실행에서 다시 시도합니다.",
    )


def _look(group: GroupPlan, jira: JiraTracker, journal: Journal, wait: float) -> tuple[str, str] | None:
    """After `wait` seconds (the search lag), the (id, key) of the group's issue if Jira has one."""
    CLOCK.sleep(wait)
    found = jira.find_by_label(group.label, journal.known_issue_ids(group.group_id))
    if not found:
        return None
    journal.created(group.group_id, group.label, found[0].id, found[0].key)
    return found[0].id, found[0].key


def search_lag_seconds() -> float:
    """How long Jira search may lag behind a create (`CXSYNC_JIRA_SEARCH_LAG`, default 30 s)."""
    return float(os.environ.get("CXSYNC_JIRA_SEARCH_LAG", "30"))


def _write_back(
    change: WriteBackPlan, jira: JiraTracker, notion: NotionSource, result: ApplyResult, rec: WriteRecorder
) -> None:
    key = change.key or result.created.get(change.group_id)
    if key is None:
        rec.write("writeback", change.page_id, None, "skipped", "the group's issue was not created", change.group_id)
        result.failures.append(
            Failure(
                change.page_id,
                "not written back: the group's issue was not created",
                "기록하지 않음: 그룹의 이슈가 생성되지 않았습니다",
            )
        )
        return
    back = WriteBack(change.page_id, key, jira.browse_url(key), change.status)
    try:
        with _recorded(rec, "writeback", change.page_id, back.__dict__, change.group_id):
            notion.write_back(back)
        result.written_back += 1
    except CxsyncError as error:
        result.failures.append(Failure(change.page_id, error.en, error.ko))

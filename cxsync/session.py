"""Wire a mapping to live adapters: credentials from the environment, one API counter."""

from __future__ import annotations

import gc
import logging
import os
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cxsync import converged
from cxsync.adapters.counting import ApiCounter
from cxsync.adapters.jira_tracker import JiraTracker
from cxsync.adapters.notion_source import NotionSource
from cxsync.adapters.pacing import RetryBudget
from cxsync.apply import ApplyResult, Recorders, apply_plan
from cxsync.audit import AuditLog
from cxsync.cache import SyncCache, mapping_fingerprint, private_copy
from cxsync.config import LoadedMapping, jira_credentials, notion_credentials
from cxsync.errors import BusyError, CxsyncError
from cxsync.grouping.countcache import FileBlobStore
from cxsync.heap import frozen, loaded_and_frozen
from cxsync.incremental import IncrementalReader, Inputs
from cxsync.journal import Journal, state_dir
from cxsync.lock import run_lock
from cxsync.notify import Notice, notices
from cxsync.plan import Plan
from cxsync.planner import make_plan
from cxsync.progress import Progress, observed, phase


@dataclass
class Session:
    loaded: LoadedMapping
    counter: ApiCounter = field(default_factory=ApiCounter)
    budget: RetryBudget = field(default_factory=RetryBudget)
    _notion: NotionSource | None = None
    _jira: JiraTracker | None = None
    progress: Progress | None = None
    full: bool = False  # read everything instead of what changed since the last run
    private_cache: bool = False  # read through a copy of the cache, leaving a running sync's watermarks alone
    recreate_missing: bool = False  # the last plan's: a deleted issue's group gets a new one
    _reader: IncrementalReader | None = None

    def __post_init__(self) -> None:
        if self.progress is not None:
            self.counter = observed(self.counter, self.progress)

    @property
    def notion(self) -> NotionSource:
        if self._notion is None:
            creds = notion_credentials(os.environ)
            self._notion = NotionSource(creds, self.loaded.mapping.notion, self.counter, self.budget)
        return self._notion

    @property
    def jira(self) -> JiraTracker:
        if self._jira is None:
            creds = jira_credentials(os.environ)
            self._jira = JiraTracker(creds, self.loaded.mapping.jira, self.counter, self.budget)
        return self._jira

    @property
    def reader(self) -> IncrementalReader:
        if self._reader is None:
            mapping = self.loaded.mapping
            parts = {  # what the cached rows were read with: other settings can change without a rescan
                "notion": mapping.notion.model_dump(mode="json"),
                "jira": mapping.jira.model_dump(mode="json", include={"project", "label_prefix", "demand_fields"}),
                "notion_site": notion_credentials(os.environ).base_url,
                "jira_site": jira_credentials(os.environ).url,
            }
            path = private_copy(self.loaded.name) if self.private_cache else None
            cache = SyncCache(self.loaded.name, mapping_fingerprint(parts), path)
            self._reader = IncrementalReader(self.notion, self.jira, cache, full=self.full)
        return self._reader

    def check_credentials(self) -> None:
        """Fail early, before any network call, when a secret is missing."""
        notion_credentials(os.environ)
        jira_credentials(os.environ)

    def plan(self, *, recreate_missing: bool = False, carry_unchanged: bool = False) -> Plan:
        """Read what changed and plan. With `carry_unchanged`, when nothing a plan reads has changed since
        a run that found nothing to do, that run's plan is returned without its unchanged groups (see
        `cxsync.converged`): a scheduled no-op then costs its reads only."""
        self.check_credentials()
        self.recreate_missing = recreate_missing
        with phase(self.progress, "read"):
            reader = self.reader
            reader.refresh()
            today = datetime.now(UTC).date()
            if carry_unchanged:
                carried = converged.recall(reader.cache, self._converged_key(today), reader.stats)
                if carried is not None:
                    return carried
            with loaded_and_frozen(reader.load) as inputs:
                return self._make_plan(inputs, today)

    def confirm_converged(self) -> bool:
        """After a run that wrote and settled: plan once more from what the cache read back (no new reads).

        True when nothing is left to do; that plan is then kept, so the next runs carry it forward for
        as long as nothing changes. False when writes remain (someone edited during the run, or search
        had not caught up with the last writes): the next run plans in full.
        """
        gc.collect()  # what the run held is garbage now; free it before holding everything again
        try:
            with phase(self.progress, "read"), loaded_and_frozen(self.reader.load) as inputs:
                return not self._make_plan(inputs, datetime.now(UTC).date()).has_changes
        except CxsyncError as problem:  # the writes are done; only the next run's shortcut is lost
            logging.getLogger("cxsync").warning("could not confirm that the run converged: %s", problem.en)
            return False

    def _make_plan(self, inputs: Inputs, today: date) -> Plan:
        reader = self.reader
        looked_up: list[str] = []
        plan = make_plan(
            self.loaded,
            self.notion,
            self.jira,
            recreate_missing=self.recreate_missing,
            inputs=inputs,
            read_links=reader.read_links,
            memo=reader.cache,
            counts=FileBlobStore(state_dir() / f"{self.loaded.name}.grouping"),
            looked_up=looked_up,
            today=today,
            plans=reader.cache,
        )
        if looked_up:
            converged.forget(reader.cache)
        else:
            converged.remember(reader.cache, self._converged_key(today), plan)
        return plan

    def _converged_key(self, today: date) -> str:
        name = self.loaded.mapping.grouping.overrides_file
        inputs = {
            "mapping": self.loaded.mapping.model_dump(mode="json"),
            "recreate_missing": self.recreate_missing,
            "data_source": self.notion.schema().data_source_id,
            "fields": self.jira.field_ids(),
            "markup": self.jira.markup,
        }
        return converged.converged_key(
            self.reader.cache, inputs, self.loaded.path.parent / name if name else None, today
        )

    def _settle(self) -> None:
        """Move the watermarks past this run's writes; if that fails, the next run reads a wider window."""
        try:
            self.reader.settle()
        except CxsyncError as problem:
            logging.getLogger("cxsync").warning("could not settle the incremental cache: %s", problem.en)

    def notices(self, since: datetime) -> list[Notice]:
        """Requesters of issues shipped since `since` (reads Notion and Jira, writes nothing)."""
        self.check_credentials()
        entries, _ = self.notion.read()
        return notices(self.jira.managed_issues(), entries, self.loaded.mapping.jira, since)

    def preview(self) -> AbstractContextManager[Any]:
        """For plan and report: the run lock when it is free; while a sync holds it, a private copy of
        the cache, so the preview can neither disturb the sync's watermarks nor be refused."""
        stack = ExitStack()
        try:
            stack.enter_context(self.locked())
        except BusyError:
            self.private_cache = True
        return stack

    def locked(self) -> AbstractContextManager[None]:
        """Hold this mapping's run lock (for plan + apply together)."""
        return run_lock(state_dir() / f"{self.loaded.name}.lock")

    def apply(self, plan: Plan, command: str = "apply") -> ApplyResult:
        """Apply `plan`, recording the run (inputs, grouping decisions, every write) in the audit log."""
        journal = Journal(self.loaded.name)
        audit = AuditLog(self.loaded.name, command, extra_patterns=self.loaded.mapping.privacy.extra_patterns)
        result: ApplyResult | None = None
        error = ""
        try:
            with frozen():  # the plan and the rows it was made from are held until the run ends
                audit.start(plan, str(self.loaded.path))
                with phase(self.progress, "write", plan.writes):
                    result = apply_plan(plan, self.jira, self.notion, journal, Recorders(audit, self.reader))
                if result.ok:
                    self._settle()
            return result
        except BaseException as failure:
            error = f"{type(failure).__name__}: {getattr(failure, 'en', failure)}"
            raise
        finally:
            try:
                audit.finish(plan, result, error)
            finally:
                audit.close()
                journal.close()

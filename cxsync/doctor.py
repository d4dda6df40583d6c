"""`cxsync doctor`: check tokens, access and permissions before a scheduler finds out the hard way.

Each check gives one line; a failed check names the problem and what to do. Nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from cxsync.adapters.counting import ApiCounter
from cxsync.adapters.jira_createmeta import create_screen_fields, issue_type_id, off_screen
from cxsync.adapters.jira_tracker import JiraTracker
from cxsync.adapters.notion_source import NotionSource
from cxsync.adapters.pacing import RetryBudget
from cxsync.config import LoadedMapping, jira_credentials, notion_credentials
from cxsync.errors import ConfigError, CxsyncError, ExitCode

T = TypeVar("T")
DOCTOR_RETRY_SECONDS = 5.0
JIRA_PERMISSIONS = {
    "BROWSE_PROJECTS": "browse the project (find cxsync's issues)",
    "CREATE_ISSUES": "create issues",
    "EDIT_ISSUES": "edit issues (demand, description block, labels, issue property)",
    "LINK_ISSUES": "link issues (remote links to the Notion evidence)",
}


@dataclass(frozen=True)
class Check:
    ok: bool
    line: str
    exit_code: ExitCode = ExitCode.OK

    def render(self) -> str:
        return ("ok    " if self.ok else "FAIL  ") + self.line


def _fail(error: CxsyncError, prefix: str) -> list[Check]:
    checks = [Check(False, f"{prefix}: {error.en}" + (f" ({error.hint_en})" if error.hint_en else ""), error.exit_code)]
    if isinstance(error, ConfigError):
        checks += [Check(False, f"{prefix}: {problem}", error.exit_code) for problem in error.problems]
    return checks


def _attempt(prefix: str, action: Callable[[], T], checks: list[Check]) -> T | None:
    try:
        return action()
    except CxsyncError as error:
        checks.extend(_fail(error, prefix))
        return None


def run_checks(loaded: LoadedMapping, env: Mapping[str, str] | None = None) -> list[Check]:
    env = dict(os.environ if env is None else env)
    checks: list[Check] = []
    notion_creds = _attempt("notion token", lambda: notion_credentials(env), checks)
    jira_creds = _attempt("jira credentials", lambda: jira_credentials(env), checks)
    if notion_creds is not None:
        checks.append(Check(True, "notion token: NOTION_TOKEN is set"))
        checks += _notion_checks(loaded, NotionSource(notion_creds, loaded.mapping.notion, ApiCounter(), _budget()))
    if jira_creds is not None:
        checks.append(Check(True, f"jira credentials: {jira_creds.flavor} ({jira_creds.url})"))
        counter = ApiCounter()
        tracker = _attempt(
            "jira connectivity",
            lambda: JiraTracker(jira_creds, loaded.mapping.jira, counter, _budget()),
            checks,
        )
        if tracker is not None:
            checks += _jira_checks(loaded, tracker)
    return checks


def _budget() -> RetryBudget:
    return RetryBudget(DOCTOR_RETRY_SECONDS)


def _notion_checks(loaded: LoadedMapping, source: NotionSource) -> list[Check]:
    checks: list[Check] = []
    me = _attempt("notion connectivity", lambda: source._call(lambda: source.client.users.me()), checks)
    if me is None:
        return checks
    bot = me.get("name") if isinstance(me, dict) else None
    checks.append(Check(True, f"notion connectivity: token accepted (integration {bot or '?'})"))
    where = loaded.mapping.notion.data_source_id or loaded.mapping.notion.database_id
    schema = _attempt(f"notion access to {where}", source.schema, checks)
    if schema is None:
        checks.append(
            Check(
                False,
                f"notion access to {where}: the database is not shared with the integration or the id is wrong "
                "(open it in Notion → ••• → Connections → add the integration)",
                ExitCode.CONFIG,
            )
        )
        return checks
    checks.append(Check(True, f"notion access: data source {schema.title!r} ({schema.data_source_id}) is shared"))
    problems = source.schema_problems()
    checks += [Check(False, f"notion schema: {p}", ExitCode.CONFIG) for p in problems]
    if not problems:
        checks.append(Check(True, f"notion schema: all {len(loaded.mapping.notion.properties.used())} mapped properties fit"))
    return checks


def _jira_checks(loaded: LoadedMapping, tracker: JiraTracker) -> list[Check]:
    checks: list[Check] = []
    settings = loaded.mapping.jira
    me = _attempt("jira authentication", lambda: tracker._call(tracker.jira.myself), checks)
    if me is None:
        return checks
    checks.append(Check(True, f"jira authentication: signed in as {me.get('displayName', '?')}"))
    project = _attempt("jira project", lambda: tracker._call(lambda: tracker.jira.project(settings.project)), checks)
    if project is None:
        checks.append(
            Check(False, f"jira project: {settings.project} does not exist or this account cannot see it", ExitCode.CONFIG)
        )
        return checks
    types = [str(t.name) for t in getattr(project, "issueTypes", [])]
    if settings.issue_type in types:
        checks.append(Check(True, f"jira project: {settings.project} has issue type {settings.issue_type!r}"))
    else:
        checks.append(
            Check(
                False,
                f"jira issue type: {settings.issue_type!r} is not an issue type of {settings.project} "
                f"(it has: {', '.join(types) or 'none'})",
                ExitCode.CONFIG,
            )
        )
    granted: dict[str, Any] | None = _attempt(
        "jira permissions",
        lambda: tracker._call(
            lambda: tracker.jira.my_permissions(projectKey=settings.project, permissions=",".join(JIRA_PERMISSIONS))
        ),
        checks,
    )
    if granted is not None:
        perms = granted.get("permissions", {})
        for key, what in JIRA_PERMISSIONS.items():
            have = bool(perms.get(key, {}).get("havePermission"))
            checks.append(
                Check(True, f"jira permission {key}: granted")
                if have
                else Check(False, f"jira permission {key}: missing — cxsync cannot {what} in {settings.project}", ExitCode.AUTH)
            )
    fields = _attempt("jira demand fields", tracker.field_ids, checks)
    if fields:
        checks.append(Check(True, f"jira demand fields: {', '.join(f'{r}={i}' for r, i in sorted(fields.items()))}"))
        if settings.issue_type in types:
            checks += _create_screen_checks(tracker, settings.project, settings.issue_type, fields)
    return checks


def _create_screen_checks(tracker: JiraTracker, project: str, issue_type: str, fields: dict[str, str]) -> list[Check]:
    """Every demand field must be on the create screen, or every create fails."""
    checks: list[Check] = []
    where = f"{project} / {issue_type}"
    screen = _attempt(
        "jira create screen",
        lambda: create_screen_fields(tracker, project, issue_type_id(tracker, project, issue_type)),
        checks,
    )
    if screen is None:
        return checks
    missing = off_screen(fields, screen)
    checks += [
        Check(
            False,
            f"jira create screen: demand field {role} ({field_id}) is not on the create screen of {where} — "
            "creates would fail; add it to the screen or remove it from jira.demand_fields",
            ExitCode.CONFIG,
        )
        for role, field_id in sorted(missing.items())
    ]
    if not missing:
        checks.append(Check(True, f"jira create screen: all {len(fields)} demand fields are on the create screen of {where}"))
    return checks


def exit_code(checks: list[Check]) -> int:
    failed = [c.exit_code for c in checks if not c.ok]
    return int(failed[0] or ExitCode.ERROR) if failed else 0

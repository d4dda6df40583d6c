"""Optional run summary to Slack, through an incoming webhook (`CXSYNC_SLACK_WEBHOOK_URL`; off when unset).

After `sync` or `apply` (never `plan` or `report`), one message says what the run did: new groups,
issues created and updated, issues that shipped since the last summary, merges and splits, failures
(see `cxsync.slack_message`). A run with nothing to report sends nothing.

"Shipped" is what `cxsync notify-list` calls shipped: a cxsync issue in a done status that maps to
the Notion "done" status (so "Won't Do" is not shipped), resolved since the last summary. The time
of each summary is kept as a journal mark; the first run with a webhook only sets it.

The webhook URL is a secret (whoever has it can post to the channel): it is registered with
`cxsync.redact` as soon as it is read, with its path and its last segment, so no message, log line
(`--debug` included) or error shows it. Slack failing must not fail the sync: every problem (a bad
URL, Slack unreachable or answering an error) becomes one warning on stderr, and the exit code is
the sync's own. The mark moves only when the message was delivered, so a shipped issue is announced
by the next summary that gets through.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests

from cxsync.adapters.jira_tracker import JiraTracker
from cxsync.apply import ApplyResult
from cxsync.config import JiraSettings
from cxsync.errors import ConfigError, CxsyncError, RemoteError
from cxsync.journal import Journal
from cxsync.models import ActualIssue
from cxsync.notify import is_shipped, parse_jira_time
from cxsync.plan import Plan
from cxsync.redact import redact, register_secret
from cxsync.slack_message import build_message, summarise

if TYPE_CHECKING:
    from cxsync.session import Session

ENV = "CXSYNC_SLACK_WEBHOOK_URL"
MARK = "slack.summary_at"
TIMEOUT = (5.0, 10.0)  # connect, read
ATTEMPTS = 2
MAX_WAIT = 5.0


def webhook_url(env: Mapping[str, str]) -> str | None:
    """The webhook URL from the environment (None when unset), registered as a secret first."""
    raw = env.get(ENV, "").strip()
    if not raw:
        return None
    register_secret(raw)
    try:
        parts = urlsplit(raw)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = urlsplit("")
    register_secret(parts.path)
    register_secret(parts.path.rstrip("/").rsplit("/", 1)[-1])
    register_secret(parts.query)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(
            f"{ENV} is not an http(s) URL.",
            f"{ENV}이(가) http(s) URL이 아닙니다.",
            hint_en="copy the webhook URL from the Slack app's Incoming Webhooks page",
            hint_ko="Slack 앱의 Incoming Webhooks 페이지에서 웹훅 URL을 복사하세요",
        )
    return raw


def post(url: str, payload: dict[str, object]) -> None:
    """POST the message; Slack answers 200 `ok`. One retry for throttling, 5xx and lost connections."""
    host = urlsplit(url).hostname
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = requests.post(url, json=payload, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as error:
            if attempt < ATTEMPTS:
                time.sleep(1.0)
                continue
            raise RemoteError(
                f"Cannot reach the Slack webhook at {host} ({type(error).__name__}).",
                f"Slack 웹훅({host})에 연결할 수 없습니다 ({type(error).__name__}).",
            ) from None
        if response.status_code == 200:
            return
        retry = response.status_code == 429 or response.status_code >= 500
        if retry and attempt < ATTEMPTS:
            time.sleep(min(MAX_WAIT, _seconds(response.headers.get("Retry-After"))))
            continue
        detail = redact(response.text.strip()[:120]) or "(no body)"
        raise RemoteError(
            f"The Slack webhook answered HTTP {response.status_code}: {detail}.",
            f"Slack 웹훅이 HTTP {response.status_code}(으)로 응답했습니다: {detail}.",
            hint_en="no_service / channel_not_found: the webhook was removed; channel_is_archived: pick another channel",
            hint_ko="no_service / channel_not_found: 웹훅이 삭제됨, channel_is_archived: 다른 채널을 고르세요",
        )


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value or 1))
    except ValueError:
        return 1.0


def shipped_since(jira: JiraTracker, settings: JiraSettings, since: datetime) -> list[ActualIssue]:
    """cxsync issues resolved into a shipped status at or after `since`, oldest first (one search)."""
    minutes = max(1, math.ceil((datetime.now(UTC) - since).total_seconds() / 60) + 1)
    jql = (
        f'project = "{settings.project}" AND labels = "{settings.label_prefix}" '
        f'AND statusCategory = Done AND resolved >= "-{minutes}m" ORDER BY created ASC'
    )
    found = []
    for issue in jira.search(jql):
        resolved = parse_jira_time(issue.resolved or "")
        if is_shipped(issue, settings) and resolved is not None and resolved >= since:
            found.append((resolved, issue))
    return [issue for _, issue in sorted(found, key=lambda pair: (pair[0], pair[1].key))]


def announce(
    session: Session,
    plan: Plan,
    result: ApplyResult,
    *,
    command: str,
    lang: str,
    warn: Callable[[str], None],
    env: Mapping[str, str] | None = None,
) -> bool:
    """Post the run summary when a webhook is configured. True when a message was delivered.

    Never raises a CxsyncError: a problem is passed to `warn` as one line, secrets masked.
    """
    try:
        url = webhook_url(os.environ if env is None else env)
        if url is None:
            return False
        journal = Journal(session.loaded.name)
        try:
            return _announce(url, journal, session, plan, result, command, lang)
        finally:
            journal.close()
    except CxsyncError as error:
        warn(redact(_warning(lang, error.message(lang))))
        return False


def _announce(
    url: str, journal: Journal, session: Session, plan: Plan, result: ApplyResult, command: str, lang: str
) -> bool:
    settings = session.loaded.mapping.jira
    last = journal.mark(MARK)
    checked_at = datetime.now(UTC)
    shipped = shipped_since(session.jira, settings, datetime.fromisoformat(last)) if last else []
    summary = summarise(plan, result, shipped, session.jira.url, command, session.counter.writes())
    if not summary.is_empty:
        post(url, build_message(summary, lang))
    journal.set_mark(MARK, checked_at.isoformat())
    return not summary.is_empty


def _warning(lang: str, reason: str) -> str:
    if lang == "ko":
        return f"cxsync: 경고: Slack 실행 요약을 보내지 못했습니다 (동기화 결과와 종료 코드는 그대로입니다): {reason}"
    return f"cxsync: warning: the Slack run summary was not sent (the sync and its exit code are unaffected): {reason}"

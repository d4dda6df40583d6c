"""The audit trail: an append-only JSON Lines log of what every `sync`/`apply` run decided and did.

One file, `<state dir>/audit.jsonl`; each line is one event of one run and carries `run`, the run id.
Events, in order: `run_start`, `inputs`, one `group` per planned group (members with score and
reason; an unchanged group already logged with the same decision is not repeated), `override` and `skipped` for entries an override or a read problem placed, one `write` per
write apply attempted (target, sha256 of the payload, outcome), and `run_end` with the summary.
Payloads are only hashed; customer text passes through the PII redaction, and every line through
the secret masking, before it is written. Lines are never rewritten; `cxsync history` and
`cxsync explain` read them back. Schema: docs/audit-log.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cxsync import __version__
from cxsync.apply import ApplyResult
from cxsync.audit_index import DecisionIndex, decision_digest
from cxsync.journal import state_dir
from cxsync.pii import make_redactor
from cxsync.plan import Plan
from cxsync.redact import redact

AUDIT_VERSION = 1
TEXT_LIMIT = 200  # characters of (redacted) customer text kept per member


def audit_path() -> Path:
    return state_dir() / "audit.jsonl"


def payload_sha256(payload: Any) -> str:
    """A stable hash of a write's payload (canonical JSON), so a write can be matched without storing it."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


_SLUG = re.compile(r"/[^/?#]*?([0-9a-fA-F]{32})(?=[?#]|$)")


def page_url(url: str) -> str:
    """A Notion page URL without its title slug (titles are customer text): https://…/<32 hex id>."""
    return _SLUG.sub(lambda m: "/" + m.group(1), url.split("?")[0])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AuditLog:
    """Records one run. Every event is appended and flushed at once, so a crash leaves what happened so far."""

    def __init__(
        self,
        mapping: str,
        command: str,
        *,
        path: Path | None = None,
        extra_patterns: Iterable[str] = (),
    ) -> None:
        self.path = path or audit_path()
        self.mapping = mapping
        self.command = command
        self.run_id = new_run_id(datetime.now(UTC))
        patterns = list(extra_patterns)
        self._redact_text: Callable[[str], str] = make_redactor(True, patterns)
        self._context = json.dumps([AUDIT_VERSION, TEXT_LIMIT, sorted(patterns)])  # what shapes a group event
        self._index = DecisionIndex(self.path, mapping)
        self._decisions: dict[str, str] | None = None  # to record as logged once the log is closed
        self._seq = 0
        self._writes = 0
        self._handle: IO[str] | None = None

    # -- writing ---------------------------------------------------------------------------------
    def _emit(self, event_type: str, /, **data: Any) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._handle = os.fdopen(fd, "a", encoding="utf-8")
        self._seq += 1
        event = {"v": AUDIT_VERSION, "run": self.run_id, "seq": self._seq, "at": _now(), "type": event_type, **data}
        line = json.dumps(event, ensure_ascii=False, default=str, separators=(",", ":"))
        self._handle.write(redact(line) + "\n")  # secrets masked even if one slipped into a message
        self._handle.flush()

    def _text(self, text: str) -> str:
        clean = self._redact_text(text)
        return clean if len(clean) <= TEXT_LIMIT else clean[: TEXT_LIMIT - 1] + "…"

    def start(self, plan: Plan, mapping_path: str) -> None:
        """The run's inputs and every grouping decision, before anything is written; an unchanged group
        whose decision is the one this log last recorded is not repeated (`cxsync.audit_index`)."""
        logged = self._index.logged()
        decisions = {} if plan.carried is None else dict(logged)
        repeated = 0
        shown = []
        for group in plan.groups:
            digest = decision_digest(group, self._context)
            decisions[group.group_id] = digest
            if group.action == "unchanged" and logged.get(group.group_id) == digest:
                repeated += 1
            else:
                shown.append(group)
        self._decisions = decisions
        self._emit(
            "run_start",
            command=self.command,
            mapping=self.mapping,
            mapping_path=mapping_path,
            cxsync=__version__,
            data_source_id=plan.data_source_id,
            jira_project=plan.jira_project,
            jira_url=plan.jira_url,
            planned_at=plan.created_at.isoformat(),
        )
        self._emit(
            "inputs",
            entries=plan.entry_count,
            skipped=len(plan.skipped),
            groups=plan.group_count,
            carried=plan.carried.model_dump(mode="json") if plan.carried else None,
            orphans=[o.model_dump() for o in plan.orphans],
            drift=[d.model_dump() for d in plan.drift],
            watermark=plan.fingerprint,
            reads=dict(plan.reads),
            departed=[{"page_id": d.page_id, "jira_key": d.jira_key, "reason": d.reason_en} for d in plan.departed],
            planned=plan.summary(),
            not_repeated=repeated,
        )
        for group in shown:
            self._emit(
                "group",
                group_id=group.group_id,
                key=group.key,
                action=group.action,
                need_tag=group.need_tag,
                summary=self._text(group.summary),
                demand={
                    "requests": group.demand.requests,
                    "customers": group.demand.customers,
                    "companies": group.demand.companies,
                },
                changes=[c.field for c in group.changes],
                notes=[self._text(n) for n in group.notes],
                members=[
                    {
                        "page_id": m.page_id,
                        "url": page_url(m.url),
                        "customer": m.customer,
                        "company": m.company,
                        "score": round(m.score, 4),
                        "reason": m.reason,
                        "text": self._text(m.text),
                    }
                    for m in group.members
                ],
            )
            for member in group.members:
                if "override" in member.reason:
                    self._emit(
                        "override",
                        page_id=member.page_id,
                        group_id=group.group_id,
                        reason=member.reason,
                        source="notion group-override property or grouping.overrides_file",
                    )
        for entry in plan.skipped:
            self._emit("skipped", page_id=entry.page_id, url=page_url(entry.url), reason=self._text(entry.reason_en))

    def write(self, kind: str, target: str, payload: Any, outcome: str, detail: str = "", group_id: str = "") -> None:
        """One write apply attempted: `kind` (create, update, link, unlink, record, writeback), its target."""
        self._writes += 1
        self._emit(
            "write",
            kind=kind,
            target=target,
            group_id=group_id,
            sha256=payload_sha256(payload),
            outcome=outcome,
            detail=self._text(detail),
        )

    def finish(self, plan: Plan, result: ApplyResult | None, error: str = "") -> None:
        outcome = "error" if result is None else "ok" if result.ok else "partial"
        summary: dict[str, Any] = {"planned": plan.summary(), "writes_attempted": self._writes}
        if result is not None:
            summary |= {
                "created": len(result.created),
                "updated": len(result.updated),
                "adopted": len(result.adopted),
                "written_back": result.written_back,
                "failures": [{"target": f.target, "message": self._text(f.message_en)} for f in result.failures],
            }
        self._emit("run_end", outcome=outcome, error=self._text(error), summary=summary)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._decisions is not None:
            self._index.save(self._decisions)
            self._decisions = None


# -- reading ---------------------------------------------------------------------------------------


def read_events(path: Path | None = None) -> Iterator[dict[str, Any]]:
    """Every event in the log, oldest first; a torn last line (crash mid-write) is skipped."""
    path = path or audit_path()
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict) and "run" in event:
                yield event


@dataclass
class Run:
    run_id: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def first(self, kind: str) -> dict[str, Any]:
        return next((e for e in self.events if e.get("type") == kind), {})

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]

    @property
    def start(self) -> dict[str, Any]:
        return self.first("run_start")

    @property
    def end(self) -> dict[str, Any]:
        return self.first("run_end")

    @property
    def started_at(self) -> str:
        return str(self.start.get("at") or (self.events[0].get("at") if self.events else ""))

    @property
    def outcome(self) -> str:
        return str(self.end.get("outcome", "incomplete"))


def load_runs(path: Path | None = None) -> list[Run]:
    """Every run in the log, in the order they started: the order of their first lines (the log is only
    appended to; two runs started in the same second would not be told apart by their times)."""
    runs: dict[str, Run] = {}
    for event in read_events(path):
        runs.setdefault(str(event["run"]), Run(str(event["run"]))).events.append(event)
    return list(runs.values())


# -- explain ---------------------------------------------------------------------------------------

_KEY = re.compile(r"(?:/browse/)?([A-Z][A-Z0-9_]{0,9}-\d+)/?$")
_HEX32 = re.compile(r"([0-9a-fA-F]{32})(?:[?#].*)?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def parse_target(text: str) -> tuple[str, str] | None:
    """("issue", KEY) or ("entry", dashed page id) from a Jira key/URL or a Notion page id/URL."""
    text = text.strip()
    if _UUID.match(text):
        return "entry", text.lower()
    compact = _HEX32.search(text.replace("-", "")) if "notion" in text or len(text.replace("-", "")) == 32 else None
    if compact:
        h = compact.group(1).lower()
        return "entry", f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    key = _KEY.search(text)
    if key:
        return "issue", key.group(1)
    return None


def _keys_of_group(runs: list[Run], group_id: str) -> list[str]:
    keys: list[str] = []
    for run in runs:
        for e in run.of("group"):
            if e.get("group_id") == group_id and e.get("key") and e["key"] not in keys:
                keys.append(str(e["key"]))
        for e in run.of("write"):
            created = e.get("kind") == "create" and e.get("outcome") == "ok" and e.get("group_id") == group_id
            if created and e["target"] not in keys:
                keys.append(str(e["target"]))
    return keys


def explain_entry(runs: list[Run], page_id: str) -> list[str]:
    """Why this entry is in its group, from the latest run that saw it; empty if no run did."""
    seen = [
        (run, g, m) for run in runs for g in run.of("group") for m in g.get("members", []) if m["page_id"] == page_id
    ]
    if not seen:
        skipped = [(run, e) for run in runs for e in run.of("skipped") if e.get("page_id") == page_id]
        if skipped:
            run, e = skipped[-1]
            return [f"entry {page_id}", f"  not grouped in run {run.run_id} ({run.started_at}): {e.get('reason')}"]
        return []
    run, group, member = seen[-1]
    first_run, _, first_member = next(item for item in seen if item[1].get("group_id") == group["group_id"])
    keys = _keys_of_group(runs, str(group["group_id"]))
    lines = [
        f"entry {page_id}",
        f"  {member.get('customer') or '-'} · {member.get('company') or '-'} · {member['url']}",
        f"  text: {' '.join(str(member.get('text', '')).split())}",
        f"  group {group['group_id']} ({group.get('need_tag') or '-'}): {group.get('summary', '')}",
        f"  issue: {', '.join(keys) or '(not created yet)'}",
        f"  why: score {member['score']:.2f}: {member['reason']}",
        *(
            [f"  first grouped: score {first_member['score']:.2f}: {first_member['reason']}"]
            if first_member["reason"] != member["reason"]
            else []
        ),
        f"  in this group since run {first_run.run_id} ({first_run.started_at}); decision last recorded in run {run.run_id}",
    ]
    others = [m for m in group.get("members", []) if m["page_id"] != page_id]
    if others:
        lines.append(f"  grouped with {len(others)} other request(s):")
        lines += [
            f"    - {m['page_id']} {m.get('customer') or '-'} ({m.get('company') or '-'}): "
            f"{m['reason']} [{m['score']:.2f}]"
            for m in others[:8]
        ]
        if len(others) > 8:
            lines.append(f"    … and {len(others) - 8} more")
    writes = [(r, w) for r in runs for w in r.of("write") if w.get("target") == page_id]
    for r, w in writes:
        lines.append(f"  {w['at']} run {r.run_id}: {w['kind']} → {w['outcome']} (sha256 {w['sha256'][:12]})")
    return lines


def explain_issue(runs: list[Run], key: str) -> list[str]:
    """What made this issue: the run and group that created it, and its current members."""
    group_ids: list[str] = []
    for run in runs:
        for e in run.of("group"):
            if e.get("key") == key and e["group_id"] not in group_ids:
                group_ids.append(str(e["group_id"]))
        for e in run.of("write"):
            if e.get("target") == key and e.get("group_id") and e["group_id"] not in group_ids:
                group_ids.append(str(e["group_id"]))
    if not group_ids:
        return []
    lines = [f"issue {key}"]
    created = [(r, w) for r in runs for w in r.of("write") if w.get("kind") == "create" and w.get("target") == key]
    if created:
        r, w = created[0]
        lines.append(
            f"  created {w['at']} by `cxsync {r.start.get('command', '?')}` (run {r.run_id}, mapping "
            f"{r.start.get('mapping', '?')}) from group {w.get('group_id')} — {w['outcome']}"
        )
    else:
        lines.append("  not created by a run in this log (adopted or created before the log began)")
    latest = [(r, g) for r in runs for g in r.of("group") if g["group_id"] in group_ids]
    if latest:
        r, g = latest[-1]
        d = g.get("demand", {})
        lines.append(f"  group {g['group_id']} ({g.get('need_tag') or '-'}): {g.get('summary', '')}")
        lines.append(
            f"  demand (run {r.run_id}): {d.get('requests')} request(s), {d.get('customers')} customer(s), "
            f"{d.get('companies')} compan(y/ies)"
        )
        lines.append("  requests:")
        lines += [
            f"    - {m['page_id']} {m.get('customer') or '-'} ({m.get('company') or '-'}): "
            f"{m['reason']} [{m['score']:.2f}] {' '.join(str(m.get('text', '')).split())[:60]}"
            for m in g.get("members", [])
        ]
    history = [(r, w) for r in runs for w in r.of("write") if w.get("target") == key and w.get("kind") != "create"]
    if history:
        lines.append("  writes:")
        lines += [f"    {w['at']} run {r.run_id}: {w['kind']} → {w['outcome']}" for r, w in history[-12:]]
    return lines


def history_rows(runs: list[Run]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        summary = run.end.get("summary", {})
        planned = summary.get("planned", run.first("inputs").get("planned", {}))
        rows.append(
            {
                "run": run.run_id,
                "started": run.started_at,
                "ended": run.end.get("at"),
                "command": run.start.get("command"),
                "mapping": run.start.get("mapping"),
                "outcome": run.outcome,
                "entries": run.first("inputs").get("entries"),
                "groups": run.first("inputs").get("groups"),
                "created": summary.get("created", 0),
                "updated": summary.get("updated", 0),
                "unchanged": planned.get("unchanged", 0),
                "written_back": summary.get("written_back", 0),
                "writes": summary.get("writes_attempted", 0),
                "failures": len(summary.get("failures", [])),
            }
        )
    return rows

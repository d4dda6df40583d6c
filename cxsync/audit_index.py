"""Which grouping decisions the audit log already holds, so an hourly sync does not repeat them.

A large database's groups are nearly all unchanged from one run to the next; logging each of them
again (every member, with its text) would grow the log by tens of megabytes an hour at 100,000 entries.
An unchanged group whose decision (action, issue, summary, demand, members with score and reason) is
the one last logged is therefore left out; `cxsync explain` finds it in the run that logged it.

The index sits next to the log (`audit.index.json`) and holds, per mapping, a digest of each group's
last logged decision, with the log file's identity and size when the index was written. A log that was
rotated, truncated or replaced since does not match, and every decision is logged again; so is
everything when the index is lost or unreadable. Digests only, never text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cxsync.plan import GroupPlan

INDEX_VERSION = 1


def decision_digest(group: GroupPlan, context: str) -> str:
    """A digest of what the audit log's `group` event says about `group` (before redaction; `context`
    names the redaction rules, which change what the event holds)."""
    members = [(m.page_id, m.url, m.customer, m.company, round(m.score, 4), m.reason, m.text) for m in group.members]
    demand = group.demand
    decision = [
        context,
        group.group_id,
        group.key,
        group.action,
        group.need_tag,
        group.summary,
        [demand.requests, demand.customers, demand.companies],
        [c.field for c in group.changes],
        group.notes,
        members,
    ]
    text = json.dumps(decision, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


class DecisionIndex:
    def __init__(self, log: Path, mapping: str) -> None:
        self.log = log
        self.path = log.with_name(log.stem + ".index.json")
        self.mapping = mapping

    def logged(self) -> dict[str, str]:
        """Group id → digest of its decision as last logged, for a log that is still the one indexed."""
        data = self._read()
        current = _identity(self.log)
        if current is None or _identity_changed(data, current):
            return {}
        groups = (data.get("mappings") or {}).get(self.mapping) or {}
        return {str(k): str(v) for k, v in groups.items()}

    def save(self, decisions: dict[str, str]) -> None:
        """Record this mapping's decisions as logged, with the log as it is now (call once it is closed)."""
        current = _identity(self.log)
        if current is None:
            return
        data = self._read()
        mappings: dict[str, Any] = data["mappings"] if isinstance(data.get("mappings"), dict) else {}
        if _identity_changed(data, current):
            mappings = {}  # the others' entries describe a log that is gone
        mappings[self.mapping] = decisions
        body = {"v": INDEX_VERSION, "log": {"inode": current[0], "size": current[1]}, "mappings": mappings}
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle, separators=(",", ":"))
        os.replace(temporary, self.path)

    def _read(self) -> dict[str, Any]:
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("v") == INDEX_VERSION:
                return data
        return {}


def _identity(log: Path) -> tuple[int, int] | None:
    try:
        stat = log.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size


def _identity_changed(data: dict[str, Any], current: tuple[int, int]) -> bool:
    stamp = data.get("log") or {}
    return stamp.get("inode") != current[0] or current[1] < int(stamp.get("size", 0))

"""Skip planning when nothing a plan reads has changed since a run that found nothing to do.

A scheduled sync mostly finds nothing to do, yet planning reads every cached entry and issue, groups
them and renders every group's issue: at 100,000 entries that is half a minute for no change. A plan
depends on the cache only through its generation, and otherwise on the mapping, the overrides file,
the day (the last-30-days count), the Jira fields and cxsync itself. When a plan with no writes is
made, its key over all of these is stored with the plan minus its unchanged groups; a later run whose
key is the same carries that plan forward instead of planning.

A plan that looked something up in Jira beyond the cache (a pinned or moved issue) is never stored:
that answer can change without the cache knowing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cxsync import __version__
from cxsync.cache import SyncCache
from cxsync.incremental import ReadStats
from cxsync.plan import Carried, Plan

KEY = "converged.key"
PLAN = "converged.plan"


def converged_key(cache: SyncCache, inputs: dict[str, Any], overrides: Path | None, today: date) -> str:
    """The key of everything a plan reads besides the network lookups it reports."""
    parts = {
        "cxsync": __version__,
        "generation": cache.generation(),
        "inputs": inputs,
        "overrides": _file_sha(overrides),
        "today": today.isoformat(),
    }
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def remember(cache: SyncCache, key: str, plan: Plan) -> None:
    """Keep `plan` for runs with the same key when it writes nothing; else forget any kept one."""
    if plan.has_changes:
        forget(cache)
        return
    listed = [g for g in plan.groups if g.action != "unchanged"]
    unchanged = [g for g in plan.groups if g.action == "unchanged"]
    carried = Carried(
        since=plan.created_at,
        groups=len(unchanged) + (plan.carried.groups if plan.carried else 0),
        entries=sum(len(g.members) for g in unchanged) + (plan.carried.entries if plan.carried else 0),
    )
    slim = plan.model_copy(update={"groups": listed, "departed": [], "reads": {}, "carried": carried})
    cache.put(PLAN, slim.model_dump_json())
    cache.put(KEY, key)


def recall(cache: SyncCache, key: str, reads: ReadStats) -> Plan | None:
    """The kept plan when `key` matches, as this run's plan (its own time and reads)."""
    if cache.get(KEY) != key:
        return None
    text = cache.get(PLAN)
    if text is None:
        return None
    plan = Plan.model_validate_json(text)
    return plan.model_copy(update={"created_at": datetime.now(UTC), "reads": reads.as_dict()})


def forget(cache: SyncCache) -> None:
    cache.drop(KEY)
    cache.drop(PLAN)


def _file_sha(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()

"""`cxsync group`: group an exported CSV or JSONL file offline, before connecting anything.

Rows become entries (`id` → page id, `text`, optional tag and date); the output CSV starts with
`id,group_id` and explains every row. Feeding an earlier output back with `--previous` keeps its
group ids, exactly as a sync keeps them through the Jira keys.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from cxsync.errors import ConfigError
from cxsync.models import Group, VocEntry

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
OUTPUT_COLUMNS = ["id", "group_id", "score", "reason", "group_size", "representative", "tag", "text"]


@dataclass(frozen=True)
class Columns:
    id: str
    text: str
    tag: str | None = None
    date: str | None = None


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV (header row; UTF-8, BOM allowed) or JSONL file (one object per line)."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"Cannot read {path}: {error}", f"{path} 파일을 읽을 수 없습니다: {error}") from None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return [_json_row(line, path, number) for number, line in enumerate(raw.splitlines(), 1) if line.strip()]
    return [dict(row) for row in csv.DictReader(io.StringIO(raw))]


def _json_row(line: str, path: Path, number: int) -> dict[str, str]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}:{number}: not JSON ({error.msg})", f"{path}:{number}: JSON이 아닙니다") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{path}:{number}: expected a JSON object", f"{path}:{number}: JSON 객체가 아닙니다")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def to_entries(rows: Sequence[Mapping[str, str]], columns: Columns, source: Path) -> list[VocEntry]:
    _check_columns(rows, columns, source)
    entries: list[VocEntry] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, 2):
        page_id = (row.get(columns.id) or "").strip()
        if not page_id or page_id in seen:
            problem = "empty" if not page_id else f"duplicate ({page_id})"
            raise ConfigError(
                f"{source}: row {number}: {columns.id} is {problem}; every row needs its own id",
                f"{source}: {number}행: {columns.id} 값이 비었거나 중복입니다",
            )
        seen.add(page_id)
        when = _parse_date(row.get(columns.date) or "") if columns.date else EPOCH
        tag = (row.get(columns.tag) or "").strip() or None if columns.tag else None
        text = row.get(columns.text) or ""
        entries.append(
            VocEntry(page_id=page_id, url="", text=text, need_tag=tag, created_time=when, last_edited_time=when)
        )
    return entries


def _check_columns(rows: Sequence[Mapping[str, str]], columns: Columns, source: Path) -> None:
    present = set(rows[0]) if rows else set()
    wanted = [c for c in (columns.id, columns.text, columns.tag, columns.date) if c]
    missing = [c for c in wanted if c not in present]
    if rows and missing:
        raise ConfigError(
            f"{source}: no column {', '.join(missing)} (columns: {', '.join(sorted(present))})",
            f"{source}: {', '.join(missing)} 열이 없습니다 (있는 열: {', '.join(sorted(present))})",
        )


def _parse_date(value: str) -> datetime:
    """ISO date or date-time; anything else (or nothing) counts as the earliest possible time."""
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value) if "T" in value or " " in value else None
        if parsed is None:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
    except ValueError:
        return EPOCH
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_previous(path: Path) -> dict[str, str]:
    """id → group_id from an earlier output (or any CSV with those two columns)."""
    rows = read_rows(path)
    if rows and not {"id", "group_id"} <= set(rows[0]):
        raise ConfigError(
            f"{path}: --previous needs the columns id and group_id",
            f"{path}: --previous 파일에 id, group_id 열이 필요합니다",
        )
    return {row["id"].strip(): row["group_id"].strip() for row in rows if row.get("group_id", "").strip()}


def vanished_groups(previous: Mapping[str, str], groups: Sequence[Group]) -> list[str]:
    """Previous group ids that no current group carries (all their members are gone or moved)."""
    return sorted(set(previous.values()) - {g.id for g in groups})


def write_output(groups: Sequence[Group], path: Path) -> None:
    """Largest groups first; members in request order. Same groups → same bytes."""
    ordered = sorted(groups, key=lambda g: (-len(g.members), g.id))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(OUTPUT_COLUMNS)
        for group in ordered:
            why = {m.page_id: m for m in group.memberships}
            representative = group.anchor.text
            for entry in sorted(group.members, key=lambda e: (e.created_time, e.page_id)):
                membership = why.get(entry.page_id)
                writer.writerow(
                    [
                        entry.page_id,
                        group.id,
                        f"{membership.score:.4f}" if membership else "",
                        membership.reason if membership else "",
                        len(group.members),
                        representative,
                        entry.need_tag or "",
                        entry.text,
                    ]
                )

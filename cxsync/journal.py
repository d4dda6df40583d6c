"""A local SQLite journal of create intents. Only a cache: Jira and Notion stay the truth.

Before a create is sent, the intent is recorded; after Jira answers, the id and key. A later run
that finds an open intent looks in Jira (with the known id for read-after-write) before creating.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

_SCHEMA = """
create table if not exists intents (
  mapping text not null,
  group_id text not null,
  label text not null,
  phase text not null,
  issue_id text,
  issue_key text,
  at real not null,
  primary key (mapping, group_id)
);
create table if not exists marks (
  mapping text not null,
  name text not null,
  value text not null,
  primary key (mapping, name)
)
"""


def state_dir() -> Path:
    return Path(os.environ.get("CXSYNC_STATE_DIR", ".cxsync"))


class Journal:
    def __init__(self, mapping: str, path: Path | None = None) -> None:
        self.mapping = mapping
        self.path = path or state_dir() / "journal.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)
        self._db.commit()

    def _set(self, group_id: str, label: str, phase: str, issue_id: str | None = None, key: str | None = None) -> None:
        self._db.execute(
            "insert or replace into intents values (?, ?, ?, ?, ?, ?, ?)",
            (self.mapping, group_id, label, phase, issue_id, key, time.time()),
        )
        self._db.commit()

    def creating(self, group_id: str, label: str) -> None:
        self._set(group_id, label, "creating")

    def created(self, group_id: str, label: str, issue_id: str, key: str) -> None:
        self._set(group_id, label, "created", issue_id, key)

    def unknown(self, group_id: str, label: str) -> None:
        self._set(group_id, label, "unknown")

    def has_intent(self, group_id: str) -> bool:
        row = self._db.execute(
            "select 1 from intents where mapping = ? and group_id = ?", (self.mapping, group_id)
        ).fetchone()
        return row is not None

    def intent_age(self, group_id: str) -> float:
        row = self._db.execute(
            "select at from intents where mapping = ? and group_id = ?", (self.mapping, group_id)
        ).fetchone()
        return time.time() - float(row[0]) if row else float("inf")

    def known_issue_ids(self, group_id: str) -> list[int]:
        rows = self._db.execute(
            "select issue_id from intents where mapping = ? and group_id = ? and issue_id is not null",
            (self.mapping, group_id),
        ).fetchall()
        return [int(r[0]) for r in rows if str(r[0]).isdigit()]

    def mark(self, name: str) -> str | None:
        row = self._db.execute(
            "select value from marks where mapping = ? and name = ?", (self.mapping, name)
        ).fetchone()
        return str(row[0]) if row else None

    def set_mark(self, name: str, value: str) -> None:
        self._db.execute("insert or replace into marks values (?, ?, ?)", (self.mapping, name, value))
        self._db.commit()

    def close(self) -> None:
        self._db.close()

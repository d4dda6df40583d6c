"""The plan: a serialisable value listing exactly what apply will do, computed by diffing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from cxsync.demand import Demand
from cxsync.document import PackedJson, unpack_json
from cxsync.drift import Drift
from cxsync.models import Compact, RemoteLinkSpec, SkippedEntry, SyncRecord

SCHEMA_VERSION = "2"  # 2: descriptions kept as compact JSON text (description_json)
Action = Literal["create", "update", "unchanged", "skip"]


class _Plan(Compact):
    model_config = ConfigDict(extra="forbid")


class Member(_Plan):
    page_id: str
    url: str
    text: str
    customer: str | None
    company: str | None
    score: float
    reason: str


class FieldChange(_Plan):
    field: str
    before: Any = None
    after: Any = None


class GroupPlan(_Plan):
    group_id: str
    label: str
    need_tag: str | None
    summary: str
    demand: Demand
    members: list[Member]
    action: Action
    key: str | None = None
    issue_id: str | None = None
    create_fields: dict[str, Any] | None = None
    update_fields: dict[str, Any] = Field(default_factory=dict)
    description_json: PackedJson | None = Field(
        default=None, description="the description to write (ADF or wiki) as compact JSON text; None: left as is"
    )
    add_labels: list[str] = Field(default_factory=list)
    changes: list[FieldChange] = Field(default_factory=list)
    link_upserts: list[RemoteLinkSpec] = Field(default_factory=list)
    link_deletes: list[str] = Field(default_factory=list)
    record: SyncRecord
    write_record: bool = False
    notes: list[str] = Field(default_factory=list)

    @property
    def issue_writes(self) -> int:
        """Jira writes this group needs (the create/edit, each link, the sync record)."""
        if self.action == "skip":
            return 0
        if self.action == "create":
            return 2 + len(self.link_upserts)
        return int(self.edits) + len(self.link_upserts) + len(self.link_deletes)

    @property
    def edits(self) -> bool:
        """An existing issue needs an edit request (its fields, labels, description, or the record riding along)."""
        return bool(self.update_fields or self.add_labels or self.write_record or self.description_json is not None)

    def jira_fields(self) -> dict[str, Any]:
        """The fields to send: the planned ones plus the description, kept as text until now."""
        fields = dict((self.create_fields or {}) if self.action == "create" else self.update_fields)
        if self.description_json is not None:
            fields["description"] = unpack_json(self.description_json)
        return fields


class WriteBackPlan(_Plan):
    page_id: str
    group_id: str
    key: str | None = Field(description="None while the group's issue is still to be created")
    url: str | None
    status: str | None
    before_key: str | None
    before_status: str | None


class Orphan(_Plan):
    key: str
    group_id: str
    reason: str


class Departed(_Plan):
    """An entry that was read before and has left: its demand leaves its group in this plan."""

    page_id: str
    url: str
    text: str
    jira_key: str | None
    reason_en: str
    reason_ko: str


class Carried(_Plan):
    """Groups a plan does not list because nothing they depend on changed since a run found them unchanged."""

    since: datetime = Field(description="when the run that found nothing to change planned")
    groups: int = Field(description="unchanged groups left out of `groups`")
    entries: int = Field(description="their entries")


class Plan(_Plan):
    schema_version: str = SCHEMA_VERSION
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    mapping: str
    data_source_id: str
    jira_project: str
    jira_url: str
    groups: list[GroupPlan]
    writebacks: list[WriteBackPlan]
    skipped: list[SkippedEntry]
    orphans: list[Orphan] = Field(default_factory=list)
    drift: list[Drift] = Field(default_factory=list, description="groups merged or split since the last run")
    departed: list[Departed] = Field(default_factory=list)
    reads: dict[str, Any] = Field(default_factory=dict, description="how the inputs were read: full or incremental")
    fingerprint: dict[str, str] = Field(default_factory=dict)
    carried: Carried | None = None

    def count(self, action: Action) -> int:
        listed = sum(1 for g in self.groups if g.action == action)
        return listed + (self.carried.groups if self.carried and action == "unchanged" else 0)

    @property
    def group_count(self) -> int:
        return len(self.groups) + (self.carried.groups if self.carried else 0)

    @property
    def entry_count(self) -> int:
        return sum(len(g.members) for g in self.groups) + (self.carried.entries if self.carried else 0)

    @property
    def writes(self) -> int:
        return sum(g.issue_writes for g in self.groups) + len(self.writebacks)

    @property
    def has_changes(self) -> bool:
        return self.writes > 0

    def summary(self) -> dict[str, int]:
        return {
            "create": self.count("create"),
            "update": self.count("update"),
            "unchanged": self.count("unchanged"),
            "skipped_groups": self.count("skip"),
            "writebacks": len(self.writebacks),
            "skipped": len(self.skipped),
            "writes": self.writes,
        }

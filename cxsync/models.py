"""Typed values that flow through the core: entries, groups, and what Jira holds."""

from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cxsync.document import PackedJson, pack_json, unpack_json


class Compact(BaseModel):
    """A model that shares one set of field names among its instances that set every field.

    Pydantic keeps, per instance, the set of fields the caller gave (about 700 bytes for a dozen
    fields, more than the values of a small model). A sync holds an entry, a plan member and a
    write-back per Notion row, so at 100,000 rows those sets alone took hundreds of megabytes. When
    every field was given, the set holds all field names: one shared set per class says the same,
    and nothing can change it (adding a field already in it does nothing).
    """

    def model_post_init(self, context: Any, /) -> None:
        given = self.__pydantic_fields_set__
        shared = _ALL_FIELDS.get(type(self))
        if shared is None:
            # `__pydantic_fields__`, not `model_fields`: that is a slow descriptor, and this runs per entry
            if len(given) != len(type(self).__pydantic_fields__):
                return
            shared = _ALL_FIELDS.setdefault(type(self), given)
        if len(given) == len(shared):
            object.__setattr__(self, "__pydantic_fields_set__", shared)


_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}


class _Value(Compact):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VocEntry(_Value):
    """One customer request, read from a Notion page and converted at the boundary."""

    page_id: str
    url: str
    text: str
    need_tag: str | None
    customer: str | None = None
    company: str | None = None
    revenue: Decimal | None = None
    currency: str = "KRW"
    channel: str | None = None
    received: date | None = None
    owner: str | None = None
    created_time: datetime
    last_edited_time: datetime
    jira_key: str | None = None
    jira_url: str | None = None
    status: str | None = None
    group_override: str | None = None

    @field_validator(
        "need_tag", "customer", "company", "currency", "channel", "owner", "jira_key", "jira_url", "status"
    )
    @classmethod
    def _shared(cls, value: str | None) -> str | None:
        """Values many entries repeat (tags, channels, owners, companies, keys) are kept once, not per entry."""
        return None if value is None else sys.intern(value)


class SkippedEntry(_Value):
    """A page that could not become a VocEntry, with the reason shown in the plan."""

    page_id: str
    url: str
    reason_en: str
    reason_ko: str


class Membership(_Value):
    """Why an entry is in its group."""

    page_id: str
    score: float
    reason: str


class Group(_Value):
    """A set of entries that ask for the same thing. `id` is stable across runs."""

    id: str
    need_tag: str | None
    members: tuple[VocEntry, ...]
    memberships: tuple[Membership, ...] = ()
    pinned_key: str | None = Field(default=None, description="a Jira key an override pinned this group to")

    @property
    def anchor(self) -> VocEntry:
        return min(self.members, key=lambda e: (e.created_time, e.page_id))


class RemoteLinkSpec(_Value):
    global_id: str
    url: str
    title: str


class SyncRecord(_Value):
    """What cxsync last wrote to an issue, kept in the issue's `cxsync` entity property.

    It lives in Jira itself, so losing local state loses nothing: summaries a human changed after
    cxsync wrote them are detected by hash, and link changes by the hash of the link set.
    """

    v: int = 1
    group: str
    summary_sha: str = ""
    priority_sha: str = ""
    block_sha: str = ""
    fields_sha: str = ""
    links_sha: str = ""


class ActualIssue(_Value):
    """A cxsync-labelled Jira issue as search returned it."""

    id: str
    key: str
    summary: str
    labels: tuple[str, ...]
    description_json: PackedJson = Field(
        default=pack_json(None), description="the description as compact JSON text (ADF or wiki); parsed only to splice"
    )
    has_block: bool = Field(default=False, description="the description holds cxsync's marked block")
    status: str
    status_category: str
    priority: str | None = None
    resolved: str | None = None
    updated: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    record: SyncRecord | None = None

    def description(self) -> Any:
        return unpack_json(self.description_json)

    def group_ids(self, label_prefix: str) -> list[str]:
        head = f"{label_prefix}-g"
        return sorted(label[len(label_prefix) + 1 :] for label in self.labels if label.startswith(head))

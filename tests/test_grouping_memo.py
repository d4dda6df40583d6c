"""The grouping memo: reused only when nothing grouping reads has changed, rebound to the current entries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from conftest import make_entry

from cxsync.config import GroupingSettings
from cxsync.grouping.memo import RESULT, grouping_key, memoized
from cxsync.grouping.methods import build_grouper
from cxsync.grouping.overrides import OverrideResult, group_with_overrides
from cxsync.models import VocEntry


class DictStore(dict[str, str]):
    def __init__(self) -> None:
        super().__init__()
        self.held: dict[str, Any] = {}

    def put(self, name: str, value: str) -> None:
        self[name] = value

    def in_a_new_process(self) -> DictStore:
        """The same stored text, nothing held in memory."""
        fresh = DictStore()
        fresh.update(self)
        return fresh


def _entries() -> list[VocEntry]:
    return [
        make_entry(1),
        make_entry(2, "결제 내역을 엑셀로 받고 싶습니다"),
        make_entry(3, "Can we export payment history to Excel?"),
        make_entry(4, "모바일 앱에서 다크 모드를 지원해 주세요", need_tag="모바일"),
    ]


def test_the_key_follows_what_grouping_reads_and_nothing_else() -> None:
    settings = GroupingSettings()
    entries = _entries()
    base = grouping_key(entries, {}, {}, None, settings)
    richer = [e.model_copy(update={"revenue": Decimal(5), "customer": "someone else"}) for e in entries]
    assert grouping_key(richer, {}, {}, None, settings) == base
    assert grouping_key(list(reversed(entries)), {}, {}, None, settings) == base
    changed = [entries[0].model_copy(update={"text": "다른 요청"}), *entries[1:]]
    assert grouping_key(changed, {}, {}, None, settings) != base
    overridden = [entries[0].model_copy(update={"group_override": "split"}), *entries[1:]]
    assert grouping_key(overridden, {}, {}, None, settings) != base
    assert grouping_key(entries, {entries[0].page_id: "g000000000001"}, {}, None, settings) != base
    assert grouping_key(entries, {}, {}, None, settings.model_copy(update={"threshold": 0.5})) != base


def test_a_hit_returns_the_same_groups_holding_the_current_entries() -> None:
    settings = GroupingSettings()
    store = DictStore()
    calls: list[int] = []

    def compute(entries: list[VocEntry]) -> OverrideResult:
        calls.append(1)
        return group_with_overrides(build_grouper(settings), entries, {}, {})

    first_entries = _entries()
    first = memoized(store, lambda: compute(first_entries), first_entries, {}, {}, None, settings)
    edited = [e.model_copy(update={"revenue": Decimal(7)}) for e in first_entries]
    second = memoized(store, lambda: compute(edited), edited, {}, {}, None, settings)
    assert len(calls) == 1
    assert [(g.id, [m.page_id for m in g.members]) for g in second.groups] == [
        (g.id, [m.page_id for m in g.members]) for g in first.groups
    ]
    assert all(m.revenue == Decimal(7) for g in second.groups for m in g.members)
    assert [g.memberships for g in second.groups] == [g.memberships for g in first.groups]
    text_edit = [first_entries[0].model_copy(update={"text": "알림을 슬랙으로 받고 싶어요"}), *first_entries[1:]]
    memoized(store, lambda: compute(text_edit), text_edit, {}, {}, None, settings)
    assert len(calls) == 2


def test_the_result_held_in_memory_and_the_stored_one_rebuild_the_same_groups() -> None:
    settings = GroupingSettings()
    store = DictStore()
    entries = _entries()
    first = memoized(
        store, lambda: group_with_overrides(build_grouper(settings), entries, {}, {}), entries, {}, {}, None, settings
    )
    edited = [e.model_copy(update={"revenue": Decimal(9)}) for e in entries]

    def never() -> OverrideResult:
        raise AssertionError("the memo was not used")

    parsed = memoized(store.in_a_new_process(), never, edited, {}, {}, None, settings)
    store[RESULT] = "not read again: the result is held"
    held = memoized(store, never, edited, {}, {}, None, settings)
    assert held == parsed and [g.memberships for g in held.groups] == [g.memberships for g in first.groups]
    assert all(m.revenue == Decimal(9) for g in held.groups for m in g.members)

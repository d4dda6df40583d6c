"""The memory savings of a large sync keep every value, hash and cache row exactly as before (issue 8)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import make_entry

from cxsync import incremental
from cxsync.cache import SyncCache
from cxsync.document import pack_json
from cxsync.group_memo import entry_digests, issue_digest
from cxsync.incremental import IncrementalReader
from cxsync.models import ActualIssue, SkippedEntry, VocEntry
from cxsync.plan import Member
from cxsync.planner import fingerprints


def test_entries_that_set_every_field_share_one_set_of_names() -> None:
    one, two = make_entry(1, company="A", revenue=5), make_entry(2, company="B", revenue=7)
    partial = VocEntry(
        page_id="p",
        url="u",
        text="t",
        need_tag=None,
        created_time=datetime.now(UTC),
        last_edited_time=datetime.now(UTC),
    )
    full = [VocEntry.model_validate(e.model_dump()) for e in (one, two)]
    assert full[0].model_fields_set is full[1].model_fields_set
    assert full[0].model_fields_set == set(VocEntry.model_fields)
    assert partial.model_fields_set == {"page_id", "url", "text", "need_tag", "created_time", "last_edited_time"}
    assert partial.model_dump(exclude_unset=True).keys() == partial.model_fields_set
    copied = full[0].model_copy(update={"text": "다른 요청"})
    assert copied.model_fields_set is not full[0].model_fields_set
    assert full[1].model_fields_set == set(VocEntry.model_fields)
    assert VocEntry.model_validate_json(full[0].model_dump_json()) == full[0]


def test_a_plan_member_stays_editable_after_sharing() -> None:
    values: dict[str, Any] = {"page_id": "p", "url": "u", "text": "t", "customer": None, "company": None, "score": 1.0}
    first, second = Member(**values, reason="a"), Member(**values, reason="b")
    assert first.model_fields_set is second.model_fields_set
    first.reason = "changed"
    assert (first.reason, second.reason) == ("changed", "b")
    assert second.model_fields_set == set(Member.model_fields)


def test_repeated_values_are_kept_once() -> None:
    one, two = make_entry(1, company="고객사 " + "1"), make_entry(2, company="".join(["고객사 ", "1"]))
    assert one.company is two.company
    assert one.need_tag is two.need_tag


def _issue(n: int, **values: Any) -> ActualIssue:
    base: dict[str, Any] = {"id": str(n), "key": f"CX-{n}", "summary": "요청", "labels": ("cxsync",)}
    base |= {"description_json": pack_json(["본문"]), "status": "To Do", "status_category": "new"}
    return ActualIssue(**(base | values))


def test_fingerprints_ignore_order_and_edit_times_and_see_every_other_change() -> None:
    def prints(entries: list[VocEntry], issues: list[ActualIssue]) -> dict[str, str]:
        return fingerprints(entry_digests(entries), [(issue.id, issue_digest(issue)) for issue in issues])

    entries = [make_entry(n, company=f"고객사 {n % 3}") for n in range(12)]
    issues = [_issue(n) for n in range(6)]
    base = prints(entries, issues)
    rng = random.Random(8)
    shuffled_entries, shuffled_issues = rng.sample(entries, len(entries)), rng.sample(issues, len(issues))
    assert prints(shuffled_entries, shuffled_issues) == base
    touched = [*entries[:-1], entries[-1].model_copy(update={"last_edited_time": datetime.now(UTC)})]
    assert prints(touched, issues) == base
    edited = [*entries[:-1], entries[-1].model_copy(update={"revenue": Decimal(7)})]
    assert prints(edited, issues)["notion"] != base["notion"] and prints(edited, issues)["jira"] == base["jira"]
    assert prints([*entries, entries[0]], issues)["notion"] != base["notion"], "a repeated entry counts"
    described = [*issues[:-1], _issue(5, description_json=pack_json(["다른 본문"]))]
    assert prints(entries, described)["jira"] != base["jira"]
    assert prints(entries, issues[:-1])["jira"] != base["jira"]


class _Pages:
    """Notion as `_apply_edits` sees it: pages edited since a time, tagged or not."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def edited_pages(self, since: datetime) -> Iterator[dict[str, Any]]:
        return iter(self.pages)

    def is_tagged(self, page: dict[str, Any]) -> bool:
        return bool(page["tagged"])

    def to_entry(self, page: dict[str, Any]) -> VocEntry | SkippedEntry:
        if page["text"] is None:
            return SkippedEntry(page_id=page["id"], url="", reason_en="empty", reason_ko="비어 있음")
        return make_entry(page["n"], page["text"], page_id=page["id"])


def _settled(tmp_path: Path, batch: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    monkeypatch.setattr(incremental, "EDIT_BATCH", batch)
    cache = SyncCache("m", "f", tmp_path / f"cache-{batch}.sqlite")
    cache.replace_pages([make_entry(n, page_id=f"p{n}") for n in range(10)])
    pages = [
        {"id": f"p{n}", "n": n, "tagged": n % 4 != 1, "text": None if n % 5 == 0 else f"edited {n}"}
        for n in range(3, 14)
    ]
    reader = IncrementalReader(_Pages(pages), None, cache)  # type: ignore[arg-type]
    read, departed = reader._apply_edits(datetime.now(UTC))
    return read, departed, cache.pages()


def test_edits_folded_in_batches_leave_the_same_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _settled(tmp_path, 1000, monkeypatch)
    assert [d.page_id for d in whole[1]] == ["p5", "p9"]
    for batch in (1, 2, 3):
        assert _settled(tmp_path, batch, monkeypatch) == whole


def test_descriptions_are_packed_inside_and_plain_json_text_outside() -> None:
    from cxsync.models import ActualIssue

    doc = {"type": "doc", "version": 1, "content": [{"type": "text", "text": "결제 내역을 엑셀로 🙏 " * 50}]}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    issue = ActualIssue(
        id="1", key="CX-1", summary="s", labels=(), description_json=text, status="", status_category=""
    )
    assert isinstance(issue.description_json, bytes) and len(issue.description_json) < len(text.encode()) / 5
    assert issue.description() == doc
    dumped = json.loads(issue.model_dump_json())
    assert dumped["description_json"] == text
    assert ActualIssue.model_validate_json(issue.model_dump_json()) == issue
    assert ActualIssue(id="2", key="CX-2", summary="", labels=(), status="", status_category="").description() is None

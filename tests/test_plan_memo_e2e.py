"""Group plans found unchanged are reused while nothing they are computed from changes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import make_entry
from e2e import MAPPING, World, all_pages, open_world
from small_seed import small_seed

from cxsync.config import load_mapping
from cxsync.document import pack_json
from cxsync.group_memo import UnchangedGroups, entry_digests, issue_digest
from cxsync.models import ActualIssue, Group, Membership
from cxsync.session import Session


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, seed=small_seed())


def _without_run_details(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plan.items() if k not in ("api_calls", "reads")}


def _cache(world: World) -> Path:
    return next(world.state_dir.glob("*.cache.sqlite"))


def test_a_reused_plan_is_the_plan_computed_again(world: World) -> None:
    world.sync_json()
    first = world.plan_json()  # computes every group and keeps the unchanged ones
    with sqlite3.connect(_cache(world)) as db:
        kept = db.execute("select count(*) from group_plans").fetchone()[0]
    assert kept == first["unchanged"] > 0
    again = world.plan_json()
    assert _without_run_details(again) == _without_run_details(first)


def test_a_kept_plan_is_what_the_next_plan_shows_until_its_group_changes(world: World) -> None:
    world.sync_json()
    world.plan_json()
    with sqlite3.connect(_cache(world)) as db:  # mark one kept plan, to see whether it is reused
        group_id, text = db.execute("select group_id, plan from group_plans order by group_id").fetchone()
        db.execute(
            "update group_plans set plan = ? where group_id = ?",
            (text.replace('"summary":"', '"summary":"MARK '), group_id),
        )
    marked = next(g for g in world.plan_json()["groups"] if g["group_id"] == group_id)
    assert marked["summary"].startswith("MARK ")

    page = next(p for p in all_pages(world.notion()) if p["id"] in {m["page_id"] for m in marked["members"]})
    world.boxes.notion.edit_page(page["id"], {"ARR": 987_654_321})
    edited = next(g for g in world.plan_json()["groups"] if g["group_id"] == group_id)
    assert not edited["summary"].startswith("MARK ") and edited["action"] == "update"


def _issue(**values: Any) -> ActualIssue:
    base: dict[str, Any] = {"id": "1", "key": "CX-1", "summary": "s", "labels": ("cxsync",), "status": "To Do"}
    base |= {"status_category": "new", "description_json": pack_json({"type": "doc", "content": []})}
    return ActualIssue(**(base | values))


def _group(*members: Any, reason: str = "similar") -> Group:
    why = tuple(Membership(page_id=e.page_id, score=0.9, reason=reason) for e in members)
    return Group(id="g000000000001", need_tag="tag", pinned_key=None, members=tuple(members), memberships=why)


def _key(group: Group, issue: ActualIssue, day: date = date(2026, 11, 30), fields: Any = None) -> str:
    memo = UnchangedGroups(None, {"fields": fields or {}}, day)
    return memo.key(group, issue_digest(issue), dict(entry_digests(group.members)))


def test_the_key_covers_every_member_field_the_memberships_the_issue_and_the_day() -> None:
    entry = make_entry(1)
    key = _key(_group(entry), _issue())
    assert key == _key(_group(make_entry(1)), _issue())
    paragraph = pack_json({"type": "doc", "content": [{"type": "paragraph"}]})
    changed = [
        _key(_group(make_entry(1, revenue=5)), _issue()),
        _key(_group(make_entry(1, channel="email")), _issue()),
        _key(_group(entry, make_entry(2)), _issue()),
        _key(_group(entry, reason="pinned by override"), _issue()),
        _key(_group(entry), _issue(description_json=paragraph)),
        _key(_group(entry), _issue(priority="High")),
        _key(_group(entry), _issue(), day=date(2026, 12, 1)),
        _key(_group(entry), _issue(), fields={"requests": "customfield_1"}),
    ]
    assert key not in changed and len(set(changed)) == len(changed)
    edited_later = make_entry(1, last_edited_time=make_entry(9).last_edited_time)
    assert _key(_group(edited_later), _issue()) == key, "when a page was last edited does not change its plan"


def test_a_second_plan_in_one_run_reuses_the_plans_the_first_one_held(world: World) -> None:
    world.sync_json()
    world.plan_json()  # keeps every unchanged plan
    session = Session(load_mapping(MAPPING))
    first = session.plan()
    assert first.groups and all(g.action == "unchanged" for g in first.groups)
    with sqlite3.connect(_cache(world)) as db:
        db.execute("""update group_plans set plan = replace(plan, '"summary":"', '"summary":"MARK ')""")
    second = session.plan()
    assert all(a is b for a, b in zip(first.groups, second.groups, strict=True)), "held, not read again"
    fresh = Session(load_mapping(MAPPING)).plan()
    assert all(g.summary.startswith("MARK ") for g in fresh.groups), "a new run reads what was kept"

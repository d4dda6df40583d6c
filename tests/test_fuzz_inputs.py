"""Hostile input: malformed pages never crash the read, customer text never becomes markup or JQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_entry
from e2e import MAPPING, World, all_pages, open_world, text_of
from hypothesis import given, settings
from hypothesis import strategies as st
from small_seed import small_seed

from cxsync.adapters.notion_pages import page_to_entry
from cxsync.config import load_mapping
from cxsync.desired import build_desired, slug_label
from cxsync.document import escape_wiki, owned_adf_nodes, owned_wiki
from cxsync.grouping.exact import ExactTextGrouper
from cxsync.models import SkippedEntry, VocEntry
from cxsync.sandbox.adf import validate_doc

MAPPING_MODEL = load_mapping(Path(MAPPING)).mapping
SETTINGS = MAPPING_MODEL.notion
NASTY = [
    "",
    " ",
    "\u200b\u200b",
    "\u202eRTL override",
    "مرحبا بالعالم",
    "😀" * 50,
    "x" * 10_000,
    '" OR labels = "x',
    "' AND 1=1 --",
    "\\",
    'a\\"b',
    "labels in (a, b) OR project = X",
    "{code}x{code}",
    "[click|javascript:alert(1)]",
    "!http://evil/x.png!",
    "[~accountid:123]",
    "h1. title",
    "*bold* _it_ -strike- +u+ ^sup^ ~sub~ ??cite??",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '{"type":"doc","version":1,"content":[{"type":"mention","attrs":{"id":"1"}}]}',
    "\x00\x01\x1f",
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=300))
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)


def _rich(content: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": content}, "plain_text": content}]


@st.composite
def pages(draw: st.DrawFn) -> dict[str, Any]:
    """Pages with the mapped properties present, missing, of the wrong type, or just garbage."""
    props: dict[str, Any] = {}
    roles = SETTINGS.properties.used()
    for name in roles.values():
        choice = draw(st.integers(0, 4))
        if choice == 0:
            continue
        if choice == 1:
            props[name] = draw(json_value)
        elif choice == 2:
            kind = draw(
                st.sampled_from(["title", "rich_text", "select", "number", "date", "people", "formula", "files"])
            )
            props[name] = {"type": kind, kind: draw(json_value)}
        else:
            props[name] = {"type": "rich_text", "rich_text": _rich(draw(text))}
    page: dict[str, Any] = {"id": draw(st.uuids()).hex, "url": draw(text), "properties": props}
    if draw(st.booleans()):
        page["created_time"] = page["last_edited_time"] = "2026-10-01T09:00:00.000Z"
    elif draw(st.booleans()):
        page["created_time"] = draw(text)
    return page


@settings(max_examples=2000, deadline=None)
@given(pages())
def test_any_page_becomes_an_entry_or_a_skip_with_a_reason(page: dict[str, Any]) -> None:
    result = page_to_entry(page, SETTINGS)
    assert isinstance(result, VocEntry | SkippedEntry)
    if isinstance(result, SkippedEntry):
        assert result.reason_en and result.reason_ko


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(text, st.one_of(st.none(), text)), min_size=1, max_size=4))
def test_customer_text_renders_as_valid_inert_adf_and_escaped_wiki(rows: list[tuple[str, str | None]]) -> None:
    entries = [make_entry(i, body or "x", need_tag=tag, customer=body[:40]) for i, (body, tag) in enumerate(rows)]
    for group in ExactTextGrouper().group(entries, {}):
        desired = build_desired(group, MAPPING_MODEL)
        doc = {"type": "doc", "version": 1, "content": owned_adf_nodes(desired.blocks)}
        validate_doc(doc)
        assert all(node.get("type") != "mention" for node in _nodes(doc)), "customer text never notifies"
        assert len(desired.summary) <= 255 and "\n" not in desired.summary
        for label in desired.labels:
            assert label and len(label) <= 255 and not re.search(r"\s", label)
        assert re.fullmatch(r"cxsync-g[0-9a-f]{12}", desired.label), "only validated tokens reach JQL"
        owned_wiki(desired.blocks)


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for child in node.get("content", []) or []:
            yield from _nodes(child)


@settings(max_examples=2000, deadline=None)
@given(text)
def test_wiki_escaping_leaves_no_markup_character_unescaped(raw: str) -> None:
    escaped = escape_wiki(raw)
    unescaped = re.sub(r"\\.", "", escaped)
    assert not re.search(r"[{}\[\]|*_+\-^~?!#()@]", unescaped)


@settings(max_examples=500, deadline=None)
@given(text)
def test_need_tag_labels_have_no_spaces(tag: str) -> None:
    label = slug_label(tag)
    assert not re.search(r"\s", label) and len(label) <= 255


HOSTILE_ROWS = [
    ("<script>alert('x')</script> 결제 내역 엑셀", "데이터 내보내기", "김<b>민</b>수", "한빛커머스", 1),
    ("{code}injected{code} [x|javascript:alert(1)] !http://evil/x.png! [~accountid:1]", "알림", "A", "B", None),
    ('labels = "cxsync" OR project = VOC \\', '" OR 1=1', "C", "D", None),
    ("x" * 6000, "검색", "E", "F", None),
    ("\u202eRTL ‮override‬ 😀😀 \u200b zero width", "모바일", "G", "H", 0),
    ("   ", "모바일", "I", "J", None),
]


@pytest.fixture(params=["cloud", "datacenter"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, flavor=request.param, seed=small_seed(HOSTILE_ROWS))


def test_hostile_entries_sync_escaped_or_are_skipped_with_a_reason(world: World) -> None:
    plan = world.plan_json()
    summary = world.sync_json()
    assert summary["applied"]["failures"] == []
    assert plan["skipped"] == 1, "the blank request is skipped with a reason"
    pages = [p for p in all_pages(world.notion()) if text_of(p, "요청 내용").strip()]
    assert all(text_of(p, "Jira 키") for p in pages)
    for issue in world.issues():
        description = issue["description"]
        if isinstance(description, dict):  # ADF: customer text only ever sits in text nodes
            kinds = {node["type"] for node in _nodes(description)}
            assert kinds <= {
                "doc",
                "paragraph",
                "text",
                "heading",
                "bulletList",
                "listItem",
                "table",
                "tableRow",
                "tableHeader",
                "tableCell",
            }
            hrefs = [m["attrs"]["href"] for n in _nodes(description) for m in n.get("marks", []) if m["type"] == "link"]
            assert all(h.startswith(("http://", "https://")) for h in hrefs)
        else:  # wiki markup: every markup character of customer text is escaped
            unescaped = re.sub(r"\\.", "", description)
            for raw in ("{code}injected", "!http://evil/x.png!", "[x|javascript", "[~accountid"):
                assert raw not in unescaped
    assert world.plan_json()["writes"] == 0

import random

from conftest import make_entry

from cxsync.grouping.exact import ExactTextGrouper
from cxsync.grouping.normalize import normalize
from cxsync.grouping.overrides import group_with_overrides


def test_normalize_folds_spacing_case_punctuation_emoji_and_width() -> None:
    assert normalize("결제 내역을  엑셀로 받고 싶어요!! 😭") == normalize("결제내역을 엑셀로받고 싶어요")
    assert normalize("Export to CSV please.") == normalize("export to csv please")
    assert normalize("ＣＳＶ 내보내기") == normalize("CSV 내보내기")
    assert normalize("see https://example.com/x now") == normalize("see now")
    assert normalize("결제 내역") != normalize("결제 내역 엑셀")


def test_same_tag_and_text_group_together_other_tags_do_not() -> None:
    entries = [
        make_entry(1, "결제 내역을 엑셀로 받고 싶어요!"),
        make_entry(2, "결제 내역을  엑셀로 받고 싶어요"),
        make_entry(3, "결제 내역을 엑셀로 받고 싶어요", need_tag="결제"),
        make_entry(4, "SSO 지원 계획이 있나요?"),
    ]
    groups = ExactTextGrouper().group(entries, {})
    sizes = sorted(len(g.members) for g in groups)
    assert sizes == [1, 1, 2]
    merged = ExactTextGrouper(scope_by_tag=False).group(entries, {})
    assert sorted(len(g.members) for g in merged) == [1, 3]


def test_group_ids_are_stable_and_independent_of_input_order() -> None:
    entries = [make_entry(i, f"요청 {i % 4}") for i in range(20)]
    first = ExactTextGrouper().group(entries, {})
    shuffled = entries[:]
    random.Random(7).shuffle(shuffled)
    second = ExactTextGrouper().group(shuffled, {})
    assert [(g.id, [e.page_id for e in g.members]) for g in first] == [
        (g.id, [e.page_id for e in g.members]) for g in second
    ]
    assert all(g.id.startswith("g") and len(g.id) == 13 for g in first)


def test_new_entries_join_existing_groups_without_changing_ids() -> None:
    old = [make_entry(i, f"요청 {i % 3}") for i in range(6)]
    before = ExactTextGrouper().group(old, {})
    previous = {e.page_id: g.id for g in before for e in g.members}
    newer = [*old, make_entry(100, "요청 1"), make_entry(0 - 1 + 200, "완전히 새로운 요청")]
    after = ExactTextGrouper().group(newer, previous)
    ids_after = {e.page_id: g.id for g in after for e in g.members}
    assert all(ids_after[p] == gid for p, gid in previous.items())
    assert len({g.id for g in after}) == 4


def test_id_is_rederived_identically_without_previous_state() -> None:
    entries = [make_entry(i, "같은 요청") for i in range(5)]
    with_state = ExactTextGrouper().group(entries, {})
    without = ExactTextGrouper().group(entries, {})
    assert with_state[0].id == without[0].id


def test_edited_entry_leaves_group_but_the_group_keeps_its_id() -> None:
    entries = [make_entry(i, "같은 요청") for i in range(3)]
    gid = ExactTextGrouper().group(entries, {})[0].id
    previous = {e.page_id: gid for e in entries}
    edited = [*entries[:2], make_entry(2, "다른 요청으로 바뀜")]
    groups = {len(g.members): g.id for g in ExactTextGrouper().group(edited, previous)}
    assert groups[2] == gid
    assert groups[1] != gid


def test_overrides_exclude_pin_to_group_and_pin_to_key() -> None:
    a = make_entry(1, "같은 요청")
    b = make_entry(2, "같은 요청")
    gid = ExactTextGrouper().group([a, b], {})[0].id
    excluded = make_entry(3, "같은 요청", group_override="제외")
    pinned = make_entry(4, "전혀 다른 문장", group_override=gid)
    to_key = make_entry(5, "또 다른 문장", group_override="cx-77")
    bogus = make_entry(6, "또또 다른 문장", group_override="whatever")
    result = group_with_overrides(
        ExactTextGrouper(), [a, b, excluded, pinned, to_key, bogus], {}, {"CX-77": "gexisting000"}
    )
    by_id = {g.id: g for g in result.groups}
    assert {e.page_id for e in by_id[gid].members} == {a.page_id, b.page_id, pinned.page_id}
    assert by_id["gexisting000"].pinned_key == "CX-77"
    assert [s.page_id for s in result.skipped] == [excluded.page_id, bogus.page_id]

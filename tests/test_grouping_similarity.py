"""Grouping v1: similar requests group together, with ids that never depend on order or on new data."""

from __future__ import annotations

import random

from conftest import make_entry
from hypothesis import given, settings
from hypothesis import strategies as st

from cxsync.grouping import graph as graph_module
from cxsync.grouping.encoders import NgramEncoder
from cxsync.grouping.normalize import clean
from cxsync.grouping.similarity import SimilarityGrouper
from cxsync.models import Group, VocEntry

NEEDS = [
    ["결제 내역을 엑셀로 받고 싶어요", "결제내역을 엑셀로 받고 싶습니다", "결제 내역 엑셀로 받을 수 있나요"],
    ["슬랙 연동으로 티켓 알림", "슬랙 연동 티켓 알림 요청", "티켓 알림을 슬랙 연동으로"],
    ["Dark mode for the mobile app, please", "Please add dark mode to the mobile app", "mobile app dark mode?"],
    ["SSO 로그인 지원 계획이 있나요?", "SSO 로그인 지원 계획 있나요", "SSO 로그인 지원 계획이 궁금합니다"],
]


def grouper(threshold: float = 0.3, scope: str = "all") -> SimilarityGrouper:
    return SimilarityGrouper(NgramEncoder(), threshold, scope)  # type: ignore[arg-type]


def corpus() -> list[VocEntry]:
    return [make_entry(10 * need + k, text) for need, texts in enumerate(NEEDS) for k, text in enumerate(texts)]


def assignment(groups: list[Group]) -> dict[str, str]:
    return {e.page_id: g.id for g in groups for e in g.members}


def snapshot(groups: list[Group]) -> str:
    return "\n".join(g.model_dump_json() for g in groups)


def test_paraphrases_group_by_need_without_being_told_how_many() -> None:
    groups = grouper().group(corpus(), {})
    found = sorted(sorted(e.text for e in g.members) for g in groups)
    assert found == sorted(sorted(texts) for texts in NEEDS)


def test_every_membership_explains_itself_with_a_score_and_a_fellow_member() -> None:
    for group in grouper().group(corpus(), {}):
        members = {e.page_id for e in group.members}
        assert {m.page_id for m in group.memberships} == members
        for membership in group.memberships:
            assert 0.0 < membership.score <= 1.0
            closest = membership.reason.removeprefix("most similar to ")
            assert closest in members - {membership.page_id}


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_shuffled_input_gives_identical_groups_and_ids(rnd: random.Random) -> None:
    entries = corpus() + [make_entry(100 + i, f"기타 요청 {i}번: {w}") for i, w in enumerate(["환불", "API", "권한"])]
    expected = snapshot(grouper().group(entries, {}))
    shuffled = entries[:]
    rnd.shuffle(shuffled)
    assert snapshot(grouper().group(shuffled, {})) == expected


def test_same_input_gives_the_same_output_byte_for_byte() -> None:
    assert snapshot(grouper().group(corpus(), {})) == snapshot(grouper().group(corpus(), {}))


def test_ids_are_rederived_identically_without_previous_state() -> None:
    first = grouper().group(corpus(), {})
    assert assignment(grouper().group(corpus(), {})) == assignment(first)
    assert assignment(grouper().group(corpus(), assignment(first))) == assignment(first)


def test_new_entries_join_existing_groups_or_start_new_ones_and_ids_never_change() -> None:
    before = grouper().group(corpus(), {})
    previous = assignment(before)
    newer = [
        *corpus(),
        make_entry(200, "결제 내역을 엑셀 파일로 받고 싶어요"),
        make_entry(201, "환불 규정이 궁금합니다"),
    ]
    after = assignment(grouper().group(newer, previous))
    assert all(after[page] == gid for page, gid in previous.items())
    payment = previous[corpus()[0].page_id]
    assert after[newer[-2].page_id] == payment
    assert after[newer[-1].page_id] not in set(previous.values())


def test_two_existing_groups_never_merge_because_a_new_entry_bridges_them() -> None:
    a = [make_entry(1, "결제 내역 엑셀 다운로드"), make_entry(2, "결제 내역 엑셀 다운로드 요청")]
    b = [make_entry(3, "상담 기록 CSV 다운로드"), make_entry(4, "상담 기록 CSV 다운로드 요청")]
    previous = {e.page_id: "g00000000000a" for e in a} | {e.page_id: "g00000000000b" for e in b}
    bridge = make_entry(5, "결제 내역 엑셀 상담 기록 CSV 다운로드")
    groups = grouper(threshold=0.05).group([*a, *b, bridge], previous)
    assert sorted(g.id for g in groups) == ["g00000000000a", "g00000000000b"]


def test_removed_entries_leave_their_group_its_id() -> None:
    before = grouper().group(corpus(), {})
    previous = assignment(before)
    fewer = [e for e in corpus() if e.page_id != corpus()[0].page_id]
    after = assignment(grouper().group(fewer, previous))
    assert all(after[page] == previous[page] for page in after)


def test_average_linkage_does_not_chain_through_one_shared_neighbour() -> None:
    entries = [
        make_entry(1, "결제 내역 엑셀 다운로드"),
        make_entry(2, "결제 내역 엑셀 다운로드 상담 기록 CSV 다운로드"),
        make_entry(3, "상담 기록 CSV 다운로드"),
    ]
    # 1–2 and 2–3 score about 0.8, 1–3 about 0.26: single linkage would chain all three at 0.6
    groups = grouper(threshold=0.6).group(entries, {})
    assert sorted(len(g.members) for g in groups) == [1, 2]


def test_need_tag_scope_keeps_tags_apart_and_all_scope_does_not() -> None:
    entries = [make_entry(1, "슬랙 알림 주세요", need_tag="연동"), make_entry(2, "슬랙 알림 주세요!", need_tag="알림")]
    assert len(grouper(scope="need_tag").group(entries, {})) == 2
    assert len(grouper(scope="all").group(entries, {})) == 1
    assert len(grouper(scope="soft").group(entries, {})) == 1


def test_cells_split_a_large_set_and_still_find_the_paraphrases(monkeypatch: object) -> None:
    import pytest

    patch = pytest.MonkeyPatch()
    patch.setattr(graph_module, "EXACT_LIMIT", 4)
    patch.setattr(graph_module, "CELL_SIZE", 10)
    try:
        entries = [*corpus(), *(make_entry(300 + i, f"요청 {w} 관련 문의") for i, w in enumerate("가나다라마바사아"))]
        groups = grouper().group(entries, {})
        found = [sorted(e.text for e in g.members) for g in groups]
        assert sum(sorted(texts) in found for texts in NEEDS) >= 3, found
        assert snapshot(groups) == snapshot(grouper().group(list(reversed(entries)), {}))
    finally:
        patch.undo()


def test_clean_folds_width_links_contacts_numbers_and_emoji() -> None:
    assert clean("ＣＳＶ 내보내기!! 😭") == "csv 내보내기"
    assert clean("see https://example.com/x?y=1 now") == "see zurlz now"
    assert clean("kim@example.com 010-1234-5678 로 연락") == "zemailz zphonez 로 연락"
    assert clean("30분 전에 알림") == clean("10분 전에 알림")


def test_empty_and_punctuation_only_texts_stay_alone() -> None:
    entries = [make_entry(1, ""), make_entry(2, "!!!"), make_entry(3, "😊")]
    groups = grouper().group(entries, {})
    assert len(groups) == 3
    assert all(m.reason == "no similar request" for g in groups for m in g.memberships)

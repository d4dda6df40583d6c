"""Grouping v1, second layer: copies count as one text, edited members are re-checked, reasons read in both languages."""

from __future__ import annotations

from conftest import make_entry

from cxsync.grouping.encoders import NgramEncoder
from cxsync.grouping.similarity import SimilarityGrouper
from cxsync.models import Group
from cxsync.reports.i18n import reason


def grouper(threshold: float = 0.3) -> SimilarityGrouper:
    return SimilarityGrouper(NgramEncoder(), threshold, "all")


def assignment(groups: list[Group]) -> dict[str, str]:
    return {e.page_id: g.id for g in groups for e in g.members}


def test_copies_of_one_text_are_no_more_evidence_than_one_copy() -> None:
    # The demo's trap: three pasted copies of one request and a different request that shares most words.
    copies = [
        make_entry(n, text)
        for n, text in enumerate(
            [
                "Export ticket history to CSV please",
                "export ticket history to CSV please.",
                "Export ticket history to CSV, please!",
            ],
            1,
        )
    ]
    other = make_entry(9, "Can we export payment history to Excel?")
    groups = grouper().group([*copies, other], {})
    found = assignment(groups)
    assert len({found[e.page_id] for e in copies}) == 1
    assert found[other.page_id] != found[copies[0].page_id]


def test_an_edited_member_that_no_longer_fits_moves_and_says_so() -> None:
    payment = [
        make_entry(1, "결제 내역을 엑셀로 받고 싶어요"),
        make_entry(2, "결제 내역 엑셀로 받을 수 있나요"),
        make_entry(3, "결제내역을 엑셀로 받고 싶습니다"),
    ]
    slack = [make_entry(4, "슬랙 연동으로 티켓 알림"), make_entry(5, "슬랙 연동 티켓 알림 요청")]
    before = assignment(grouper().group([*payment, *slack], {}))
    assert before[payment[0].page_id] == before[payment[2].page_id] != before[slack[0].page_id]
    edited = payment[2].model_copy(update={"text": "티켓 알림을 슬랙 연동으로"})
    after = grouper().group([payment[0], payment[1], edited, *slack], before)
    now = assignment(after)
    assert now[edited.page_id] == before[slack[0].page_id]  # it moved to the group it now asks for
    assert now[payment[0].page_id] == before[payment[0].page_id]  # and nobody else moved
    assert now[slack[0].page_id] == before[slack[0].page_id]
    why = {m.page_id: m for g in after for m in g.memberships}[edited.page_id]
    assert why.reason.startswith(f"moved out of group {before[payment[0].page_id]}")
    assert "옮김" in reason("ko", why.reason, why.score) and "moved out of group" in reason("en", why.reason, why.score)


def test_unchanged_data_never_moves_anyone_and_new_entries_join_whole_groups() -> None:
    texts = [
        "결제 내역을 엑셀로 받고 싶어요",
        "결제 내역 엑셀로 받을 수 있나요",
        "슬랙 연동으로 티켓 알림",
        "슬랙 연동 티켓 알림 요청",
        "SSO 로그인 지원 계획이 있나요?",
    ]
    entries = [make_entry(n, text) for n, text in enumerate(texts)]
    before = assignment(grouper().group(entries, {}))
    again = grouper().group(entries, before)
    assert assignment(again) == before
    assert all(m.reason.startswith("kept from the previous run; ") for g in again for m in g.memberships)
    newer = make_entry(50, "결제내역을 엑셀로 받고 싶습니다")
    after = assignment(grouper().group([*entries, newer], before))
    assert after[newer.page_id] == before[entries[0].page_id]
    assert all(after[p] == g for p, g in before.items())


def test_reasons_read_in_korean_and_english_with_member_numbers() -> None:
    numbers = {"page-a": 1, "page-b": 2}
    assert reason("ko", "most similar to page-a", 0.8123, numbers) == "1번과 가장 비슷함 (0.81)"
    assert reason("en", "most similar to page-a", 0.8123, numbers) == "most like #1 (0.81)"
    assert (
        reason("ko", "kept from the previous run; no similar request", 1.0) == "지난 실행의 그룹 유지; 비슷한 요청 없음"
    )
    assert reason("ko", "kept from the previous run; similar to the rest of its group", 0.5) == (
        "지난 실행의 그룹 유지; 그룹의 다른 요청과 여전히 비슷함 (0.50)"
    )
    assert reason("ko", "split out by override", 1.0) == "그룹 지정(분리)으로 따로 묶음"
    assert reason("en", "group gabc merged by override", 1.0) == "its group gabc was merged in by an override"

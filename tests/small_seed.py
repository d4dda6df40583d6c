"""A small seed (the example schema, eight rows in five groups) for tests that run many syncs."""

from __future__ import annotations

import copy
from typing import Any

from cxsync.sandbox.runner import load_seed

ROWS = [
    ("결제 내역을 엑셀로 받고 싶어요", "데이터 내보내기", "김민수", "한빛커머스", 120_000_000),
    ("결제 내역을  엑셀로 받고 싶어요!!", "데이터 내보내기", "장태웅", "한빛커머스", 120_000_000),
    ("결제내역을 엑셀로 받고 싶어요", "데이터 내보내기", "Sarah Kim", "Blue Harbor Inc.", None),
    ("SSO 지원 계획이 있나요?", "권한 관리", "서준혁", "미래핀테크", 180_000_000),
    ("sso 지원 계획이 있나요", "권한 관리", "차민혁", "라온소프트", None),
    ("Dark mode for the mobile app, please!", "모바일", "Sarah Kim", "Blue Harbor Inc.", None),
    ("슬랙으로 새 티켓 알림 받고 싶어요", "알림", "윤가영", "누리헬스케어", 84_000_000),
    ("초성 검색 지원 요청", "검색", "이정훈", "바른물류", 36_000_000),
]


def small_seed(rows: list[tuple[str, str, str, str, int | None]] | None = None) -> dict[str, Any]:
    seed = copy.deepcopy(load_seed())
    database = seed["notion"]["databases"][0]
    options = database["properties"]["니즈 태그"]["options"]
    options += sorted({tag for _, tag, _, _, _ in rows or ROWS} - set(options))
    database["rows"] = [
        {
            "id": f"5e11a11a-0000-4000-8000-{index:012d}",
            "created_time": f"2026-10-{index + 1:02d}T09:00:00.000Z",
            "values": {
                "요청 내용": text,
                "니즈 태그": tag,
                "고객명": customer,
                "고객사": company,
                "ARR": arr,
                "상태": "접수",
            },
        }
        for index, (text, tag, customer, company, arr) in enumerate(rows or ROWS)
    ]
    return seed

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cxsync.models import VocEntry

BASE_TIME = datetime(2026, 9, 1, tzinfo=UTC)


def make_entry(n: int, text: str = "결제 내역을 엑셀로 받고 싶어요", **values: Any) -> VocEntry:
    """A VocEntry with a deterministic page id; `n` orders creation time."""
    defaults: dict[str, Any] = {
        "page_id": f"00000000-0000-4000-8000-{n:012d}",
        "url": f"https://www.notion.so/{n:032d}",
        "text": text,
        "need_tag": "데이터 내보내기",
        "customer": f"customer {n}",
        "company": None,
        "revenue": None,
        "created_time": BASE_TIME + timedelta(minutes=n),
        "last_edited_time": BASE_TIME + timedelta(minutes=n),
    }
    defaults.update(values)
    if isinstance(defaults["revenue"], int):
        defaults["revenue"] = Decimal(defaults["revenue"])
    return VocEntry(**defaults)

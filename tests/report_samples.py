"""Plans built by hand for report tests: every action, Korean text, and hostile customer text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cxsync.demand import Demand
from cxsync.models import RemoteLinkSpec, SkippedEntry, SyncRecord
from cxsync.plan import FieldChange, GroupPlan, Member, Orphan, Plan, WriteBackPlan

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2">'
JIRA = "https://acme.atlassian.net"


def member(n: int, text: str, customer: str | None, company: str | None, reason: str = "anchor") -> Member:
    return Member(
        page_id=f"00000000-0000-4000-8000-{n:012d}",
        url=f"https://www.notion.so/{n:032d}",
        text=text,
        customer=customer,
        company=company,
        score=1.0,
        reason=reason,
    )


def demand(requests: int, customers: int, companies: int, revenue: int | None, recent: int = 0) -> Demand:
    return Demand(
        requests=requests,
        customers=customers,
        companies=companies,
        revenue={"KRW": Decimal(revenue)} if revenue is not None else {},
        first_seen=date(2026, 6, 1),
        last_seen=date(2026, 11, 20),
        recent=recent,
        channels={"이메일": requests},
    )


def group(gid: str, action: str, summary: str, members: list[Member], **extra: Any) -> GroupPlan:
    values: dict[str, Any] = {
        "group_id": gid,
        "label": f"cxsync-{gid}",
        "need_tag": "데이터 내보내기",
        "summary": summary,
        "demand": demand(len(members), len(members), len(members), None),
        "members": members,
        "action": action,
        "record": SyncRecord(group=gid),
    }
    values.update(extra)
    return GroupPlan(**values)


def sample_plan() -> Plan:
    """Four groups (create, update, unchanged, skip), a skipped entry, an orphan and hostile text."""
    anchor = "00000000-0000-4000-8000-000000000001"
    create = group(
        "g0000000000a1",
        "create",
        "[데이터 내보내기] 결제 내역을 엑셀로 받고 싶어요",
        [
            member(1, "결제 내역을 엑셀로 받고 싶어요", "김민수", "한빛커머스"),
            member(
                2, "결제 내역을 엑셀로 받고 싶어요!!", "이서연", "누리헬스케어", f"same normalised text as {anchor}"
            ),
            member(3, "결제내역 엑셀 다운로드 (연락처 010-1234-5678)", "박지훈", "라온소프트", "pinned by override"),
        ],
        demand=demand(3, 3, 3, 300_000_000, recent=2),
        create_fields={"summary": "s", "labels": ["cxsync", "cxsync-g0000000000a1"], "priority": {"name": "High"}},
        link_upserts=[RemoteLinkSpec(global_id=f"cxsync:notion-page:{i}", url="https://x", title="t") for i in "ab"],
        write_record=True,
    )
    update = group(
        "g0000000000b2",
        "update",
        f"[알림] {XSS}",
        [member(4, XSS + " [red]markup[/red] | pipe *star* `tick`", "Mallory <b>", "Evil & Co", "anchor")],
        key="CX-7",
        demand=demand(1, 1, 1, 120_000_000),
        changes=[
            FieldChange(field="summary", before="old summary", after="new summary"),
            FieldChange(field="description", before="(cxsync block)", after="(cxsync block, re-rendered)"),
            FieldChange(field="customfield_10050", before=1.0, after=2),
            FieldChange(field="labels", before=None, after="cxsync-need-알림"),
        ],
        update_fields={"summary": "new summary"},
        link_deletes=["cxsync:notion-page:gone"],
        notes=["summary was edited in Jira; left as the human wrote it"],
    )
    unchanged = group(
        "g0000000000c3", "unchanged", "[검색] 초성 검색", [member(5, "초성 검색", None, None)], key="CX-8"
    )
    skip = group(
        "g0000000000d4",
        "skip",
        "[모바일] 다크 모드",
        [member(6, "다크 모드 지원해주세요", "Jane", "Acme")],
        notes=["its issue CX-3 was deleted in Jira; rerun with --recreate-missing to create a new one"],
    )
    return Plan(
        created_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        mapping="voc-ko",
        data_source_id="ds",
        jira_project="CX",
        jira_url=JIRA,
        groups=[unchanged, update, skip, create],
        writebacks=[
            WriteBackPlan(
                page_id=m.page_id,
                group_id=create.group_id,
                key=None,
                url=None,
                status="접수",
                before_key=None,
                before_status=None,
            )
            for m in create.members
        ],
        skipped=[
            SkippedEntry(
                page_id="p-skip",
                url="javascript:alert(1)",
                reason_en="the request text is empty",
                reason_ko="요청 내용이 비어 있습니다",
            )
        ],
        orphans=[
            Orphan(key="CX-99", group_id="g0000000000ff", reason="no Notion entry belongs to this group any more")
        ],
        fingerprint={"notion": "n1", "jira": "j1"},
    )

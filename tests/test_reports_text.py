"""Terminal and Markdown renderings of a hand-made plan: widths, colours, escaping, words."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from report_samples import XSS, sample_plan
from rich.cells import cell_len
from rich.console import Console

from cxsync.reports import print_plan, render_markdown
from cxsync.reports.i18n import TEXT, note, reason
from cxsync.reports.markdown import md, md_link
from cxsync.reports.view import build_view, money, quote

ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-9]m|\x1b\[[0-9;]*38;")


def render(lang: str = "ko", width: int = 100, **console: object) -> str:
    buffer = io.StringIO()
    print_plan(sample_plan(), Console(file=buffer, width=width, **console), lang, verbose=True)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_groups_are_ranked_by_requests_then_customers_then_revenue() -> None:
    view = build_view(sample_plan())
    assert [g.plan.action for g in view.groups] == ["create", "update", "unchanged", "skip"]
    assert [g.rank for g in view.groups] == [1, 2, 3, 4]
    assert view.currency == "KRW" and view.groups[0].revenue == Decimal(300_000_000)
    assert view.groups[0].writebacks == 3


def test_korean_rows_line_up_in_every_width() -> None:
    for width in (80, 100, 140):
        table = [line for line in render("ko", width).splitlines() if line[:1] in "┏┃┡│├└"]
        assert table, "the plan is printed as a table"
        widths = {cell_len(line) for line in table}
        assert len(widths) == 1, f"rows of different display widths at {width}: {widths}"
        assert widths.pop() <= width
        assert any("결제 내역을" in line for line in table)


def test_plan_reads_like_terraform() -> None:
    out = render("en", 200)
    assert "Legend:  + create  ~ update  = unchanged  ! skip" in out
    assert "Plan: 1 to create, 1 to update, 1 unchanged, 1 skipped." in out
    assert "~ summary: “old summary” → “new summary”" in out
    assert "its issue CX-3 was deleted in Jira" in out
    assert "2. 이서연 (누리헬스케어): “결제 내역을 엑셀로 받고 싶어요!!” — same text as #1" in out


def test_korean_words_and_core_notes_in_korean() -> None:
    out = render("ko", 120)
    assert "계획: 생성 1, 수정 1, 변경 없음 1, 건너뜀 1." in out
    assert "Jira에서 요약이 수정되어 사람이 쓴 대로 둡니다" in out
    assert (
        note("ko", "issue CX-1 moved to OPS-4; following it")
        == "이슈 CX-1이(가) OPS-4(으)로 옮겨져 그 이슈를 따라갑니다"
    )
    assert note("ko", "something new from the planner") == "something new from the planner"


def test_both_languages_have_every_message() -> None:
    assert set(TEXT["ko"]) == set(TEXT["en"])


def test_customer_text_cannot_restyle_the_terminal_and_personal_data_is_redacted() -> None:
    out = render("en", 200)
    assert "[red]markup[/red]" in out and XSS in out
    assert "010-1234-5678" not in out and "[전화번호/phone]" in out


def test_no_colour_off_a_terminal_or_with_no_color() -> None:
    coloured = render("en", 120, force_terminal=True, color_system="standard")
    assert ANSI_COLOUR.search(coloured), "a terminal gets colours"
    assert not ANSI_COLOUR.search(render("en", 120, force_terminal=True, color_system="standard", no_color=True))
    assert "\x1b[" not in render("en", 120), "a file or pipe gets plain text"


def test_no_changes_is_said_in_full() -> None:
    plan = sample_plan()
    plan.groups = [g for g in plan.groups if g.action == "unchanged"]
    plan.writebacks = []
    buffer = io.StringIO()
    print_plan(plan, Console(file=buffer, width=100), "en")
    assert "No changes. Jira matches Notion." in buffer.getvalue()
    assert "Unchanged groups not shown: 1" in buffer.getvalue()


def test_money_reasons_and_quotes() -> None:
    assert money(Decimal("1200000"), "KRW") == "₩1,200,000"
    assert money(Decimal("1200.4"), "CHF") == "1,200 CHF"
    assert reason("en", "embedding similarity 0.87", 0.87) == "embedding similarity 0.87 (0.87)"
    assert reason("ko", "anchor", 1.0) == "첫 요청"
    assert quote("메일 a@example.com\n\n줄바꿈", 20) == "메일 [이메일/email] 줄바꿈"
    assert quote("메일 a@example.com\n\n줄바꿈", 9) == "메일 [이메일/…"


def test_markdown_escapes_customer_text_and_keeps_lists_flat() -> None:
    text = render_markdown(sample_plan(), "en", verbose=True)
    assert "<script>" not in text and "\\<script\\>" in text
    assert "\\[red\\]markup\\[/red\\] \\| pipe \\*star\\* \\`tick\\`" in text
    assert "- \\+ new issue in CX (priority High, Notion links: 2)" in text
    assert "- 1\\. 김민수 (한빛커머스)" in text
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|--"):
            assert line.count(" | ") == 7, f"a customer '|' split a table row: {line}"


def test_markdown_links_are_http_only() -> None:
    assert md_link("x", "javascript:alert(1)") == "x"
    assert md_link("Notion", "https://www.notion.so/a b)") == "Notion"
    assert md_link("CX-1", "https://jira/browse/CX-1") == "[CX-1](https://jira/browse/CX-1)"
    assert md("# not a heading") == "\\# not a heading"
    assert "javascript:" not in render_markdown(sample_plan(), "ko").split("건너뛴 Notion 항목")[1].split("](")[0]


def test_markdown_in_korean() -> None:
    text = render_markdown(sample_plan(), "ko")
    assert text.startswith("## cxsync 실행 계획: voc-ko → Jira CX\n")
    assert "**계획: 생성 1, 수정 1, 변경 없음 1, 건너뜀 1.**" in text
    assert "| # | 작업 | 이슈 | 요청 | 고객 | 고객사 | 매출 | 요약 |" in text

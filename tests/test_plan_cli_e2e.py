"""The CX manager's commands against the sandboxes: report, saved plans, exit codes, progress, formats."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e import MAPPING, MAPPING_EN, World, all_pages, open_world
from rich.console import Console

from cxsync.config import load_mapping
from cxsync.progress import Phase, is_write
from cxsync.reports.live import LineProgress, RichProgress, progress_for
from cxsync.session import Session


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path)


def writes_seen(world: World) -> list[str]:
    """Every request to either sandbox that changed something."""
    seen = [*world.boxes.notion.requests, *world.boxes.jira.requests]
    return [f"{r.method} {r.path}" for r in seen if is_write(r.method, r.path)]


def test_report_renders_markdown_and_html_and_writes_nothing(world: World, tmp_path: Path) -> None:
    html = tmp_path / "weekly.html"
    result = world.cli("--lang", "en", "report", "--mapping", MAPPING, "--format", "markdown", "--html", str(html))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("## VoC demand report: voc-ko → Jira CX\n")
    assert "| 1 | \\+ create |" in result.stdout
    assert "Wrote the HTML report to" in result.stderr
    page = html.read_text(encoding="utf-8")
    assert "<title>VoC demand report: voc-ko → Jira CX</title>" in page
    assert writes_seen(world) == []
    korean = world.cli("report", "--mapping", MAPPING)
    assert "VoC 수요 리포트" in korean.stdout and writes_seen(world) == []


def test_report_json_kind(world: World) -> None:
    result = world.cli("report", "--mapping", MAPPING, "--format", "json")
    assert json.loads(result.stdout)["kind"] == "report"


def test_detailed_exitcode_pending_and_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert world.cli("plan", "--mapping", MAPPING, "--detailed-exitcode", "--format", "json").exit_code == 2
    assert world.cli("plan", "--mapping", MAPPING, "--format", "json").exit_code == 0, "without the flag: 0"
    monkeypatch.delenv("NOTION_TOKEN")
    failed = world.cli("--lang", "en", "plan", "--mapping", MAPPING, "--detailed-exitcode")
    assert failed.exit_code not in (0, 2) and "NOTION_TOKEN" in failed.stderr


def test_saved_plan_tells_how_to_apply_it(world: World, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    english = world.cli("--lang", "en", "plan", "--mapping", MAPPING, "--out", str(saved))
    assert f"To perform exactly these actions, run:\n  cxsync apply --mapping {MAPPING} {saved}" in english.stdout
    korean = world.cli("--lang", "ko", "plan", "--mapping", MAPPING, "--out", str(saved))
    assert f"계획을 {saved}에 저장했습니다" in korean.stdout


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["is stale: Notion changed after it was made", "Nothing was written.", "review it, then `cxsync apply"]),
        ("ko", ["오래되었습니다", "Notion의 내용이 바뀌었습니다", "아무것도 쓰지 않았습니다", "검토한 뒤"]),
    ],
)
def test_stale_plan_is_refused_clearly(world: World, tmp_path: Path, lang: str, words: list[str]) -> None:
    saved = tmp_path / "plan.json"
    assert world.cli("plan", "--mapping", MAPPING, "--out", str(saved), "--format", "json").exit_code == 0
    page = all_pages(world.notion())[0]
    world.notion().pages.update(page_id=page["id"], properties={"ARR": {"number": 7}})
    before = len(writes_seen(world))
    refused = world.cli("--lang", lang, "apply", "--mapping", MAPPING, str(saved))
    assert refused.exit_code == 7
    for word in words:
        assert word in refused.stderr, refused.stderr
    assert world.issues() == [] and len(writes_seen(world)) == before


def test_plan_for_another_mapping_or_not_a_plan_is_refused(world: World, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert world.cli("plan", "--mapping", MAPPING_EN, "--out", str(saved), "--format", "json").exit_code == 0
    other = world.cli("--lang", "en", "apply", "--mapping", MAPPING, str(saved))
    assert other.exit_code == 7 and "was made for mapping 'voc-en', not 'voc-ko'" in other.stderr
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}', encoding="utf-8")
    refused = world.cli("--lang", "ko", "apply", "--mapping", MAPPING, str(junk))
    assert refused.exit_code == 3 and "cxsync 계획 파일이 아닙니다" in refused.stderr
    assert writes_seen(world) == []


def test_sync_in_markdown_then_progress_lines_with_verbose(world: World) -> None:
    synced = world.cli("--lang", "en", "sync", "--mapping", MAPPING, "--format", "markdown", "--verbose")
    assert synced.exit_code == 0, synced.output
    assert synced.stdout.startswith("## cxsync plan: voc-ko → Jira CX") and "Applied:" in synced.stdout
    assert "Reading Notion and Jira:" in synced.stderr and "Writing to Jira and Notion:" in synced.stderr
    quiet = world.cli("--quiet", "plan", "--mapping", MAPPING, "--verbose", "--format", "json")
    assert quiet.stderr == "" and json.loads(quiet.stdout)["writes"] == 0


class Recorder:
    def __init__(self) -> None:
        self.phases: list[tuple[Phase, int | None]] = []
        self.writes = 0
        self.calls = 0
        self.ended: list[Phase] = []

    def begin(self, phase: Phase, total: int | None) -> None:
        self.phases.append((phase, total))

    def call(self, service: str, kind: str, write: bool) -> None:
        self.calls += 1
        self.writes += int(write)

    def end(self, phase: Phase) -> None:
        self.ended.append(phase)


def test_session_reports_progress_of_reads_and_every_write(world: World) -> None:
    recorder = Recorder()
    session = Session(load_mapping(MAPPING), progress=recorder)
    plan = session.plan()
    assert recorder.phases == [("read", None)] and recorder.writes == 0 and recorder.calls > 0
    session.apply(plan)
    assert recorder.phases[1] == ("write", plan.writes) and recorder.ended == ["read", "write"]
    assert recorder.writes == session.counter.writes() > 0
    assert recorder.calls == session.counter.total()


def test_rich_progress_draws_on_a_terminal_only() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True, width=100)
    assert isinstance(progress_for(terminal, "ko", quiet=False, verbose=False), RichProgress)
    assert progress_for(terminal, "ko", quiet=True, verbose=True) is None
    pipe = Console(file=io.StringIO(), width=100)
    assert progress_for(pipe, "en", quiet=False, verbose=False) is None
    assert isinstance(progress_for(pipe, "en", quiet=False, verbose=True), LineProgress)
    bar = RichProgress(terminal, "ko")
    bar.begin("write", 2)
    bar.call("jira", "POST /rest/api/3/issue", True)
    bar.call("jira", "POST /rest/api/3/search/jql", False)
    bar.end("write")
    assert "Jira와 Notion에 쓰는 중" in terminal.file.getvalue()  # type: ignore[attr-defined]


def test_the_core_never_imports_the_ui() -> None:
    """Progress reaches the core as an object; rich and the renderers stay in the CLI layer."""
    code = "import sys, cxsync.session, cxsync.progress; print(sorted(m for m in sys.modules if m.startswith(('cxsync.reports', 'cxsync.cli'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    package = Path(__file__).resolve().parents[1] / "cxsync"
    ui = {package / "cli.py", package / "demo.py", package / "report.py"}
    core = [p for p in package.rglob("*.py") if p not in ui and "reports" not in p.parts]
    offenders = [p.name for p in core if re.search(r"^\s*(from|import) rich", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []

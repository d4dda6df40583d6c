"""The README's main-job command and the standalone sandbox command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from jira import JIRA
from notion_client import Client

from cxsync.cli import main


def test_demo_syncs_twice_and_the_second_sync_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["--lang", "en", "demo", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    calls = json.loads((out / "api-calls.json").read_text(encoding="utf-8"))
    assert calls["first-sync"]["writes"] > 0
    assert calls["second-sync"]["writes"] == 0
    tour = (out / "jira-issues.md").read_text(encoding="utf-8")
    assert "⟦cxsync:begin⟧" in tour and "Requests" in tour
    assert "Where to look" in result.output


def test_sandbox_command_prints_an_environment_that_works(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cxsync", "sandbox"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        values = {}
        while "JIRA_API_TOKEN" not in values:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "sandbox exited"
            key, _, value = line.strip().partition("=")
            values[key] = value
        notion = Client(auth=values["NOTION_TOKEN"], base_url=values["NOTION_BASE_URL"])
        assert notion.users.me()["object"] == "user"
        jira = JIRA(values["JIRA_URL"], basic_auth=(values["JIRA_EMAIL"], values["JIRA_API_TOKEN"]), max_retries=0)
        assert jira.project("CX").key == "CX"
        assert values["CXSYNC_NOTION_RPS"] == "0", "an unthrottled sandbox tells cxsync not to pace"
    finally:
        process.terminate()
        process.wait(timeout=10)

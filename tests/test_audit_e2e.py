"""The audit trail of real runs against the sandboxes: what it holds, what it must never hold, and
`cxsync history` / `cxsync explain` reading it back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e import MAPPING, World, open_world

from cxsync.audit import load_runs, parse_target, payload_sha256

CANARY = "canary-audit-5e1f0c2b9d7a"
PII = ("yuna.choi@example.com", "010-1234-5678", "010-9876-5432")


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, list[dict[str, Any]], str]]:
    """The demo data synced twice (create, then nothing to do), with a canary as every credential."""
    monkeypatch = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("audit")
    for world in open_world(monkeypatch, tmp, token=CANARY):
        first = world.sync_json()
        second = world.sync_json()
        assert first["created"] > 0 and second["writes"] == 0
        log = world.state_dir / "audit.jsonl"
        text = log.read_text(encoding="utf-8")
        yield world, [json.loads(line) for line in text.splitlines()], text
    monkeypatch.undo()


def test_seed_really_contains_the_pii_the_log_must_not() -> None:
    seed = (Path(__file__).resolve().parents[1] / "examples" / "sandbox-seed.json").read_text(encoding="utf-8")
    assert all(value in seed for value in PII)


def test_audit_log_has_no_token_and_no_unredacted_pii(synced: tuple[World, list[dict[str, Any]], str]) -> None:
    _, _, text = synced
    assert CANARY not in text and CANARY[4:-4] not in text
    for value in PII:
        assert value not in text
    assert "[이메일/email]" in text or "[전화번호/phone]" in text  # redacted, not dropped


def test_each_run_records_inputs_decisions_writes_and_summary(
    synced: tuple[World, list[dict[str, Any]], str],
) -> None:
    world, _, _ = synced
    runs = load_runs(world.state_dir / "audit.jsonl")
    assert len(runs) == 2
    first, second = runs
    assert [e["type"] for e in first.events][:2] == ["run_start", "inputs"]
    assert first.events[-1]["type"] == "run_end" and first.outcome == "ok"
    assert first.start["command"] == "sync" and first.start["mapping"] == "voc-ko"
    inputs = first.first("inputs")
    groups = first.of("group")
    assert inputs["groups"] == len(groups) and inputs["entries"] == sum(len(g["members"]) for g in groups)
    assert all(m["reason"] and 0 <= m["score"] <= 1 for g in groups for m in g["members"])
    writes = first.of("write")
    creates = [w for w in writes if w["kind"] == "create"]
    assert len(creates) == first.end["summary"]["created"] == len(world.issues())
    assert all(re.fullmatch(r"CX-\d+", w["target"]) and w["outcome"] == "ok" for w in creates)
    assert all(re.fullmatch(r"[0-9a-f]{64}", w["sha256"]) for w in writes)
    backs = [w for w in writes if w["kind"] == "writeback"]
    assert len(backs) == first.end["summary"]["written_back"] > 0
    assert {w["kind"] for w in writes} >= {"create", "link", "record", "writeback"}
    # the second run decided the same groups and wrote nothing
    assert second.of("write") == [] and second.end["summary"]["writes_attempted"] == 0
    assert {g["group_id"] for g in second.of("group")} == {g["group_id"] for g in groups}
    assert all(g["action"] == "unchanged" for g in second.of("group"))
    # append-only: sequence numbers run 1..n inside each run
    for run in runs:
        assert [e["seq"] for e in run.events] == list(range(1, len(run.events) + 1))


def test_create_hash_matches_the_fields_jira_received(synced: tuple[World, list[dict[str, Any]], str]) -> None:
    world, _, _ = synced
    first = load_runs(world.state_dir / "audit.jsonl")[0]
    create = first.of("write")[0]
    group = next(g for g in first.of("group") if g["group_id"] == create["group_id"])
    assert group["action"] == "create"
    assert create["sha256"] != payload_sha256(None)


def test_history_lists_both_runs(synced: tuple[World, list[dict[str, Any]], str]) -> None:
    world, _, _ = synced
    result = world.cli("history", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["outcome"] for r in rows] == ["ok", "ok"]
    assert rows[0]["created"] == len(world.issues()) and rows[1]["created"] == 0 and rows[1]["writes"] == 0
    text = world.cli("history").stdout
    assert rows[0]["run"] in text and rows[1]["run"] in text and "sync" in text


def test_explain_entry_by_url_and_id(synced: tuple[World, list[dict[str, Any]], str]) -> None:
    world, _, _ = synced
    first = load_runs(world.state_dir / "audit.jsonl")[0]
    group = max(first.of("group"), key=lambda g: len(g["members"]))
    member = group["members"][-1]
    by_url = world.cli("explain", member["url"])
    assert by_url.exit_code == 0, by_url.output
    out = by_url.stdout
    assert f"entry {member['page_id']}" in out and f"group {group['group_id']}" in out
    assert member["reason"] in out and re.search(r"issue: CX-\d+", out)
    assert world.cli("explain", member["page_id"].replace("-", "")).stdout == out


def test_explain_issue(synced: tuple[World, list[dict[str, Any]], str]) -> None:
    world, _, _ = synced
    issue = world.issues()[0]
    result = world.cli("explain", issue["key"])
    assert result.exit_code == 0, result.output
    label = next(label for label in issue["labels"] if label.startswith("cxsync-g"))
    assert f"issue {issue['key']}" in result.stdout
    assert "created" in result.stdout and "`cxsync sync`" in result.stdout
    assert f"group {label.removeprefix('cxsync-')}" in result.stdout


def test_explain_unknown_target_fails_clearly(synced: tuple[World, list[dict[str, Any]], str]) -> None:
    world, _, _ = synced
    missing = world.cli("explain", "CX-9999")
    assert missing.exit_code == 3 and "CX-9999" in missing.stderr
    nonsense = world.cli("explain", "hello world")
    assert nonsense.exit_code == 3


def test_parse_target() -> None:
    page = "8a1c2f3e-5b6d-4e7f-9a0b-1c2d3e4f5a01"
    assert parse_target(page) == ("entry", page)
    assert parse_target("https://www.notion.so/Some-title-" + page.replace("-", "") + "?pvs=4") == ("entry", page)
    assert parse_target("CX-12") == ("issue", "CX-12")
    assert parse_target("https://acme.atlassian.net/browse/CX-12") == ("issue", "CX-12")
    assert parse_target("cx-12") is None


def test_page_url_drops_the_title_slug() -> None:
    from cxsync.audit import page_url

    hexid = "8a1c2f3e5b6d4e7f9a0b1c2d3e4f5a01"
    assert page_url(f"https://www.notion.so/call-010-1234-5678-{hexid}?pvs=4") == f"https://www.notion.so/{hexid}"
    assert page_url(f"http://127.0.0.1:5000/{hexid}") == f"http://127.0.0.1:5000/{hexid}"


def test_failed_writes_are_recorded_with_their_outcome(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from small_seed import small_seed

    from cxsync.sandbox.base import Fault

    monkeypatch.setenv("CXSYNC_RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("CXSYNC_RETRY_BUDGET_SECONDS", "0.5")
    for world in open_world(monkeypatch, tmp_path, seed=small_seed()):
        world.boxes.notion.inject(Fault(method="PATCH", path=r"/v1/pages/", status=400, times=10_000))
        result = world.cli("sync", "--mapping", MAPPING, "--format", "json")
        assert result.exit_code == 6
        (run,) = load_runs(world.state_dir / "audit.jsonl")
        assert run.outcome == "partial"
        backs = [w for w in run.of("write") if w["kind"] == "writeback"]
        assert backs and all(w["outcome"] == "failed" and w["detail"] for w in backs)
        assert all(w["outcome"] == "ok" for w in run.of("write") if w["kind"] == "create")
        assert len(run.end["summary"]["failures"]) == len(backs)
        history = world.cli("history", "--format", "json")
        assert json.loads(history.stdout)[0]["outcome"] == "partial"


def test_unchanged_groups_are_not_logged_again_until_the_log_is_rotated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for world in open_world(monkeypatch, tmp_path):
        world.sync_json()
        world.sync_json()  # the created groups are now unchanged, with their keys: a new decision each
        log = world.state_dir / "audit.jsonl"
        size = log.stat().st_size
        world.sync_json()
        third = load_runs(log)[-1]
        assert third.of("group") == [], "nothing about any group changed"
        assert third.first("inputs")["not_repeated"] == third.first("inputs")["groups"] > 0
        assert log.stat().st_size - size < size / 20
        member = load_runs(log)[1].of("group")[0]["members"][0]
        explained = world.cli("explain", member["page_id"])
        assert explained.exit_code == 0 and f"entry {member['page_id']}" in explained.stdout

        log.rename(log.with_name("audit.jsonl.1"))  # logrotate
        world.sync_json()
        (fresh,) = load_runs(log)
        assert len(fresh.of("group")) == fresh.first("inputs")["groups"], "a new log holds every decision again"

"""The optional Slack run summary, posted to a loopback incoming-webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from e2e import MAPPING, World, open_world
from small_seed import small_seed

from cxsync.errors import ExitCode
from cxsync.sandbox.base import Fault
from cxsync.sandbox.slack_webhook import SlackWebhookSandbox
from cxsync.slack import ENV


@pytest.fixture
def slack() -> Iterator[SlackWebhookSandbox]:
    with SlackWebhookSandbox() as receiver:
        assert isinstance(receiver, SlackWebhookSandbox)
        yield receiver


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, slack: SlackWebhookSandbox) -> Iterator[World]:
    for world in open_world(monkeypatch, tmp_path, seed=small_seed()):
        monkeypatch.setenv(ENV, slack.webhook_url)
        yield world


def _sync(world: World, *args: str) -> Result:
    return world.cli(*args, "sync", "--mapping", MAPPING, "--format", "json")


def _section(message: dict[str, Any], title: str) -> str:
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    return next(t for t in texts if t.startswith(title))


def _no_secret(slack: SlackWebhookSandbox, *outputs: str) -> None:
    secret = slack.path.rsplit("/", 1)[1]
    for text in outputs:
        assert secret not in text and slack.path not in text, "the webhook URL is a secret"


def test_a_sync_posts_one_summary_and_shipped_issues_follow(world: World, slack: SlackWebhookSandbox) -> None:
    assert world.cli("plan", "--mapping", MAPPING).exit_code == 0
    assert slack.received == [], "plan is a dry run: nothing is posted"

    first = _sync(world)
    assert first.exit_code == 0, first.output
    created = json.loads(first.stdout)["applied"]["created"]
    assert len(slack.received) == 1
    message = slack.received[0]
    assert message["text"] == "cxsync sync voc-ko: 새 그룹 5, 생성 5, 수정 0, 출시 0, 실패 0"
    assert message["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "cxsync sync: voc-ko → Jira CX"},
    }
    listed = _section(message, "*새로 만든 이슈*")
    jira = world.boxes.jira.base_url
    for key in created.values():
        assert f"<{jira}/browse/{key}|{key}>" in listed
    assert "[데이터 내보내기] 결제 내역을 엑셀로 받고 싶어요 — 요청 3건, 고객 3명" in listed

    world.boxes.jira.transition(created_key := sorted(created.values())[0], "Done")
    world.boxes.jira.transition(sorted(created.values())[1], "Won't Do")
    second = _sync(world, "--lang", "en")
    assert second.exit_code == 0, second.output
    assert len(slack.received) == 2
    shipped = _section(slack.received[1], "*Shipped since the last run*")
    assert f"|{created_key}>" in shipped and shipped.count("\n•") == 1, "Won't Do is not shipped"
    assert slack.received[1]["text"].endswith("0 created, 0 updated, 1 shipped, 0 failures")

    assert _sync(world).exit_code == 0
    assert len(slack.received) == 2, "a sync with nothing to report stays silent"
    world.monkeypatch.delenv(ENV)
    world.boxes.jira.transition(sorted(created.values())[2], "Done")
    posts = len(slack.calls())
    assert _sync(world).exit_code == 0
    assert len(slack.calls()) == posts, "nothing is posted when the URL is unset"
    _no_secret(slack, first.output, second.output)


def test_a_failing_webhook_warns_and_keeps_the_exit_code(world: World, slack: SlackWebhookSandbox) -> None:
    slack.inject(Fault(method="POST", status=410))
    world.boxes.jira.inject(Fault(method="POST", path=r"/remotelink$", status=400))
    result = _sync(world, "--debug")
    assert result.exit_code == ExitCode.PARTIAL, "Jira's partial failure decides the exit code, not Slack"
    warning = next(line for line in result.stderr.splitlines() if "Slack 실행 요약을 보내지 못했습니다" in line)
    assert "HTTP 410" in warning and "channel_is_archived" in warning
    assert json.loads(result.stdout)["kind"] == "apply", "stdout stays the JSON document"
    assert slack.received == []
    _no_secret(slack, result.stdout, result.stderr)

    retried = _sync(world, "--debug")
    assert retried.exit_code == 0, retried.output
    assert len(slack.received) == 1 and slack.received[0]["text"].endswith("실패 0"), "the next run reports"
    _no_secret(slack, retried.stdout, retried.stderr)


def test_the_summary_lists_failures(world: World, slack: SlackWebhookSandbox) -> None:
    world.boxes.jira.inject(Fault(method="POST", path=r"/remotelink$", status=400))
    result = _sync(world, "--lang", "en")
    assert result.exit_code == ExitCode.PARTIAL
    failures = _section(slack.received[0], "*Failures*")
    assert failures.count("\n•") == 1 and "HTTP 400" in failures
    assert slack.received[0]["text"].endswith("1 failures")


def test_unreachable_or_malformed_webhooks_only_warn(world: World, slack: SlackWebhookSandbox) -> None:
    slack.stop()
    result = _sync(world, "--lang", "en")
    assert result.exit_code == 0 and "Cannot reach the Slack webhook at 127.0.0.1" in result.stderr
    _no_secret(slack, result.stdout, result.stderr)
    world.monkeypatch.setenv(ENV, "ftp://example.com/hook-secret-path")
    bad = _sync(world, "--lang", "en")
    assert bad.exit_code == 0 and f"{ENV} is not an http(s) URL" in bad.stderr
    assert "hook-secret-path" not in bad.output

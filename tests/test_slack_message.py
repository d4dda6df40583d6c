"""The Slack run summary message: capped lists, escaped customer text, both languages, and secret URLs."""

from __future__ import annotations

import pytest

from cxsync.errors import ConfigError
from cxsync.redact import redact
from cxsync.slack import webhook_url
from cxsync.slack_message import LIST_LIMIT, Item, RunSummary, build_message


def _summary(created: int) -> RunSummary:
    items = [
        Item(
            f"CX-{n}",
            f"요청 {n} <!channel> & <https://evil.example|click>",
            f"https://jira.example/browse/CX-{n}",
            n,
            1,
        )
        for n in range(1, created + 1)
    ]
    return RunSummary("sync", "voc", "CX", new_groups=created, created=items, when="2026-12-01 09:00 UTC", writes=3)


def test_long_lists_are_capped_and_customer_text_cannot_mention_or_link() -> None:
    message = build_message(_summary(LIST_LIMIT + 4), "en")
    section = message["blocks"][2]["text"]["text"]  # type: ignore[index]
    lines = section.splitlines()
    assert lines[0] == "*Issues created*" and len(lines) == 1 + LIST_LIMIT + 1
    assert lines[-1] == "… and 4 more"
    assert lines[1] == (
        "• <https://jira.example/browse/CX-1|CX-1> 요청 1 &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
        " — 1 request(s), 1 customer(s)"
    )
    assert "<!channel>" not in str(message)


def test_the_message_speaks_korean_or_english() -> None:
    ko, en = build_message(_summary(2), "ko"), build_message(_summary(2), "en")
    assert ko["text"] == "cxsync sync voc: 새 그룹 2, 생성 2, 수정 0, 출시 0, 실패 0"
    assert en["text"] == "cxsync sync voc: 2 new groups, 2 created, 0 updated, 0 shipped, 0 failures"
    assert "요청 1건, 고객 1명" in str(ko["blocks"])


def test_an_empty_run_is_not_worth_a_message() -> None:
    assert _summary(0).is_empty and not _summary(1).is_empty


def test_the_webhook_url_is_masked_everywhere_once_read() -> None:
    url = "https://hooks.slack.com/services/T0TEST/B0TEST/s3cretWebhookToken42"
    assert webhook_url({"CXSYNC_SLACK_WEBHOOK_URL": url}) == url
    assert webhook_url({}) is None
    leaked = f"POST {url} failed; path /services/T0TEST/B0TEST/s3cretWebhookToken42; token s3cretWebhookToken42"
    assert "s3cretWebhookToken42" not in redact(leaked)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://[::1/services/T/B/unclosed", "hooks.slack.com/x"])
def test_a_malformed_webhook_url_is_a_config_error_not_a_crash(url: str) -> None:
    with pytest.raises(ConfigError):
        webhook_url({"CXSYNC_SLACK_WEBHOOK_URL": url})

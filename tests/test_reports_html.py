"""The HTML report, read back with an HTML parser: self-contained, escaped, locked down by its CSP."""

from __future__ import annotations

import base64
import hashlib
import json
from html.parser import HTMLParser

from report_samples import XSS, sample_plan

from cxsync.reports import render_html
from cxsync.reports.html import asset, content_security_policy

FETCHING_TAGS = {"link", "iframe", "object", "embed", "base", "img", "audio", "video", "source", "frame"}


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.texts: list[str] = []
        self.styles: list[str] = []
        self._open: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = tag

    def handle_endtag(self, tag: str) -> None:
        self._open = None if tag in ("script", "style") else self._open

    def handle_data(self, data: str) -> None:
        if self._open == "script":
            self.scripts.append((self.tags[-1][1], data))
        elif self._open == "style":
            self.styles.append(data)
        else:
            self.texts.append(data)

    def attrs(self, name: str) -> list[str]:
        return [str(a[name]) for _, a in self.tags if a.get(name) is not None]


def sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_hostile_customer_text_stays_text() -> None:
    page = Page(render_html(sample_plan(), "en"))
    assert len(page.scripts) == 2, "the JSON data block and the report's own script, nothing else"
    assert XSS in "".join(page.texts), "the request is shown, as text"
    assert "Mallory <b> (Evil & Co)" not in "".join(page.texts), "names are text too (joined with ·)"
    assert "Mallory <b> · Evil & Co" in "".join(page.texts)
    assert not [name for _, attrs in page.tags for name in attrs if name.startswith("on")]
    assert {tag for tag, _ in page.tags}.isdisjoint(FETCHING_TAGS)


def test_links_are_http_or_in_page_and_open_safely() -> None:
    page = Page(render_html(sample_plan(), "ko"))
    hrefs = page.attrs("href")
    assert hrefs and all(h.startswith(("https://", "http://", "#")) for h in hrefs)
    assert "javascript:alert(1)" not in hrefs
    for tag, attrs in page.tags:
        if tag == "a" and str(attrs.get("href", "")).startswith("http"):
            assert attrs.get("rel") == "noopener noreferrer" and attrs.get("target") == "_blank"
    assert "https://acme.atlassian.net/browse/CX-7" in hrefs


def test_content_security_policy_allows_only_the_reports_own_script_and_style() -> None:
    page = Page(render_html(sample_plan(), "en"))
    policy = next(
        a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    code = next(text for attrs, text in page.scripts if "type" not in attrs)
    assert code == asset("report.js")
    assert policy == content_security_policy(asset("report.js"), asset("report.css"))
    assert f"script-src 'sha256-{sha(code)}'" in str(policy)
    assert f"style-src 'sha256-{sha(page.styles[0])}'" in str(policy)
    assert "default-src 'none'" in str(policy) and "connect-src" not in str(policy)


def test_data_block_cannot_end_its_script_and_round_trips() -> None:
    html = render_html(sample_plan(), "en")
    page = Page(html)
    attrs, raw = next((a, text) for a, text in page.scripts if a.get("type") == "application/json")
    assert attrs["id"] == "cxsync-data"
    assert "<" not in raw and ">" not in raw and "&" not in raw
    data = json.loads(raw)
    assert [g["action"] for g in data["groups"]] == ["create", "update", "unchanged", "skip"]
    assert data["groups"][1]["summary"] == f"[알림] {XSS}"
    assert data["currencySign"] == "₩" and data["groups"][0]["revenue"] == 300_000_000


def test_report_has_what_a_manager_needs() -> None:
    page = Page(render_html(sample_plan(), "ko"))
    text = "".join(page.texts)
    ids = set(page.attrs("id"))
    assert {"chart", "q", "action", "tag", "sort", "group-list", "metric"} <= ids
    assert "Jira에서 바뀌는 것" in text and "근거: 요청 3건" in text
    assert "~ summary: “old summary” → “new summary”" in text
    assert "[전화번호/phone]" in text and "010-1234-5678" not in text
    assert page.tags[0] == ("html", {"lang": "ko"})

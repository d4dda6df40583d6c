"""The HTML report in a real headless Chromium: the chart draws, filters work, nothing is fetched,
no console errors, hostile text stays text, and Korean is drawn with a Hangul font.

Screenshots are kept in test-artifacts/ (gitignored). Without Chromium the test skips, except
under CI=true, where it fails: .ci/run installs Debian's chromium and fonts-nanum.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp import Browser, chromium_or_skip, hangul_fonts
from e2e import MAPPING, World, open_world
from report_samples import XSS, sample_plan

from cxsync.reports import render_html

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
BAR_VALUES = "[...document.querySelectorAll('#chart svg rect.bar')].map(r => Number(r.dataset.value))"
SHOWN = "[...document.querySelectorAll('article.group')].filter(a => !a.hidden).map(a => a.dataset.id)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser(chromium_or_skip()) as chromium:
        yield chromium


def load_report(browser: Browser, path: Path) -> None:
    browser.events.requests.clear()
    browser.load(path)
    browser.wait_for("document.documentElement.dataset.chart === 'ready'")


def assert_offline_and_clean(browser: Browser, path: Path) -> None:
    browser.evaluate("1")  # drain the events that arrived since the last call
    assert browser.events.requests == [path.resolve().as_uri()], "the report fetched something"
    assert browser.events.errors() == []


def assert_hangul_drawn(browser: Browser, selector: str) -> None:
    installed = hangul_fonts()
    fonts = browser.fonts_for(selector)
    used = [f for f in fonts if f["familyName"] in installed and f["glyphCount"] > 0]
    assert used, f"Korean text in {selector} was drawn with {fonts}, none of which has Hangul ({installed or 'none'})"


def type_into(browser: Browser, selector: str, value: str, event: str) -> None:
    browser.evaluate(
        f"(() => {{ const e = document.querySelector({selector!r}); e.value = {value!r};"
        f" e.dispatchEvent(new Event({event!r})); }})()"
    )


def test_sample_report_chart_filters_and_safety(browser: Browser, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(render_html(sample_plan(), "ko"), encoding="utf-8")
    load_report(browser, path)
    assert browser.evaluate(BAR_VALUES) == [3, 1, 1, 1]
    browser.evaluate("document.querySelector('.metric button[data-metric=revenue]').click()")
    assert browser.evaluate(BAR_VALUES) == [300_000_000, 120_000_000]
    assert browser.evaluate("document.querySelector('#chart svg text.value').textContent") == "₩300,000,000"

    type_into(browser, "#q", "엑셀", "input")
    assert browser.evaluate(SHOWN) == ["g0000000000a1"]
    assert browser.evaluate("document.getElementById('shown').textContent") == "그룹 4개 중 1개 표시"
    type_into(browser, "#q", "", "input")
    type_into(browser, "#action", "skip", "change")
    assert browser.evaluate(SHOWN) == ["g0000000000d4"]
    type_into(browser, "#action", "", "change")
    type_into(browser, "#sort", "revenue", "change")
    assert browser.evaluate(SHOWN)[:2] == ["g0000000000a1", "g0000000000b2"]

    assert browser.evaluate("window.__xss === undefined")
    assert browser.evaluate("document.querySelector('#g-g0000000000b2 h3').textContent") == f"[알림] {XSS}"
    assert browser.evaluate("document.querySelectorAll('script').length") == 2
    assert browser.evaluate("document.characterSet") == "UTF-8"
    assert_hangul_drawn(browser, "#g-g0000000000a1 h3")
    assert_offline_and_clean(browser, path)
    browser.screenshot(ARTIFACTS / "report-sample-ko.png")


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path)


def test_demo_plan_report_from_the_cli(browser: Browser, world: World, tmp_path: Path) -> None:
    path = tmp_path / "plan.html"
    result = world.cli("--lang", "ko", "plan", "--mapping", MAPPING, "--format", "json", "--html", str(path))
    assert result.exit_code == 0, result.output
    assert "HTML 리포트를 저장했습니다" in result.stderr and result.stdout.lstrip().startswith("{")
    load_report(browser, path)
    assert len(browser.evaluate(BAR_VALUES)) == 10
    top = json.loads(result.stdout)["groups"][0]["summary"]
    assert top in browser.evaluate("document.body.innerText"), "the top group's Korean summary is on the page"
    assert_hangul_drawn(browser, "#chart svg text.label")
    assert_hangul_drawn(browser, "article.group h3")
    assert_offline_and_clean(browser, path)
    browser.screenshot(ARTIFACTS / "report-demo-ko.png")
    assert (ARTIFACTS / "report-demo-ko.png").stat().st_size > 10_000


def test_an_empty_plan_still_renders_cleanly(browser: Browser, tmp_path: Path) -> None:
    plan = sample_plan()
    plan.groups, plan.writebacks, plan.skipped, plan.orphans = [], [], [], []
    path = tmp_path / "empty.html"
    path.write_text(render_html(plan, "en", mode="report"), encoding="utf-8")
    load_report(browser, path)
    assert browser.evaluate(BAR_VALUES) == []
    assert browser.evaluate("document.querySelector('#chart svg text').textContent") == (
        "No group has a value for this measure."
    )
    assert browser.evaluate("document.title") == "VoC demand report: voc-ko → Jira CX"
    assert_offline_and_clean(browser, path)

"""`--format json`: the versioned document and its published schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from report_samples import sample_plan

from cxsync.adapters.counting import ApiCounter
from cxsync.apply import ApplyResult, Failure
from cxsync.reports import FORMAT_VERSION, summary_json
from cxsync.reports.json_schema import SCHEMA

DOCS = Path(__file__).resolve().parents[1] / "docs"


def assert_valid(document: dict[str, Any]) -> None:
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert not problems, problems[:5]


def test_the_published_schema_is_the_one_in_the_code() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    published = json.loads((DOCS / "plan-json.schema.json").read_text(encoding="utf-8"))
    assert published == SCHEMA, "regenerate docs/plan-json.schema.json from cxsync/reports/json_schema.py"
    assert f"(format {FORMAT_VERSION})" in (DOCS / "plan-json.md").read_text(encoding="utf-8")


def test_plan_document_follows_the_schema() -> None:
    counter = ApiCounter()
    counter.record("notion", "POST", "/v1/data_sources/8a1c2f3e-5b6d-4e7f-9a0b-1c2d3e4f5ad1/query")
    document = json.loads(summary_json(sample_plan(), counter))
    assert_valid(document)
    assert document["format_version"] == FORMAT_VERSION and document["kind"] == "plan"
    assert (document["created"], document["updated"], document["unchanged"], document["skipped_groups"]) == (1, 1, 1, 1)
    assert document["api_calls"]["by_kind"] == {"notion POST /v1/data_sources/{id}/query": 1}
    update = document["groups"][1]
    assert update["changes"] == ["summary", "description", "customfield_10050", "labels"]
    assert update["field_changes"][1] == {
        "field": "description",
        "before": "(cxsync block)",
        "after": "(cxsync block, re-rendered)",
    }
    assert update["url"] == "https://acme.atlassian.net/browse/CX-7"
    assert "010-1234-5678" not in json.dumps(document, ensure_ascii=False)


def test_apply_document_adds_what_was_done() -> None:
    result = ApplyResult(created={"g0000000000a1": "CX-10"}, updated=["CX-7"], written_back=3)
    result.failures.append(Failure("CX-7", "Jira said no", "Jira가 거절했습니다"))
    document = json.loads(summary_json(sample_plan(), ApiCounter(), result))
    assert_valid(document)
    assert document["kind"] == "apply"
    assert document["applied"]["created"] == {"g0000000000a1": "CX-10"}
    assert document["applied"]["failures"] == [
        {"target": "CX-7", "message": "Jira said no", "message_ko": "Jira가 거절했습니다"}
    ]


def test_json_does_not_depend_on_the_language() -> None:
    first = summary_json(sample_plan(), ApiCounter())
    assert first == summary_json(sample_plan(), ApiCounter(), kind="plan")
    assert json.loads(summary_json(sample_plan(), ApiCounter(), kind="report"))["kind"] == "report"

"""`cxsync init` and `cxsync doctor` check the Jira create screen (createmeta) for the demand fields."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from e2e import DS_KO, MAPPING, World, open_world
from jsonschema import Draft7Validator
from small_seed import small_seed

from cxsync.config import load_mapping

SPEC = Path("/work/shared/specs/jira-platform-v3.openapi.json")
HIDDEN = "customfield_10051"  # "Distinct customers", which mappings/example.yaml maps


def _seed() -> dict[str, Any]:
    seed = copy.deepcopy(small_seed())
    cx = next(p for p in seed["jira"]["projects"] if p["key"] == "CX")
    next(t for t in cx["issue_types"] if t["name"] == "Improvement")["not_on_create_screen"] = [HIDDEN]
    return seed


@pytest.fixture(params=["cloud", "datacenter"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    yield from open_world(monkeypatch, tmp_path, flavor=request.param, seed=_seed())


def test_init_leaves_out_a_demand_field_the_create_screen_does_not_allow(world: World, tmp_path: Path) -> None:
    out = tmp_path / "mappings"
    args = ["init", "--data-source", DS_KO, "--project", "CX", "--name", "team", "--out-dir", str(out), "--yes"]
    result = world.cli("--lang", "en", *args)
    assert result.exit_code == 0, result.output
    assert "left out demand fields not on the create screen of CX / Improvement: customers (Distinct customers)" in (
        result.stderr
    )
    text = (out / "team.yaml").read_text(encoding="utf-8")
    assert '#   customers: "Distinct customers"' in text
    demand = load_mapping(out / "team.yaml").mapping.jira.demand_fields
    assert demand.customers is None and demand.requests == "Customer requests"
    korean = world.cli("--lang", "ko", *args, "--force")
    assert "생성 화면에 없는 수요 필드는 매핑에서 뺐습니다: customers (Distinct customers)" in korean.stderr

    doctor = world.cli("doctor", "--mapping", str(out / "team.yaml"))
    assert doctor.exit_code == 0, doctor.output
    assert "ok    jira create screen: all 2 demand fields are on the create screen of CX / Improvement" in doctor.stdout
    assert world.sync_json(str(out / "team.yaml"))["created"] == 5


def test_doctor_and_jira_reject_a_mapped_field_missing_from_the_create_screen(world: World) -> None:
    doctor = world.cli("doctor", "--mapping", MAPPING)
    assert doctor.exit_code == 3
    assert f"FAIL  jira create screen: demand field customers ({HIDDEN}) is not on the create screen" in doctor.stdout
    sync = world.cli("sync", "--mapping", MAPPING, "--format", "json")
    assert sync.exit_code == 6 and "It is not on the appropriate screen" in sync.stdout, "what doctor warns about"


def test_createmeta_pages_like_the_real_endpoints(world: World) -> None:
    env = world.boxes.env()
    cloud = world.boxes.jira.flavor == "cloud"
    version = "3" if cloud else "2"
    auth: dict[str, Any] = (
        {"auth": (env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])}
        if cloud
        else {"headers": {"Authorization": f"Bearer {env['JIRA_PAT']}"}}
    )
    base = f"{env['JIRA_URL']}/rest/api/{version}/issue/createmeta/CX/issuetypes"
    items = "fields" if cloud else "values"
    first = requests.get(f"{base}/10002", params={"maxResults": 4}, timeout=5, **auth).json()
    assert (first["startAt"], first["maxResults"], len(first[items])) == (0, 4, 4)
    assert ("isLast" in first) is (not cloud)
    rest = requests.get(f"{base}/10002", params={"startAt": 4, "maxResults": 50}, timeout=5, **auth).json()
    ids = [f["fieldId"] for f in first[items] + rest[items]]
    assert len(ids) == first["total"] and HIDDEN not in ids and "customfield_10050" in ids
    summary = next(f for f in first[items] if f["fieldId"] == "summary")
    assert summary == {
        "required": True,
        "schema": {"type": "string", "system": "summary"},
        "name": "Summary",
        "key": "summary",
        "fieldId": "summary",
        "hasDefaultValue": False,
        "operations": ["set"],
    }
    task = requests.get(f"{base}/10001", timeout=5, **auth).json()
    assert HIDDEN in [f["fieldId"] for f in task[items]], "only Improvement's screen leaves it out"
    types = requests.get(base, timeout=5, **auth).json()
    assert [t["name"] for t in types["issueTypes" if cloud else "values"]] == ["Task", "Improvement"]
    assert requests.get(f"{base}/99999", timeout=5, **auth).status_code == 404
    too_many = requests.get(f"{base}/10002", params={"maxResults": 201}, timeout=5, **auth)
    assert too_many.status_code == 400 and "must not exceed" in too_many.json()["errorMessages"][0]


def _conforms(schema_name: str, instance: Any) -> None:
    components = json.loads(SPEC.read_text(encoding="utf-8"))["components"]
    schema = {"components": components, "$ref": f"#/components/schemas/{schema_name}"}
    errors = [f"{list(e.path)}: {e.message}" for e in Draft7Validator(schema).iter_errors(instance)]
    assert not errors, f"{schema_name}: {errors[:5]}"


@pytest.mark.skipif(not SPEC.exists(), reason="the shared OpenAPI spec is not available")
def test_cloud_createmeta_conforms_to_the_openapi_spec(world: World) -> None:
    if world.boxes.jira.flavor != "cloud":
        pytest.skip("the spec describes Jira Cloud (v3)")
    env = world.boxes.env()
    base = f"{env['JIRA_URL']}/rest/api/3/issue/createmeta/CX/issuetypes"
    auth = (env["JIRA_EMAIL"], env["JIRA_API_TOKEN"])
    _conforms("PageOfCreateMetaIssueTypeWithField", requests.get(f"{base}/10002", auth=auth, timeout=5).json())
    _conforms("PageOfCreateMetaIssueTypes", requests.get(base, auth=auth, timeout=5).json())

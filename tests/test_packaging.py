"""The scheduler packaging (Dockerfile, Kubernetes CronJob, GitHub Actions example) keeps its essentials."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {"NOTION_TOKEN", "JIRA_API_TOKEN", "JIRA_EMAIL"}
# anything that looks like a credential value rather than a reference to one
LITERAL_TOKEN = re.compile(r"(secret_[A-Za-z0-9]{20,}|ntn_[A-Za-z0-9]{20,}|ATATT[A-Za-z0-9_-]{20,}|xox[bp]-|hooks\.slack\.com/services/T)")


def _docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def test_dockerfile_is_slim_non_root_and_has_no_secrets() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(f == "python:3.11-slim" for f in froms)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["cxsync"\]', text, re.M)
    for name in SECRETS | {"JIRA_PAT"}:
        assert not re.search(rf"^(ENV|ARG)\b.*\b{name}\b", text, re.M), name
    assert not LITERAL_TOKEN.search(text)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".git" in ignored and ".cxsync" in ignored


def test_cronjob_forbids_overlap_and_takes_secrets_from_a_secret() -> None:
    path = ROOT / "deploy" / "kubernetes" / "cronjob.yaml"
    docs = _docs(path)
    cron = next(d for d in docs if d["kind"] == "CronJob")
    spec = cron["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert len(spec["schedule"].split()) == 5
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["args"][0] == "sync"
    env = {e["name"]: e for e in container["env"]}
    for name in SECRETS:
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "cxsync-credentials" and ref["key"] == name and "value" not in env[name]
    state = next(m for m in container["volumeMounts"] if m["name"] == "state")
    assert env["CXSYNC_STATE_DIR"]["value"] == state["mountPath"]
    assert not LITERAL_TOKEN.search(path.read_text(encoding="utf-8"))


def test_github_actions_example_is_scheduled_serialised_and_uses_repository_secrets() -> None:
    path = ROOT / "examples" / "github-actions-sync.yml"
    (workflow,) = _docs(path)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on:` as true
    assert all(len(s["cron"].split()) == 5 for s in triggers["schedule"])
    assert workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    (job,) = workflow["jobs"].values()
    for name in SECRETS:
        assert job["env"][name] == "${{ secrets." + name + " }}"
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(r.startswith("cxsync sync") for r in runs)
    assert not LITERAL_TOKEN.search(path.read_text(encoding="utf-8"))


def test_literal_token_pattern_would_catch_a_pasted_secret() -> None:
    assert LITERAL_TOKEN.search("NOTION_TOKEN: ntn_" + "a" * 30)
    assert LITERAL_TOKEN.search("JIRA_API_TOKEN=ATATT3xFfGF0" + "b" * 30)
    assert not LITERAL_TOKEN.search("${{ secrets.NOTION_TOKEN }}")

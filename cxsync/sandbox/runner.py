"""Start both sandboxes, seed them, and describe the environment that points cxsync at them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cxsync.errors import ConfigError
from cxsync.sandbox.jira_server import JiraSandbox
from cxsync.sandbox.notion_server import NotionSandbox

NOTION_TOKEN = "sandbox-notion-token"
JIRA_EMAIL = "cx-bot@example.com"
JIRA_API_TOKEN = "sandbox-jira-token"
JIRA_PAT = "sandbox-jira-pat"


def default_seed_path() -> Path:
    """examples/sandbox-seed.json of the checkout cxsync runs from (installed with `pip install -e .`)."""
    return Path(__file__).resolve().parents[2] / "examples" / "sandbox-seed.json"


def load_seed(path: Path | None = None) -> dict[str, Any]:
    path = path or default_seed_path()
    try:
        with path.open(encoding="utf-8") as handle:
            data: dict[str, Any] = json.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"Seed file not found: {path}",
            f"시드 파일을 찾을 수 없습니다: {path}",
            hint_en="run from a cxsync checkout or pass --seed FILE",
            hint_ko="cxsync 체크아웃에서 실행하거나 --seed FILE을 주세요",
        ) from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path}:{error.lineno}: not valid JSON ({error.msg})",
            f"{path}:{error.lineno}: 올바른 JSON이 아닙니다 ({error.msg})",
        ) from None
    return data


@dataclass
class Sandboxes:
    notion: NotionSandbox
    jira: JiraSandbox

    def env(self) -> dict[str, str]:
        env = {"NOTION_BASE_URL": self.notion.base_url, "NOTION_TOKEN": self.notion.token, "JIRA_URL": self.jira.base_url}
        env["CXSYNC_JIRA_SEARCH_LAG"] = str(self.jira.search_lag_seconds)
        if self.notion.rate_limiter is None:  # the sandbox does not throttle, so cxsync need not pace
            env["CXSYNC_NOTION_RPS"] = "0"
        if self.jira.flavor == "cloud":
            env |= {"JIRA_EMAIL": self.jira.email, "JIRA_API_TOKEN": self.jira.api_token}
        else:
            env |= {"JIRA_PAT": self.jira.pat}
        return env

    def stop(self) -> None:
        self.notion.stop()
        self.jira.stop()


def start_sandboxes(
    seed: dict[str, Any] | None = None,
    *,
    flavor: Literal["cloud", "datacenter"] = "cloud",
    notion_port: int = 0,
    jira_port: int = 0,
    token: str | None = None,
) -> Sandboxes:
    """`token`, when given, replaces every sandbox credential (the secret-leak tests use a canary)."""
    seed = load_seed() if seed is None else seed
    notion = NotionSandbox(token=token or NOTION_TOKEN)
    notion.seed(seed)
    jira = JiraSandbox(flavor=flavor, email=JIRA_EMAIL, api_token=token or JIRA_API_TOKEN, pat=token or JIRA_PAT)
    jira.seed(seed)
    notion.start(port=notion_port)
    jira.start(port=jira_port)
    return Sandboxes(notion, jira)

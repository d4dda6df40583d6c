"""Mapping files (`mappings/*.yaml`) and credentials from the environment.

A mapping says which Notion properties hold what, and where in Jira the groups go. Unknown keys
are errors, and every problem is reported at once with its file, line and key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cxsync.errors import ConfigError
from cxsync.redact import register_secret

PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")
LABEL_PREFIX = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
NOTION_ID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotionProperties(_Strict):
    """Names of the Notion properties cxsync reads and writes (Korean names are fine)."""

    text: str = Field(description="the customer's request (title or rich text)")
    need_tag: str = Field(description="the need tag (select, multi-select or status)")
    customer: str | None = None
    company: str | None = None
    revenue: str | None = None
    channel: str | None = None
    created: str | None = None
    owner: str | None = None
    jira_key: str = Field(description="rich text property cxsync writes the Jira key into")
    jira_url: str | None = None
    status: str | None = None
    group_override: str | None = None

    def used(self) -> dict[str, str]:
        """Role → property name for every property the mapping names."""
        return {role: name for role, name in self.model_dump().items() if name}


class NotionSettings(_Strict):
    database_id: str | None = None
    data_source_id: str | None = None
    properties: NotionProperties
    revenue_currency: str = Field(default="KRW", pattern=r"^[A-Z]{3}$")

    @field_validator("database_id", "data_source_id")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is not None and not NOTION_ID.match(value):
            raise ValueError("must be a Notion id (32 hex digits, dashes optional)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> NotionSettings:
        if not (self.database_id or self.data_source_id):
            raise ValueError("give notion.database_id or notion.data_source_id")
        return self


StatusCategory = Literal["new", "indeterminate", "done"]


class DemandFields(_Strict):
    """Jira number custom fields (by name or id) that receive the demand figures."""

    requests: str | None = None
    customers: str | None = None
    companies: str | None = None
    revenue: str | None = None


class PriorityRule(_Strict):
    """Give `priority` to a group whose demand reaches every threshold named here."""

    priority: str
    min_requests: int | None = Field(default=None, ge=1)
    min_customers: int | None = Field(default=None, ge=1)
    min_companies: int | None = Field(default=None, ge=1)
    min_revenue: float | None = Field(default=None, ge=0, description="in notion.revenue_currency")

    @model_validator(mode="after")
    def _has_threshold(self) -> PriorityRule:
        if all(v is None for v in (self.min_requests, self.min_customers, self.min_companies, self.min_revenue)):
            raise ValueError("a priority rule needs at least one min_* threshold")
        return self


class JiraSettings(_Strict):
    project: str
    issue_type: str = "Task"
    label_prefix: str = "cxsync"
    status_map: dict[str, str] = Field(default_factory=dict, description="Jira status name → Notion status")
    status_category_map: dict[StatusCategory, str] = Field(default_factory=dict)
    demand_fields: DemandFields = Field(default_factory=DemandFields)
    priority_rules: list[PriorityRule] = Field(
        default_factory=list, description="first matching rule wins; no match leaves priority alone"
    )
    concurrency: int = Field(
        default=2, ge=1, le=8, description="edits of existing issues sent at once; creates are always one at a time"
    )

    @field_validator("project")
    @classmethod
    def _project_key(cls, value: str) -> str:
        if not PROJECT_KEY.match(value):
            raise ValueError("must be a Jira project key such as CX (capital letters, digits, _)")
        return value

    @field_validator("label_prefix")
    @classmethod
    def _label_prefix(cls, value: str) -> str:
        if not LABEL_PREFIX.match(value):
            raise ValueError("must be lowercase letters, digits, - or _ (Jira labels cannot hold spaces)")
        return value

    def notion_status_for(self, status_name: str, category: str) -> str | None:
        mapped = self.status_map.get(status_name)
        if mapped is None and category in self.status_category_map:
            mapped = self.status_category_map[category]
        return mapped


class GroupingSettings(_Strict):
    """How requests are grouped. `threshold` is a similarity in 0–1; unset, the method's default."""

    method: Literal["tfidf", "usem3", "e5", "exact"] = "tfidf"
    threshold: float | None = Field(default=None, gt=0, le=1)
    scope: Literal["need_tag", "soft", "all"] = Field(
        default="need_tag",
        description="need_tag: only within a tag; soft: across tags, same tag counts a little more alike; all: ignore tags",
    )
    overrides_file: str | None = Field(default=None, description="YAML file of overrides, relative to the mapping")


class PrivacySettings(_Strict):
    """What is removed from customer quotes before they are copied into Jira."""

    redact_pii: bool = Field(default=True, description="e-mail, phone (incl. 010-… and +82), RRN, card numbers")
    extra_patterns: list[str] = Field(default_factory=list, description="regular expressions to redact as well")

    @field_validator("extra_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({error})") from None
        return patterns


class Mapping(_Strict):
    version: Literal[1] = 1
    name: str | None = None
    lang: Literal["ko", "en"] | None = None
    notion: NotionSettings
    jira: JiraSettings
    grouping: GroupingSettings = Field(default_factory=GroupingSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)


@dataclass(frozen=True)
class LoadedMapping:
    mapping: Mapping
    path: Path

    @property
    def name(self) -> str:
        return self.mapping.name or self.path.stem


def load_mapping(path: str | Path) -> LoadedMapping:
    """Read and validate a mapping file; raise ConfigError listing every problem with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"Mapping file not found: {path}",
            f"매핑 파일을 찾을 수 없습니다: {path}",
            hint_en="pass --mapping PATH or set CXSYNC_MAPPING (see mappings/example.yaml)",
            hint_ko="--mapping 경로를 주거나 CXSYNC_MAPPING을 설정하세요 (mappings/example.yaml 참고)",
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"Cannot read {path}: {error}", f"{path} 파일을 읽을 수 없습니다: {error}") from None
    data, root = _parse_yaml(text, path)
    try:
        return LoadedMapping(Mapping.model_validate(data), path)
    except ValidationError as error:
        problems = [_describe(path, root, err) for err in error.errors()]
        raise ConfigError(
            f"{path}: {len(problems)} problem(s) in the mapping",
            f"{path}: 매핑에 문제가 {len(problems)}개 있습니다",
            problems=problems,
        ) from None


def _parse_yaml(text: str, path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        reason = getattr(error, "problem", None) or str(error)
        raise ConfigError(
            f"{where}: not valid YAML ({reason})",
            f"{where}: 올바른 YAML이 아닙니다 ({reason})",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the mapping must be a YAML mapping (key: value), not {type(data).__name__}",
            f"{path}: 매핑 파일은 key: value 형식이어야 합니다",
        )
    return data, root


_HINTS = {
    "extra_forbidden": "unknown key; check the spelling against mappings/example.yaml",
    "missing": "required key is missing",
}


def _describe(path: Path, root: yaml.Node | None, err: Any) -> str:
    loc = tuple(str(p) for p in err["loc"])
    line = _line_of(root, loc)
    key = ".".join(loc) or "(top level)"
    message = err["msg"].removeprefix("Value error, ")
    hint = _HINTS.get(err["type"])
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: {key}: {message}" + (f" ({hint})" if hint else "")


def _line_of(node: yaml.Node | None, loc: tuple[str, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along `loc` that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key_node, value_node in node.value:
            if key_node.value == part:
                line = key_node.start_mark.line + 1
                node = value_node
                break
        else:
            break
    return line


# -- credentials ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotionCredentials:
    token: str
    base_url: str
    requests_per_second: float = 2.9

    def __repr__(self) -> str:
        return f"NotionCredentials(base_url={self.base_url!r}, token=***)"


@dataclass(frozen=True)
class JiraCredentials:
    url: str
    email: str | None
    api_token: str | None
    pat: str | None

    @property
    def flavor(self) -> Literal["cloud", "datacenter"]:
        return "datacenter" if self.pat and not self.api_token else "cloud"

    def __repr__(self) -> str:
        return f"JiraCredentials(url={self.url!r}, email={self.email!r}, token=***)"


def _missing_env(name: str, what_en: str, what_ko: str) -> ConfigError:
    return ConfigError(
        f"Environment variable {name} is not set ({what_en}).",
        f"환경 변수 {name}이(가) 설정되지 않았습니다 ({what_ko}).",
        hint_en="secrets come only from the environment; see README.md › Credentials",
        hint_ko="비밀 값은 환경 변수로만 받습니다. README.md › Credentials 참고",
    )


def notion_credentials(env: os._Environ[str] | dict[str, str] = os.environ) -> NotionCredentials:
    token = env.get("NOTION_TOKEN", "").strip()
    if not token:
        raise _missing_env("NOTION_TOKEN", "the Notion integration token", "Notion 통합 토큰")
    register_secret(token)
    # a little under Notion's average of 3 requests/s: pacing exactly at the limit turns jitter into 429s
    rate = env.get("CXSYNC_NOTION_RPS", "2.9")
    try:
        requests_per_second = float(rate)
    except ValueError:
        raise ConfigError(
            f"CXSYNC_NOTION_RPS must be a number of requests per second, not {rate!r}.",
            f"CXSYNC_NOTION_RPS는 초당 요청 수(숫자)여야 합니다: {rate!r}",
        ) from None
    base_url = env.get("NOTION_BASE_URL", "https://api.notion.com").rstrip("/")
    return NotionCredentials(token=token, base_url=base_url, requests_per_second=requests_per_second)


def jira_credentials(env: os._Environ[str] | dict[str, str] = os.environ) -> JiraCredentials:
    url = env.get("JIRA_URL", "").strip().rstrip("/")
    if not url:
        raise _missing_env("JIRA_URL", "your Jira site, e.g. https://acme.atlassian.net", "Jira 사이트 주소")
    email = env.get("JIRA_EMAIL", "").strip() or None
    api_token = env.get("JIRA_API_TOKEN", "").strip() or None
    pat = env.get("JIRA_PAT", "").strip() or None
    if api_token and not email:
        raise _missing_env(
            "JIRA_EMAIL", "needed with JIRA_API_TOKEN on Jira Cloud", "Jira Cloud에서 JIRA_API_TOKEN과 함께 필요"
        )
    if not (api_token or pat):
        raise _missing_env(
            "JIRA_API_TOKEN",
            "Cloud: JIRA_EMAIL + JIRA_API_TOKEN; Data Center: JIRA_PAT",
            "Cloud는 JIRA_EMAIL + JIRA_API_TOKEN, Data Center는 JIRA_PAT",
        )
    register_secret(api_token, basic_user=email)
    register_secret(pat)
    return JiraCredentials(url=url, email=email, api_token=api_token, pat=pat)

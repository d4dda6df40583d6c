"""`cxsync init`: propose a mapping from the live Notion schema and the Jira project. Reads only.

The integration's data sources come from Notion search (`filter.value = "data_source"`); each role
(text, need tag, customer, …) is matched to a property by name (Korean or English keywords, longest
match wins) and type (the types cxsync can read for that role), each property used once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cxsync.adapters.counting import ApiCounter
from cxsync.adapters.notion_source import ROLE_TYPES, NotionSource, _json
from cxsync.adapters.pacing import RetryBudget
from cxsync.config import (
    JiraCredentials,
    JiraSettings,
    NotionCredentials,
    NotionProperties,
    NotionSettings,
)
from cxsync.errors import ConfigError, CxsyncError, RemoteError

if TYPE_CHECKING:
    from cxsync.adapters.jira_tracker import JiraTracker

# role → keywords (case-folded substrings of the property name); a longer match is a better one
KEYWORDS: dict[str, tuple[str, ...]] = {
    "text": ("요청 내용", "요청내용", "요청", "내용", "문의", "피드백", "request", "feedback", "description", "summary"),
    "need_tag": ("니즈 태그", "니즈", "태그", "카테고리", "분류", "유형", "need", "tag", "category", "topic", "theme"),
    "customer": ("고객명", "요청자", "고객", "이름", "customer", "requester", "contact", "name"),
    "company": ("고객사", "회사", "기업", "업체", "거래처", "company", "account", "organization", "org", "client"),
    "revenue": ("매출", "금액", "계약", "arr", "mrr", "acv", "revenue", "amount"),
    "channel": ("채널", "경로", "유입", "channel", "source"),
    "created": ("접수일", "접수", "요청일", "일자", "날짜", "received", "created", "date"),
    "owner": ("담당자", "담당", "owner", "assignee", "manager"),
    "jira_key": ("jira 키", "지라 키", "jira key", "jira 이슈", "jira issue", "jira ticket", "jira"),
    "jira_url": ("jira 링크", "jira url", "jira link", "지라 링크", "jira"),
    "status": ("상태", "진행", "status", "stage"),
    "group_override": ("그룹 지정", "그룹", "group override", "override", "group"),
}
# a property of this type fits the role even without a matching name
TYPE_BONUS: dict[str, str] = {"text": "title", "status": "status"}
REQUIRED = ("text", "need_tag", "jira_key")
CURRENCIES = {"won": "KRW", "dollar": "USD", "euro": "EUR", "yen": "JPY", "pound": "GBP"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
DEMAND_KEYWORDS = {
    "requests": ("customer requests", "requests", "요청 수", "요청수"),
    "customers": ("distinct customers", "customers", "고객 수", "고객수"),
    "companies": ("distinct companies", "companies", "accounts", "고객사 수"),
    "revenue": ("revenue", "arr", "mrr", "매출"),
}


@dataclass(frozen=True)
class DataSourceInfo:
    id: str
    title: str
    database_id: str | None
    properties: dict[str, dict[str, Any]]  # name → property schema object

    def types(self) -> dict[str, str]:
        return {name: str(p.get("type", "")) for name, p in self.properties.items()}


@dataclass
class Proposal:
    source: DataSourceInfo
    roles: dict[str, str]  # role → property name
    lang: str
    currency: str = "KRW"
    status_category_map: dict[str, str] = field(default_factory=dict)
    status_map: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def _title(obj: dict[str, Any]) -> str:
    return "".join(t.get("plain_text", "") for t in obj.get("title", []) or [])


def notion_reader(credentials: NotionCredentials) -> NotionSource:
    """A NotionSource used only for its paced, retried, error-translating client (no mapping yet)."""
    placeholder = NotionSettings(
        data_source_id="00000000-0000-0000-0000-000000000000",
        properties=NotionProperties(text="-", need_tag="-", jira_key="-"),
    )
    return NotionSource(credentials, placeholder, ApiCounter(), RetryBudget(30))


def list_data_sources(source: NotionSource) -> list[DataSourceInfo]:
    """Every data source the integration can see (shared with it), following search cursors."""
    found: list[DataSourceInfo] = []
    body: dict[str, Any] = {"filter": {"property": "object", "value": "data_source"}, "page_size": 100}
    while True:
        page = source._call(lambda: _json(source.client.search(**body)))
        for obj in page.get("results", []):
            if obj.get("object") != "data_source":
                continue
            parent = obj.get("parent") or {}
            found.append(DataSourceInfo(obj["id"], _title(obj), parent.get("database_id"), obj.get("properties", {})))
        if not page.get("has_more") or not page.get("next_cursor"):
            return found
        body["start_cursor"] = page["next_cursor"]


def choose(sources: list[DataSourceInfo], wanted: str | None) -> DataSourceInfo:
    """The data source named by id (dashes optional) or exact title; the only one when `wanted` is None."""
    if wanted is None:
        if len(sources) == 1:
            return sources[0]
        raise ConfigError(
            f"The integration can see {len(sources)} data sources; choose one with --data-source.",
            f"통합이 볼 수 있는 데이터 소스가 {len(sources)}개입니다. --data-source로 고르세요.",
            problems=[f"{s.id}  {s.title}" for s in sources],
        )
    compact = wanted.replace("-", "").lower()
    for s in sources:
        if compact in (s.id.replace("-", "").lower(), (s.database_id or "").replace("-", "").lower()) or wanted == s.title:
            return s
    raise ConfigError(
        f"No data source {wanted!r} is shared with the integration.",
        f"통합에 공유된 데이터 소스 중 {wanted!r}이(가) 없습니다.",
        hint_en="share the database with the integration (••• → Connections) or pick one of those listed",
        hint_ko="데이터베이스를 통합에 공유하거나 (••• → 연결) 목록에서 고르세요",
        problems=[f"{s.id}  {s.title}" for s in sources],
    )


def _score(role: str, name: str, kind: str) -> int:
    if kind not in ROLE_TYPES[role] or (role == "jira_key" and kind != "rich_text"):
        return 0
    folded = name.casefold()
    best = max((len(k) for k in KEYWORDS[role] if k in folded), default=0)
    bonus = 1 if TYPE_BONUS.get(role) == kind else 0
    if role in ("jira_key", "jira_url") and "jira" not in folded and "지라" not in folded:
        return 0
    return best * 10 + bonus


def propose(source: DataSourceInfo) -> Proposal:
    """Assign roles to properties, best (longest keyword) matches first, each property once."""
    types = source.types()
    candidates = sorted(
        ((_score(role, name, kind), role, name) for role in KEYWORDS for name, kind in types.items()),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    roles: dict[str, str] = {}
    used: set[str] = set()
    for score, role, name in candidates:
        if score > 0 and role not in roles and name not in used:
            roles[role] = name
            used.add(name)
    lang = "ko" if any(HANGUL.search(name) for name in types) else "en"
    proposal = Proposal(source, roles, lang, missing=[r for r in REQUIRED if r not in roles])
    revenue = roles.get("revenue")
    if revenue and types[revenue] == "number":
        fmt = str((source.properties[revenue].get("number") or {}).get("format", ""))
        proposal.currency = CURRENCIES.get(fmt, "KRW" if lang == "ko" else "USD")
    if "status" in roles:
        _status_maps(proposal, source.properties[roles["status"]])
    return proposal


# earlier words win: "진행중" is a better "in progress" than "검토중"
_CATEGORY_WORDS = {
    "new": ("접수", "신규", "대기", "new", "open", "to do", "todo", "received"),
    "indeterminate": ("진행", "in progress", "progress", "doing", "검토", "review"),
    "done": ("완료", "shipped", "released", "done", "complete", "resolved", "반영", "출시"),
}
_DECLINED = ("반려", "거절", "declined", "rejected", "won't", "wont")
_GROUPS = {"to-do": "new", "to do": "new", "to_do": "new", "in progress": "indeterminate", "complete": "done"}


def _status_maps(proposal: Proposal, prop: dict[str, Any]) -> None:
    config = prop.get(prop.get("type", ""), {}) or {}
    options = [str(o.get("name", "")) for o in config.get("options", []) or []]
    declined = next((o for o in options if any(w in o.casefold() for w in _DECLINED)), None)
    for category, words in _CATEGORY_WORDS.items():
        match = next((o for w in words for o in options if w in o.casefold() and o != declined), None)
        if match:
            proposal.status_category_map[category] = match
    by_id = {o.get("id"): str(o.get("name", "")) for o in config.get("options", []) or []}
    for group in config.get("groups", []) or []:  # else Notion's status groups, which match Jira's categories
        group_category = _GROUPS.get(str(group.get("name", "")).casefold())
        names = [by_id[i] for i in group.get("option_ids", []) if i in by_id and by_id[i] != declined]
        if group_category and names:
            proposal.status_category_map.setdefault(group_category, names[0])
    if declined:
        proposal.status_map["Won't Do"] = declined


@dataclass
class JiraChoice:
    project: str
    issue_type: str
    issue_types: list[str]
    demand_fields: dict[str, str] = field(default_factory=dict)
    off_screen: dict[str, str] = field(default_factory=dict)  # role → field name, left out: not on the create screen
    screen_error: str = ""  # why the create screen could not be read (then nothing is left out)

    def warnings(self, lang: str) -> list[str]:
        """What `cxsync init` should tell the person about the create screen, in their language."""
        where = f"{self.project} / {self.issue_type}"
        if self.screen_error:
            if lang == "ko":
                return [f"경고: {where}의 생성 화면을 읽지 못해 수요 필드를 확인하지 않았습니다: {self.screen_error}"]
            return [f"warning: cannot read the create screen of {where}; demand fields unchecked: {self.screen_error}"]
        fields = ", ".join(f"{role} ({name})" for role, name in self.off_screen.items())
        if not fields:
            return []
        if lang == "ko":
            return [
                f"경고: {where}의 생성 화면에 없는 수요 필드는 매핑에서 뺐습니다: {fields}"
                " — 화면에 추가한 뒤 매핑에 적으세요"
            ]
        return [
            f"warning: left out demand fields not on the create screen of {where}: {fields}"
            " — add them to the screen, then to the mapping"
        ]


def check_jira(credentials: JiraCredentials, project: str, issue_type: str | None) -> JiraChoice:
    """The project and issue type, checked to exist; demand number fields guessed by name."""
    from cxsync.adapters.jira_tracker import JiraTracker

    tracker = JiraTracker(credentials, JiraSettings(project=project), ApiCounter(), RetryBudget(30))
    try:
        found = tracker._call(lambda: tracker.jira.project(project))
    except RemoteError as error:  # 404; a 401/403 is an AuthError and says so itself
        keys = [str(p.key) for p in tracker._call(tracker.jira.projects)]
        raise ConfigError(
            f"Jira project {project} does not exist or this account cannot see it.",
            f"Jira 프로젝트 {project}이(가) 없거나 이 계정으로 볼 수 없습니다.",
            problems=[f"projects visible: {', '.join(keys) or 'none'}"],
        ) from error
    types = [str(t.name) for t in getattr(found, "issueTypes", [])]
    default = next((t for t in ("Improvement", "Task", "Story") if t in types), types[0] if types else "")
    chosen = issue_type or default
    if chosen not in types:
        raise ConfigError(
            f"Issue type {chosen!r} is not available in {project}.",
            f"이슈 유형 {chosen!r}은(는) {project}에서 쓸 수 없습니다.",
            problems=[f"issue types of {project}: {', '.join(types) or 'none'}"],
        )
    fields = tracker._call(tracker.jira.fields)
    numbers = {
        str(f["name"]): str(f["id"])
        for f in fields
        if f.get("custom") and (f.get("schema") or {}).get("type") == "number"
    }
    demand: dict[str, str] = {}
    for role, words in DEMAND_KEYWORDS.items():
        for word in words:
            match = next((n for n in numbers if word in n.casefold() and n not in demand.values()), None)
            if match:
                demand[role] = match
                break
    choice = JiraChoice(project, chosen, types, demand)
    _check_create_screen(tracker, choice, {role: numbers[name] for role, name in demand.items()})
    return choice


def _check_create_screen(tracker: JiraTracker, choice: JiraChoice, wanted: dict[str, str]) -> None:
    """Leave out the demand fields the create screen does not allow (every create would fail on them)."""
    from cxsync.adapters.jira_createmeta import create_screen_fields, issue_type_id, off_screen

    if not wanted:
        return
    try:
        type_id = issue_type_id(tracker, choice.project, choice.issue_type)
        screen = create_screen_fields(tracker, choice.project, type_id)
    except CxsyncError as error:
        choice.screen_error = error.en
        return
    for role in off_screen(wanted, screen):
        choice.off_screen[role] = choice.demand_fields.pop(role)


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


_ROLE_COMMENTS = {
    "text": "the customer's request (title or rich text)",
    "need_tag": "rows with an empty need tag are not synced",
    "jira_key": "cxsync writes the Jira key here",
    "jira_url": "cxsync writes the issue link here",
    "status": "cxsync copies the Jira status here (see jira.status_*_map)",
    "group_override": '"exclude"/"제외", a Jira key (CX-12) or a group id',
}


def render_yaml(name: str, proposal: Proposal, jira: JiraChoice) -> str:
    source = proposal.source
    lines = [
        f"# cxsync mapping generated by `cxsync init` from the Notion data source {_q(source.title)}",
        "# and the Jira project " + jira.project + ". Review it, then: cxsync doctor / cxsync plan.",
        "version: 1",
        f"name: {_q(name)}",
        f"lang: {proposal.lang}",
        "",
        "notion:",
        f"  data_source_id: {source.id}",
        f"  revenue_currency: {proposal.currency}",
        "  properties:",
    ]
    types = source.types()
    for role in NotionProperties.model_fields:
        prop = proposal.roles.get(role)
        note = _ROLE_COMMENTS.get(role, "")
        if prop is None:
            lines.append(f"    # {role}: (no matching property found)")
        else:
            lines.append(f"    {role}: {_q(prop)}  # {types[prop]}" + (f"; {note}" if note else ""))
    lines += [
        "",
        "jira:",
        f"  project: {jira.project}",
        f"  issue_type: {_q(jira.issue_type)}  # available: {', '.join(jira.issue_types)}",
        "  label_prefix: cxsync",
    ]
    if proposal.status_map:
        lines.append("  # Jira status name → Notion status")
        lines.append("  status_map:")
        lines += [f"    {_q(k)}: {_q(v)}" for k, v in proposal.status_map.items()]
    if proposal.status_category_map:
        lines.append("  # otherwise by Jira status category (new / indeterminate / done)")
        lines.append("  status_category_map:")
        lines += [f"    {k}: {_q(v)}" for k, v in proposal.status_category_map.items()]
    if jira.demand_fields:
        lines.append("  # Jira number fields that receive the demand figures (must be on the create/edit screens)")
        lines.append("  demand_fields:")
        lines += [f"    {k}: {_q(v)}" for k, v in jira.demand_fields.items()]
    if jira.off_screen:
        where = f"{jira.project} / {jira.issue_type}"
        lines.append(f"  # left out: not on the create screen of {where} (add them to the screen first):")
        lines += [f"  #   {k}: {_q(v)}" for k, v in jira.off_screen.items()]
    lines += [
        "  # priority by demand, first match wins, e.g.:",
        "  # priority_rules:",
        "  #   - {priority: High, min_customers: 3}",
        "",
        "grouping:",
        "  scope: need_tag  # need_tag | soft | all",
        "",
    ]
    return "\n".join(lines)

"""Every user-facing word of the reports, in Korean and English, plus translations of core notes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cxsync.plan import Plan

Lang = Literal["ko", "en"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title.plan": "cxsync plan: {mapping} → Jira {project}",
        "title.report": "VoC demand report: {mapping} → Jira {project}",
        "title.sync": "cxsync sync: {mapping} → Jira {project}",
        "legend": "Legend:",
        "never_deletes": "(cxsync never deletes or transitions Jira issues)",
        "col.rank": "#",
        "col.action": "Action",
        "col.issue": "Issue",
        "col.requests": "Requests",
        "col.customers": "Customers",
        "col.companies": "Companies",
        "col.revenue": "Revenue",
        "col.recent": "Last 30 days",
        "col.group": "Group, changes and evidence",
        "col.summary": "Summary",
        "new": "(new)",
        "summary.line": "Plan: {create} to create, {update} to update, {unchanged} unchanged, {skipped_groups} skipped.",
        "summary.notion": "Notion write-backs (Jira key, link or status): {writebacks}. API writes in all: {writes}.",
        "summary.entries": "Skipped Notion entries: {n} (listed above).",
        "no_changes": "No changes. Jira matches Notion.",
        "report.line": "{groups} groups from {requests} requests; {customers} distinct customers in the top group.",
        "hidden_unchanged": "Unchanged groups not shown: {n} (--verbose lists them).",
        "more_groups": "… groups not shown: {n} (`cxsync plan` lists them all)",
        "more_members": "… requests not shown: {n} (--verbose lists them all)",
        "saved": "Saved this plan to {path}. To perform exactly these actions, run:\n  cxsync apply --mapping {mapping} {path}",
        "not_saved": "Note: without --out, `cxsync apply` plans again and may act on newer data.",
        "skipped_entries": "Skipped Notion entries",
        "orphans": "Issues whose evidence is gone (left alone)",
        "departed": "Requests that left Notion (their demand leaves their group)",
        "reads": "Read: Notion {notion} ({pages} pages), Jira {jira} ({issues} issues)",
        "reads.full": "in full",
        "reads.incremental": "changes only",
        "drift": "Groups merged or split since the last run",
        "drift.merge": "merge → {issue} ({group}): requests of {n} previous groups are now in one",
        "drift.split": "split ← {issue} ({group}): its requests are now in {n} groups",
        "drift.part": "{issue} ({group}): {n} request(s) — {why}",
        "applied": "Applied: {created} created, {updated} updated, {adopted} adopted, {written} written back to Notion.",
        "failed": "Failed ({n}):",
        "calls": "API calls: Notion {notion}, Jira {jira}",
        "wrote": "Wrote {what} to {path}",
        "what.html": "the HTML report",
        "what.plan": "the plan",
        "change.create": "+ new issue in {project}",
        "change.labels": "+ labels: {labels}",
        "change.priority": "priority {value}",
        "change.links": "Notion links: {n}",
        "change.field": "+ {field} = {value}",
        "change.diff": "~ {field}: {before} → {after}",
        "change.label": "+ label {label}",
        "change.links_add": "+ Notion evidence links (new or changed): {n}",
        "change.links_del": "- evidence links removed (their entries left the group): {n}",
        "change.record": "~ cxsync's sync record on the issue (no visible change)",
        "change.description": "~ description: the cxsync evidence block is re-rendered",
        "change.none": "no change",
        "change.writebacks": "→ Notion write-backs: {n}",
        "member": "{n}. {who}: “{quote}” — {why}",
        "anonymous": "(no name)",
        "none": "(none)",
        "reason.anchor": "first request",
        "reason.same_text": "same text as #1",
        "reason.same_text.long": "same text as the first request once case, spacing and punctuation are ignored",
        "reason.override": "placed here by an override",
        "reason.closest": "most like #{n}",
        "reason.closest_other": "most like request {page}",
        "reason.alone": "no similar request",
        "reason.fits": "still like the rest of its group",
        "reason.split": "split out by an override",
        "reason.merged": "its group {group} was merged in by an override",
        "reason.kept": "kept from the last run",
        "reason.moved": "moved out of group {group}: its text no longer matches that group",
        "action.create": "create",
        "action.update": "update",
        "action.unchanged": "unchanged",
        "action.skip": "skip",
        "progress.read": "Reading Notion and Jira",
        "progress.write": "Writing to Jira and Notion",
        "progress.calls": "Notion {notion} · Jira {jira} calls",
        "progress.done": "{phase}: {notion} Notion and {jira} Jira calls in {seconds:.1f} s",
    },
    "ko": {
        "title.plan": "cxsync 실행 계획: {mapping} → Jira {project}",
        "title.report": "VoC 수요 리포트: {mapping} → Jira {project}",
        "title.sync": "cxsync 동기화: {mapping} → Jira {project}",
        "legend": "범례:",
        "never_deletes": "(cxsync는 Jira 이슈를 삭제하거나 상태를 바꾸지 않습니다)",
        "col.rank": "#",
        "col.action": "작업",
        "col.issue": "이슈",
        "col.requests": "요청",
        "col.customers": "고객",
        "col.companies": "고객사",
        "col.revenue": "매출",
        "col.recent": "최근 30일",
        "col.group": "그룹, 변경 사항과 근거",
        "col.summary": "요약",
        "new": "(신규)",
        "summary.line": "계획: 생성 {create}, 수정 {update}, 변경 없음 {unchanged}, 건너뜀 {skipped_groups}.",
        "summary.notion": "Notion: 항목 {writebacks}개에 Jira 키 또는 상태를 기록합니다. 전체 쓰기 {writes}회.",
        "summary.entries": "Notion 항목 {n}개를 건너뛰었습니다 (위 목록 참고).",
        "no_changes": "변경 없음. Jira가 Notion과 일치합니다.",
        "report.line": "요청 {requests}건이 그룹 {groups}개로 묶였습니다. 1위 그룹의 고객 {customers}명.",
        "hidden_unchanged": "변경 없는 그룹 {n}개는 생략했습니다 (--verbose로 모두 봅니다).",
        "more_groups": "… 외 {n}개 그룹 (`cxsync plan`에서 모두 볼 수 있습니다)",
        "more_members": "… 외 요청 {n}건 (--verbose로 모두 봅니다)",
        "saved": "계획을 {path}에 저장했습니다. 이 작업을 그대로 실행하려면:\n  cxsync apply --mapping {mapping} {path}",
        "not_saved": "참고: --out 없이 `cxsync apply`를 실행하면 계획을 다시 세우므로 그 사이 바뀐 데이터로 실행될 수 있습니다.",
        "skipped_entries": "건너뛴 Notion 항목",
        "orphans": "근거가 사라진 이슈 (그대로 둡니다)",
        "departed": "Notion에서 빠진 요청 (그룹의 수요에서 제외됩니다)",
        "reads": "읽기: Notion {notion} (페이지 {pages}개), Jira {jira} (이슈 {issues}개)",
        "reads.full": "전체",
        "reads.incremental": "변경분만",
        "drift": "지난 실행 이후 합쳐지거나 나뉜 그룹",
        "drift.merge": "병합 → {issue} ({group}): 이전 그룹 {n}개의 요청이 이제 한 그룹에 있습니다",
        "drift.split": "분리 ← {issue} ({group}): 요청이 이제 그룹 {n}개에 나뉘어 있습니다",
        "drift.part": "{issue} ({group}): 요청 {n}건 — {why}",
        "applied": "적용됨: 생성 {created}, 수정 {updated}, 기존 이슈 연결 {adopted}, Notion 기록 {written}.",
        "failed": "실패 ({n}):",
        "calls": "API 호출: Notion {notion}, Jira {jira}",
        "wrote": "{what}: {path}",
        "what.html": "HTML 리포트를 저장했습니다",
        "what.plan": "계획을 저장했습니다",
        "change.create": "+ {project}에 새 이슈 생성",
        "change.labels": "+ 레이블: {labels}",
        "change.priority": "우선순위 {value}",
        "change.links": "Notion 링크 {n}개",
        "change.field": "+ {field} = {value}",
        "change.diff": "~ {field}: {before} → {after}",
        "change.label": "+ 레이블 {label}",
        "change.links_add": "+ Notion 근거 링크 {n}개 (새 링크 또는 변경)",
        "change.links_del": "- 근거 링크 {n}개 삭제 (그룹에서 빠진 항목)",
        "change.record": "~ 이슈의 cxsync 동기화 기록 (보이는 변경 없음)",
        "change.description": "~ 설명: cxsync 근거 구역을 다시 씁니다",
        "change.none": "변경 없음",
        "change.writebacks": "→ Notion: 항목 {n}개에 키/상태 기록",
        "member": "{n}. {who}: “{quote}” — {why}",
        "anonymous": "(이름 없음)",
        "none": "(없음)",
        "reason.anchor": "첫 요청",
        "reason.same_text": "1번과 같은 문장",
        "reason.same_text.long": "대소문자·공백·문장부호를 무시하면 첫 요청과 같은 문장",
        "reason.override": "그룹 지정 속성으로 배정됨",
        "reason.closest": "{n}번과 가장 비슷함",
        "reason.closest_other": "요청 {page}과 가장 비슷함",
        "reason.alone": "비슷한 요청 없음",
        "reason.fits": "그룹의 다른 요청과 여전히 비슷함",
        "reason.split": "그룹 지정(분리)으로 따로 묶음",
        "reason.merged": "그룹 지정으로 {group} 그룹을 합침",
        "reason.kept": "지난 실행의 그룹 유지",
        "reason.moved": "문구가 바뀌어 {group} 그룹과 더는 맞지 않아 옮김",
        "action.create": "생성",
        "action.update": "수정",
        "action.unchanged": "변경 없음",
        "action.skip": "건너뜀",
        "progress.read": "Notion과 Jira 읽는 중",
        "progress.write": "Jira와 Notion에 쓰는 중",
        "progress.calls": "Notion {notion} · Jira {jira}회 호출",
        "progress.done": "{phase}: Notion {notion}회, Jira {jira}회 호출, {seconds:.1f}초",
    },
}

SYMBOL = {"create": "+", "update": "~", "unchanged": "=", "skip": "!"}

_NOTES_KO: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^summary was edited in Jira; left as the human wrote it$"),
        "Jira에서 요약이 수정되어 사람이 쓴 대로 둡니다",
    ),
    (
        re.compile(r"^priority was set in Jira \((.*)\); left as the human chose it$"),
        r"Jira에서 우선순위가 지정되어(\1) 사람이 정한 대로 둡니다",
    ),
    (
        re.compile(r"^its issue (.+) was deleted in Jira; rerun with --recreate-missing to create a new one$"),
        r"이슈 \1이(가) Jira에서 삭제되었습니다. 새로 만들려면 --recreate-missing으로 다시 실행하세요",
    ),
    (re.compile(r"^issue (.+) moved to (.+); following it$"), r"이슈 \1이(가) \2(으)로 옮겨져 그 이슈를 따라갑니다"),
    (
        re.compile(r"^(\S+) also carries this group's label; (\S+) is used \(duplicate left for a human\)$"),
        r"\1에도 이 그룹의 레이블이 있습니다. \2을(를) 사용하고 중복은 사람이 정리하도록 둡니다",
    ),
    (re.compile(r"^no Notion entry belongs to this group any more$"), "이 그룹에 속한 Notion 항목이 더 이상 없습니다"),
    (re.compile(r"^merged into group (\S+) by an override$"), r"그룹 지정으로 \1 그룹에 합쳐졌습니다"),
]


def t(lang: str, key: str, **values: object) -> str:
    """The message `key` in `lang` (English when the language is unknown), formatted with `values`."""
    table = TEXT.get(lang, TEXT["en"])
    return table[key].format(**values) if values else table[key]


def note(lang: str, text: str) -> str:
    """A note from the planner (written in English) in the reader's language; unknown notes pass through."""
    if lang != "ko":
        return text
    for pattern, korean in _NOTES_KO:
        if pattern.match(text):
            return pattern.sub(korean, text)
    return text


_KEPT = "kept from the previous run; "
_MOVED = re.compile(r"^moved out of group (\S+), which its text no longer matches; ")
_CLOSEST = re.compile(r"^most similar to (\S+)$")
_MERGED = re.compile(r"^group (\S+) merged by override$")


def reason(lang: str, text: str, score: float, numbers: Mapping[str, int] | None = None) -> str:
    """Why a member is in its group, in words; a score below 1 is shown beside the reason.

    `numbers` maps page ids to the members' places in the group, so "most similar to <page id>" reads
    "most like #3" (the grouper writes its reasons in English, with page ids; see cxsync.grouping.explain).
    """
    prefixes: list[str] = []
    if text.startswith(_KEPT):
        prefixes.append(t(lang, "reason.kept"))
        text = text.removeprefix(_KEPT)
    moved = _MOVED.match(text)
    if moved:
        prefixes.append(t(lang, "reason.moved", group=moved.group(1)))
        text = text[moved.end() :]
    words = [*prefixes, _core_reason(lang, text, numbers or {})]
    joined = "; ".join(w for w in words if w)
    return joined if score >= 1 else f"{joined} ({score:.2f})"


def _core_reason(lang: str, text: str, numbers: Mapping[str, int]) -> str:
    closest = _CLOSEST.match(text)
    merged = _MERGED.match(text)
    if text == "anchor":
        return t(lang, "reason.anchor")
    if text.startswith("same normalised text as"):
        return t(lang, "reason.same_text")
    if text == "pinned by override":
        return t(lang, "reason.override")
    if text == "split out by override":
        return t(lang, "reason.split")
    if text == "no similar request":
        return t(lang, "reason.alone")
    if text == "similar to the rest of its group":
        return t(lang, "reason.fits")
    if merged:
        return t(lang, "reason.merged", group=merged.group(1))
    if closest:
        page = closest.group(1)
        if page in numbers:
            return t(lang, "reason.closest", n=numbers[page])
        return t(lang, "reason.closest_other", page=page)
    return text


_HTML_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "html.generated": "Planned {when} · mapping {mapping} · Jira {project}",
        "html.cards.create": "to create",
        "html.cards.update": "to update",
        "html.cards.unchanged": "unchanged",
        "html.cards.skip": "skipped",
        "html.cards.requests": "requests",
        "html.cards.groups": "groups",
        "html.cards.writebacks": "Notion write-backs",
        "html.demand": "Demand: top {n} groups",
        "html.metric.requests": "Requests",
        "html.metric.customers": "Distinct customers",
        "html.metric.revenue": "Revenue",
        "html.no_data": "No group has a value for this measure.",
        "html.no_script": "The chart and the filters need JavaScript; every group is listed below.",
        "html.groups": "Groups",
        "html.search": "Search requests, customers, companies, tags…",
        "html.all_actions": "All actions",
        "html.all_tags": "All need tags",
        "html.sort": "Sort by",
        "html.sort.rank": "Demand (rank)",
        "html.sort.requests": "Requests",
        "html.sort.customers": "Distinct customers",
        "html.sort.companies": "Companies",
        "html.sort.revenue": "Revenue",
        "html.sort.recent": "Requests in the last 30 days",
        "html.sort.lastSeen": "Most recent request",
        "html.shown": "{shown} of {total} groups shown",
        "html.changes": "What changes in Jira",
        "html.notes": "Notes",
        "html.evidence": "Evidence: {n} requests",
        "html.seen": "First / last request",
        "html.tag": "Need",
        "html.channels": "Channels",
        "html.open_notion": "Notion",
        "html.footer": "Made by cxsync {version}. This file is self-contained: it loads nothing from the network.",
    },
    "ko": {
        "html.generated": "계획 시각 {when} · 매핑 {mapping} · Jira {project}",
        "html.cards.create": "생성",
        "html.cards.update": "수정",
        "html.cards.unchanged": "변경 없음",
        "html.cards.skip": "건너뜀",
        "html.cards.requests": "요청",
        "html.cards.groups": "그룹",
        "html.cards.writebacks": "Notion 기록",
        "html.demand": "수요: 상위 {n}개 그룹",
        "html.metric.requests": "요청 수",
        "html.metric.customers": "고객 수",
        "html.metric.revenue": "매출",
        "html.no_data": "이 기준의 값이 있는 그룹이 없습니다.",
        "html.no_script": "차트와 필터는 JavaScript가 필요합니다. 모든 그룹은 아래에 있습니다.",
        "html.groups": "그룹",
        "html.search": "요청, 고객, 고객사, 태그 검색…",
        "html.all_actions": "모든 작업",
        "html.all_tags": "모든 니즈 태그",
        "html.sort": "정렬",
        "html.sort.rank": "수요 (순위)",
        "html.sort.requests": "요청 수",
        "html.sort.customers": "고객 수",
        "html.sort.companies": "고객사 수",
        "html.sort.revenue": "매출",
        "html.sort.recent": "최근 30일 요청",
        "html.sort.lastSeen": "최근 요청일",
        "html.shown": "그룹 {total}개 중 {shown}개 표시",
        "html.changes": "Jira에서 바뀌는 것",
        "html.notes": "참고",
        "html.evidence": "근거: 요청 {n}건",
        "html.seen": "첫 요청 / 마지막 요청",
        "html.tag": "니즈 태그",
        "html.channels": "채널",
        "html.open_notion": "Notion",
        "html.footer": "cxsync {version}가 만들었습니다. 이 파일은 그 자체로 완결되어 네트워크에서 아무것도 불러오지 않습니다.",
    },
}
for _lang, _table in _HTML_TEXT.items():
    TEXT[_lang].update(_table)


def reads_line(plan: Plan, lang: str) -> str:
    """How the plan's inputs were read: everything, or only what changed since the last run."""
    reads = plan.reads
    return t(
        lang,
        "reads",
        notion=t(lang, f"reads.{reads.get('notion_mode', 'full')}"),
        pages=reads.get("pages_read", 0),
        jira=t(lang, f"reads.{reads.get('jira_mode', 'full')}"),
        issues=reads.get("issues_read", 0),
    )


def why(item: Any, lang: str) -> str:
    """The reason of a skipped or departed entry, in the report's language."""
    return str(item.reason_ko if lang == "ko" else item.reason_en)

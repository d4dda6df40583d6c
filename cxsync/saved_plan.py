"""Saved plans (`cxsync plan --out FILE`): read one back, and refuse it once the world has moved on.

As with Terraform's "Saved plan is stale", a saved plan is applied exactly as saved or not at all:
if Notion or Jira changed after it was made, the user must plan again and review the new plan.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from cxsync.errors import BusyError, ConfigError
from cxsync.plan import SCHEMA_VERSION, Plan

SIDE_KO = {"Notion": "Notion", "Jira": "Jira", "Notion and Jira": "Notion과 Jira"}


def load_saved_plan(path: Path) -> Plan:
    """The plan in `path`, or a clear error when the file is not a plan this cxsync can apply."""
    try:
        plan = Plan.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValidationError, ValueError) as error:
        raise ConfigError(
            f"{path} is not a cxsync plan file ({type(error).__name__}).",
            f"{path}은(는) cxsync 계획 파일이 아닙니다 ({type(error).__name__}).",
            hint_en="make one with `cxsync plan --out FILE`",
            hint_ko="`cxsync plan --out FILE`로 만드세요",
        ) from None
    if plan.schema_version != SCHEMA_VERSION:
        raise ConfigError(
            f"{path} was saved by another cxsync version (plan format {plan.schema_version}, "
            f"this cxsync applies format {SCHEMA_VERSION}).",
            f"{path}은(는) 다른 버전의 cxsync가 저장한 계획입니다 (계획 형식 {plan.schema_version}, "
            f"이 cxsync는 형식 {SCHEMA_VERSION}을 적용합니다).",
            hint_en="plan again with this version",
            hint_ko="이 버전으로 계획을 다시 세우세요",
        )
    return plan


def check_fresh(saved: Plan, current: Plan, path: Path, mapping_path: str) -> None:
    """Raise BusyError (exit 7) unless `saved` was made for this mapping from the data there is now."""
    again_en = f"run `cxsync plan --mapping {mapping_path} --out {path}` again, review it, then `cxsync apply {path}`"
    again_ko = f"`cxsync plan --mapping {mapping_path} --out {path}`로 계획을 다시 세워 검토한 뒤 `cxsync apply {path}`를 실행하세요"
    if saved.mapping != current.mapping:
        raise BusyError(
            f"The saved plan {path} was made for mapping {saved.mapping!r}, not {current.mapping!r}. Nothing was written.",
            f"저장된 계획 {path}은(는) 매핑 {saved.mapping!r}용이며 {current.mapping!r}용이 아닙니다. 아무것도 쓰지 않았습니다.",
            hint_en=again_en,
            hint_ko=again_ko,
        )
    changed = [name for name in ("notion", "jira") if saved.fingerprint.get(name) != current.fingerprint.get(name)]
    if changed:
        side = " and ".join(name.capitalize() for name in changed)
        when = saved.created_at.strftime("%Y-%m-%d %H:%M UTC")
        raise BusyError(
            f"The saved plan {path} is stale: {side} changed after it was made ({when}). Nothing was written.",
            f"저장된 계획 {path}이(가) 오래되었습니다: 계획을 만든 뒤({when}) {SIDE_KO[side]}의 내용이 바뀌었습니다. "
            "아무것도 쓰지 않았습니다.",
            hint_en=again_en,
            hint_ko=again_ko,
        )

"""The overrides file (`grouping.overrides_file` in the mapping), for overrides kept in version control.

```yaml
exclude: [<page id>, …]          # leave these entries out of every group
split: [<page id>, …]            # move each into a group of its own
pin:                             # attach an entry to a group id or a Jira key
  <page id>: g3fa9c2d1e0b4
  <page id>: CX-12
merge:                           # fold the second group into the first
  - [g3fa9c2d1e0b4, g0b1c2d3e4f5a]
```

Page ids match with or without dashes. The Notion property wins where both give a value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from cxsync.errors import ConfigError


def page_key(page_id: str) -> str:
    return page_id.replace("-", "").strip().lower()


class OverrideFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    exclude: tuple[str, ...] = ()
    split: tuple[str, ...] = ()
    pin: dict[str, str] = Field(default_factory=dict)
    merge: tuple[tuple[str, str], ...] = ()
    _values: dict[str, str] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any) -> None:
        values = {page_key(p): target.strip() for p, target in self.pin.items()}
        values.update({page_key(p): "split" for p in self.split})
        values.update({page_key(p): "exclude" for p in self.exclude})
        self._values.update(values)

    def value_for(self, page_id: str) -> str:
        """The override this file gives an entry, in the group-override property's words ('' if none)."""
        return self._values.get(page_key(page_id), "")


def load_override_file(path: Path) -> OverrideFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(
            f"Overrides file not found: {path}",
            f"그룹 지정 파일을 찾을 수 없습니다: {path}",
            hint_en="grouping.overrides_file is relative to the mapping file",
            hint_ko="grouping.overrides_file 경로는 매핑 파일 기준입니다",
        ) from None
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"Cannot read {path}: {error}", f"{path} 파일을 읽을 수 없습니다: {error}") from None
    try:
        return OverrideFile.model_validate(data)
    except ValidationError as error:
        problems = [f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        raise ConfigError(
            f"{path}: {len(problems)} problem(s) in the overrides file",
            f"{path}: 그룹 지정 파일에 문제가 {len(problems)}개 있습니다",
            problems=problems,
        ) from None

"""One exception hierarchy with bilingual user-facing messages, caught once in the CLI."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; documented in README.md."""

    OK = 0
    ERROR = 1
    CHANGES_PENDING = 2
    CONFIG = 3
    AUTH = 4
    REMOTE = 5
    PARTIAL = 6
    BUSY = 7


class CxsyncError(Exception):
    """A failure the user can act on. `en`/`ko` are complete sentences; `hint` says what to do."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, en: str, ko: str | None = None, *, hint_en: str = "", hint_ko: str = "") -> None:
        super().__init__(en)
        self.en = en
        self.ko = ko or en
        self.hint_en = hint_en
        self.hint_ko = hint_ko or hint_en

    def message(self, lang: str) -> str:
        text, hint = (self.ko, self.hint_ko) if lang == "ko" else (self.en, self.hint_en)
        return f"{text}\n  → {hint}" if hint else text


class ConfigError(CxsyncError):
    """The mapping file or the environment is wrong."""

    exit_code = ExitCode.CONFIG

    def __init__(self, en: str, ko: str | None = None, *, problems: list[str] | None = None, **kw: str) -> None:
        super().__init__(en, ko, **kw)
        self.problems = problems or []

    def message(self, lang: str) -> str:
        head = super().message(lang)
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class AuthError(CxsyncError):
    """A token was rejected or lacks a permission."""

    exit_code = ExitCode.AUTH


class RemoteError(CxsyncError):
    """Notion or Jira could not be reached or answered with an error."""

    exit_code = ExitCode.REMOTE


class PartialFailure(CxsyncError):
    """Some planned writes were done and others were not; the next run resumes safely."""

    exit_code = ExitCode.PARTIAL


class BusyError(CxsyncError):
    """Another run holds the lock, or a saved plan no longer matches the world."""

    exit_code = ExitCode.BUSY

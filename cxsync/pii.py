"""Redact personal data from customer quotes before they are copied into Jira."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # the lookbehind starts a match only at the start of a run; without it a long run of letters
    # is rescanned from every position (quadratic time on a 10,000-character request)
    (re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+"), "[이메일/email]"),
    (re.compile(r"\b\d{6}\s?-\s?[1-4]\d{6}\b"), "[주민번호/RRN]"),
    (re.compile(r"\b(?:\d[ -]?){13,16}\d\b"), "[카드번호/card]"),
    (re.compile(r"(?:\+82[ -]?|\b0)1[016789][ -.]?\d{3,4}[ -.]?\d{4}\b"), "[전화번호/phone]"),
    (re.compile(r"\b0(?:2|[3-6][1-5])[ -.]?\d{3,4}[ -.]?\d{4}\b"), "[전화번호/phone]"),
]


def redact_pii(text: str) -> str:
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def make_redactor(enabled: bool = True, extra_patterns: Sequence[str] = ()) -> Callable[[str], str]:
    """The redaction a mapping asks for: the built-in patterns (unless disabled) plus its own."""
    return _redactor(enabled, tuple(extra_patterns))


@lru_cache(maxsize=16)
def _redactor(enabled: bool, extra_patterns: tuple[str, ...]) -> Callable[[str], str]:
    """One redactor per setting; it remembers recent texts, as a group's issue quotes each text several times."""
    extra = [re.compile(p) for p in extra_patterns]

    @lru_cache(maxsize=4096)
    def redact(text: str) -> str:
        if enabled:
            text = redact_pii(text)
        for pattern in extra:
            text = pattern.sub("[redacted]", text)
        return text

    return redact

"""Redact personal data from customer quotes before they are copied into Jira."""

from __future__ import annotations

import re

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[이메일/email]"),
    (re.compile(r"\b\d{6}\s?-\s?[1-4]\d{6}\b"), "[주민번호/RRN]"),
    (re.compile(r"\b(?:\d[ -]?){13,16}\d\b"), "[카드번호/card]"),
    (re.compile(r"(?:\+82[ -]?|\b0)1[016789][ -.]?\d{3,4}[ -.]?\d{4}\b"), "[전화번호/phone]"),
    (re.compile(r"\b0(?:2|[3-6][1-5])[ -.]?\d{3,4}[ -.]?\d{4}\b"), "[전화번호/phone]"),
]


def redact_pii(text: str) -> str:
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text

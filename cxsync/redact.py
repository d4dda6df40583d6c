"""Keep secrets out of every message, log line and file cxsync writes.

Redaction matches secret *values* (raw, base64 of `email:token`, and the `Bearer` form), not key
names, because library errors such as `JIRAError.__str__` embed headers and bodies verbatim.
"""

from __future__ import annotations

import base64
import logging
import sys
import threading

_MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None, *, basic_user: str | None = None) -> None:
    """Remember a secret (and its basic-auth encoding) so that `redact` masks it everywhere."""
    if not value or len(value) < 4:
        return
    forms = {value}
    if basic_user:
        pair = f"{basic_user}:{value}".encode()
        forms.add(base64.b64encode(pair).decode())
    with _lock:
        _secrets.update(forms)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, _MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks registered secrets in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True


def install_log_redaction(level: int) -> None:
    """Send library log records (jira, urllib3, httpx) to stderr through the redacting filter."""
    root = logging.getLogger()
    if any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        root.setLevel(level)
        return
    handler = _StderrHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of the record (it may be swapped, as in tests)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)

"""Keep secrets out of every message, log line and file cxsync writes.

Redaction matches secret *values* (raw, base64 of `email:token`, and the `Bearer` form), not key
names, because library errors such as `JIRAError.__str__` embed headers and bodies verbatim.
"""

from __future__ import annotations

import base64
import logging
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

"""A loopback Slack incoming-webhook receiver, for tests of the run summary (`cxsync.slack`).

It answers like hooks.slack.com: `POST /services/T…/B…/<secret>` with a JSON body gets `200 ok`
(text/plain); an unknown webhook path gets `404 no_service`; a body that is not a JSON object with
a non-empty `text` or `blocks` gets `400 invalid_payload`; blocks beyond Slack's limits (50 blocks,
3,000 characters of section text, 150 of header text) get `400 invalid_blocks`. Every accepted
payload is kept in `received`; faults (`inject`) give the other answers (410 channel_is_archived,
429 with Retry-After, 500 rollup_error).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from cxsync.sandbox.base import Fault, Request, Response, SandboxServer

TEXT = "text/plain; charset=utf-8"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150


def _text(status: int, body: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, body.encode("utf-8"), headers or {}, content_type=TEXT)


class SlackWebhookSandbox(SandboxServer):
    name = "slack-webhook-sandbox"

    def __init__(self) -> None:
        super().__init__()
        self.path = f"/services/T0SANDBOX/B0SANDBOX/{secrets.token_hex(12)}"
        self.received: list[dict[str, Any]] = []
        self.route("POST", r"/services/[^/]+/[^/]+/[^/]+", self._post)

    @property
    def webhook_url(self) -> str:
        return self.base_url + self.path

    def not_found(self, request: Request, *, method_mismatch: bool) -> Response:
        return _text(405 if method_mismatch else 404, "invalid_method" if method_mismatch else "no_service")

    def fault_response(self, fault: Fault) -> Response:
        status = fault.status or 500
        body = (
            fault.body if isinstance(fault.body, bytes) else str(fault.body or _DEFAULT.get(status, "error")).encode()
        )
        return Response(status, body, dict(fault.headers), content_type=TEXT)

    def _post(self, request: Request) -> Response:
        if request.path != self.path:
            return _text(404, "no_service")
        try:
            payload = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _text(400, "invalid_payload")
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return _text(400, "invalid_payload")
        if not _blocks_ok(payload.get("blocks", [])):
            return _text(400, "invalid_blocks")
        with self.lock:
            self.received.append(payload)
        return _text(200, "ok")


_DEFAULT = {410: "channel_is_archived", 403: "action_prohibited", 429: "rate_limited", 500: "rollup_error"}


def _blocks_ok(blocks: Any) -> bool:
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return False
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") not in ("header", "section", "context", "divider"):
            return False
        text = block.get("text") or {}
        limit = MAX_HEADER_TEXT if block["type"] == "header" else MAX_SECTION_TEXT
        if block["type"] in ("header", "section") and not (
            isinstance(text, dict) and 0 < len(text.get("text", "")) <= limit
        ):
            return False
        if block["type"] == "header" and text.get("type") != "plain_text":
            return False
    return True

"""Jira-shaped errors and the validation rules of the sandbox's sub-resources: issue properties,
remote links, transitions and issue link types.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cxsync.sandbox.base import HttpError, Request, Response
from cxsync.sandbox.jira_fields import FieldErrors, InvalidAdf
from cxsync.sandbox.jira_model import LINK_TYPES, STATUSES, IssueRecord, LinkType, RemoteLink, Status, StoredIssue

MAX_GLOBAL_ID = 255
MAX_PROPERTY_KEY = 255
MAX_PROPERTY_VALUE = 32768


def error_body(*messages: str, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Jira's ErrorCollection: `{"errorMessages": [...], "errors": {field: message}}`."""
    return {"errorMessages": list(messages), "errors": errors or {}}


def fail(status: int, *messages: str, errors: dict[str, str] | None = None) -> HttpError:
    return HttpError(Response(status, error_body(*messages, errors=errors)))


def invalid_input(problem: InvalidAdf) -> HttpError:
    """Real Jira's answer to a malformed ADF document; the sandbox adds why in a header."""
    return HttpError(Response(400, error_body("INVALID_INPUT"), {"X-Sandbox-Detail": str(problem)}))


@contextmanager
def field_errors_as_400() -> Iterator[None]:
    try:
        yield
    except FieldErrors as problem:
        raise fail(400, errors=problem.errors) from None
    except InvalidAdf as problem:
        raise invalid_input(problem) from None


def json_body(request: Request) -> Any:
    if not request.body:
        raise fail(400, "No content to map due to end-of-input")
    try:
        return request.json()
    except ValueError as problem:
        raise fail(400, f"Unexpected character in the JSON body: {problem}") from None


# -- issue properties ------------------------------------------------------------------------------


def check_properties(raw: Any) -> dict[str, Any]:
    """`properties: [{key, value}]` of a create/edit body (and each PUT of one property)."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise fail(400, "'properties' must be a list of {key, value} objects.")
    out: dict[str, Any] = {}
    for item in raw:
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key:
            raise fail(400, "The property key cannot be empty.")
        if len(key) > MAX_PROPERTY_KEY:
            raise fail(400, f"The property key cannot be longer than {MAX_PROPERTY_KEY} characters.")
        if "value" not in item or item["value"] is None:
            raise fail(400, f"The property '{key}' has no value.")
        check_property_size(json.dumps(item["value"], ensure_ascii=False))
        out[key] = copy.deepcopy(item["value"])
    return out


def check_property_size(text: str) -> None:
    if len(text) > MAX_PROPERTY_VALUE:
        raise fail(400, f"The property value exceeds the maximum length of {MAX_PROPERTY_VALUE} characters.")


# -- transitions -----------------------------------------------------------------------------------


def transition_target(raw: Any, record: IssueRecord) -> Status:
    """The status a `{"id": …}` transition leads to; every other status is one global transition away."""
    wanted = str(raw.get("id")) if isinstance(raw, dict) else ""
    status = next((s for s in STATUSES if s.transition_id == wanted and s.id != record.status_id), None)
    if status is None:
        raise fail(400, f"Transition id '{wanted}' is not valid for this issue.")
    return status


def enter_status(record: IssueRecord, status: Status, now: float) -> None:
    record.status_id = status.id
    record.resolution = status.resolution
    record.resolution_date = now if status.resolution else None


# -- issue links and remote links ------------------------------------------------------------------


def link_type(raw: Any) -> LinkType:
    ref = raw if isinstance(raw, dict) else {}
    for candidate in LINK_TYPES:
        if ref.get("name") == candidate.name or ref.get("id") == candidate.id:
            return candidate
    raise fail(404, f"No issue link type with name '{ref.get('name') or ref.get('id')}' found.")


def check_remote_link(body: Any) -> dict[str, Any]:
    """A RemoteIssueLinkRequest: `object.url` and `object.title` required, `globalId` ≤ 255 characters."""
    if not isinstance(body, dict):
        raise fail(400, "Can not deserialize RemoteIssueLinkRequest from a non-object value.")
    errors: dict[str, str] = {}
    obj = body.get("object")
    if not isinstance(obj, dict):
        errors["object"] = "'object' is required."
    else:
        for name in ("url", "title"):
            if not isinstance(obj.get(name), str) or not obj[name]:
                errors[name] = f"'{name}' is required."
    global_id = body.get("globalId")
    if global_id is not None and (not isinstance(global_id, str) or len(global_id) > MAX_GLOBAL_ID):
        errors["globalId"] = f"The global ID must be a string of at most {MAX_GLOBAL_ID} characters."
    if body.get("application") is not None and not isinstance(body["application"], dict):
        errors["application"] = "'application' must be an object."
    if body.get("relationship") is not None and not isinstance(body["relationship"], str):
        errors["relationship"] = "'relationship' must be a string."
    if errors:
        raise fail(400, errors=errors)
    return body


def fill_remote_link(link: RemoteLink, body: dict[str, Any]) -> None:
    """Replace every field: a field left out of the request becomes null (the real upsert semantics)."""
    link.global_id = body.get("globalId")
    link.application = copy.deepcopy(body.get("application"))
    link.relationship = body.get("relationship")
    link.object = copy.deepcopy(body["object"])


def find_remote_link(issue: StoredIssue, *, global_id: str | None = None, link_id: int | None = None) -> RemoteLink:
    for link in issue.remote_links:
        if (global_id is not None and link.global_id == global_id) or (link_id is not None and link.id == link_id):
            return link
    raise fail(404, "No remote link with the given id exists on this issue.")

"""State objects, ids, timestamps and error responses shared by the Notion sandbox modules."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from cxsync.sandbox.base import HttpError, Response

# Rows without an explicit created_time are stamped with this fixed "seed clock".
SEED_EPOCH = datetime(2026, 9, 1, tzinfo=UTC)
NAMESPACE = uuid.UUID("6f1c3b9e-2d4a-5c8e-9b7f-0a1d2e3f4c5b")
COLORS = ("default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")
# Characters Notion uses in its short property ids; the id is served URL-encoded.
_PROPERTY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;:<=>?@[]^_`{|}~"
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def det_uuid(*parts: str) -> str:
    """A deterministic uuid, so that seeding the same file always yields the same ids."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def normalize_id(raw: str) -> str | None:
    """Accept ids with or without dashes; return the dashed lowercase form or None."""
    compact = raw.strip().replace("-", "").lower()
    if not _HEX32.match(compact):
        return None
    return str(uuid.UUID(compact))


def property_id_for(data_source_id: str, name: str, taken: set[str]) -> str:
    salt = 0
    while True:
        digest = hashlib.sha256(f"{data_source_id}/{name}/{salt}".encode()).digest()
        raw = "".join(_PROPERTY_ID_ALPHABET[b % len(_PROPERTY_ID_ALPHABET)] for b in digest[:4])
        candidate = quote(raw, safe="")
        if candidate not in taken and candidate != "title":
            return candidate
        salt += 1


def same_property_id(given: str, property_id: str) -> bool:
    return unquote(given) == unquote(property_id)


# -- time ----------------------------------------------------------------------------------------
def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def floor_minute(moment: datetime) -> datetime:
    return as_utc(moment).replace(second=0, microsecond=0)


def iso_minute(moment: datetime) -> str:
    """Page/data-source timestamp form: rounded down to the minute, `…:00.000Z`."""
    return floor_minute(moment).strftime("%Y-%m-%dT%H:%M:00.000Z")


def iso_millis(moment: datetime) -> str:
    """Database timestamp and date-time value form: `2026-07-04T09:08:57.778+00:00`."""
    utc = as_utc(moment)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00:00"


def parse_iso(text: str) -> tuple[datetime, bool] | None:
    """Parse an ISO 8601 date or date-time (UTC when no offset is given).

    Returns the moment and whether the input was a plain date, or None when it does not parse.
    """
    if not isinstance(text, str) or not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=UTC), True
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return as_utc(moment), False


class ManualClock:
    """A clock tests can set and advance; pass it as `NotionSandbox(clock=...)`."""

    def __init__(self, start: datetime = SEED_EPOCH) -> None:
        self.now = as_utc(start)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        self.now += delta if delta is not None else timedelta(**units)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = as_utc(moment)


# -- state ---------------------------------------------------------------------------------------
@dataclass
class User:
    id: str
    name: str
    type: str = "person"
    avatar_url: str | None = None
    email: str | None = None

    def partial(self) -> dict[str, Any]:
        return {"object": "user", "id": self.id}

    def full(self) -> dict[str, Any]:
        detail: dict[str, Any] = {}
        if self.type == "person" and self.email:
            detail["email"] = self.email
        return {
            "object": "user",
            "id": self.id,
            "name": self.name,
            "avatar_url": self.avatar_url,
            "type": self.type,
            self.type: detail,
        }


@dataclass
class PropertySchema:
    id: str
    name: str
    type: str
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def options(self) -> list[dict[str, Any]]:
        options: list[dict[str, Any]] = self.config.setdefault("options", [])
        return options

    def option_named(self, name: str) -> dict[str, Any] | None:
        return next((o for o in self.options if o["name"] == name), None)

    def option_with_id(self, option_id: str) -> dict[str, Any] | None:
        return next((o for o in self.options if o["id"] == option_id), None)

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": None, "type": self.type, self.type: self.config}


@dataclass
class DataSource:
    id: str
    database_id: str
    title: str
    properties: dict[str, PropertySchema]
    created_time: datetime
    last_edited_time: datetime
    page_ids: list[str] = field(default_factory=list)
    next_unique_number: int = 1

    def find_property(self, key: str) -> PropertySchema | None:
        """Look a property up by name first, then by (URL-encoded or decoded) id."""
        if key in self.properties:
            return self.properties[key]
        return next((p for p in self.properties.values() if same_property_id(key, p.id)), None)

    def title_property(self) -> PropertySchema | None:
        return next((p for p in self.properties.values() if p.type == "title"), None)


@dataclass
class Database:
    id: str
    title: str
    data_source_ids: list[str]
    created_time: datetime
    last_edited_time: datetime


@dataclass
class Page:
    id: str
    data_source_id: str
    created_time: datetime
    last_edited_time: datetime
    created_by: str
    last_edited_by: str
    values: dict[str, Any] = field(default_factory=dict)  # property id -> stored value
    icon: dict[str, Any] | None = None
    cover: dict[str, Any] | None = None
    in_trash: bool = False
    is_locked: bool = False
    unique_number: int = 0


# -- errors --------------------------------------------------------------------------------------
_UNDEFINED = object()
UNDEFINED: Any = _UNDEFINED  # a key missing from a request body ("instead was `undefined`")


def error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "error", "status": status, "code": code, "message": message}
    body.update(extra)
    body["request_id"] = str(uuid.uuid4())
    return body


def notion_error(status: int, code: str, message: str, **extra: Any) -> HttpError:
    return HttpError(Response(status, error_body(status, code, message, **extra)))


def validation_error(message: str) -> HttpError:
    return notion_error(400, "validation_error", message)


def shown(value: Any) -> str:
    """A value as Notion quotes it in validation messages."""
    if value is _UNDEFINED:
        return "undefined"
    return json.dumps(value, ensure_ascii=False)


def body_error(path: str, expected: str, value: Any) -> HttpError:
    return validation_error(f"body failed validation: {path} should be {expected}, instead was `{shown(value)}`.")


# -- rendering helpers ---------------------------------------------------------------------------
def title_text(text: str) -> list[dict[str, Any]]:
    """A database/data-source title as a one-item rich-text array."""
    annotations = {flag: False for flag in ("bold", "italic", "strikethrough", "underline", "code")}
    return [
        {
            "type": "text",
            "text": {"content": text, "link": None},
            "annotations": annotations | {"color": "default"},
            "plain_text": text,
            "href": None,
        }
    ]


def object_url(title: str, object_id: str) -> str:
    slug = re.sub(r"[^\w]+", "-", title).strip("-")
    compact = object_id.replace("-", "")
    return f"https://app.notion.com/p/{slug}-{compact}" if slug else f"https://app.notion.com/p/{compact}"

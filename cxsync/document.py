"""A tiny document model for the owned description block, rendered to ADF (Cloud) or wiki markup.

Customer text only ever becomes `Text` nodes, so it stays inert in both targets: ADF text nodes
cannot carry markup, and the wiki renderer escapes every markup character.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema


@dataclass(frozen=True)
class Text:
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Link:
    text: str
    url: str


Inline = Text | Link


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 3


@dataclass(frozen=True)
class Paragraph:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...] = field(default=())


Block = Heading | Paragraph | Bullets | Table

BEGIN_MARKER = "⟦cxsync:begin⟧"
END_MARKER = "⟦cxsync:end⟧"
BEGIN_TEXT = (
    f"{BEGIN_MARKER} 이 구역은 cxsync가 관리합니다 — This section is managed by cxsync; edits here are overwritten."
)
END_TEXT = f"{END_MARKER} 이 아래는 자유롭게 편집하세요 — Edit freely outside this section."


def pack_json(value: Any) -> bytes:
    """A description kept packed in memory: Korean text and emoji make a Python string 2–4 bytes a
    character, and a sync holds one description per group (twice on a resync: actual and planned)."""
    return _pack(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def unpack_json(packed: bytes) -> Any:
    return json.loads(_unpack(packed))


def _pack(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 1)


def _unpack(packed: bytes) -> str:
    return zlib.decompress(packed).decode("utf-8")


def _pack_given(value: Any) -> Any:
    """Validation: JSON text (a plan file, the cache) is packed; packed bytes pass as they are."""
    return _pack(value) if isinstance(value, str) else value


# Compact JSON text outside (validation, dumps, plan files), zlib-packed bytes inside.
PackedJson = Annotated[
    bytes,
    BeforeValidator(_pack_given),
    PlainSerializer(_unpack, return_type=str),
    WithJsonSchema({"type": "string", "description": "compact JSON text"}),
]


def safe_url(url: str) -> bool:
    return urlsplit(url).scheme in {"http", "https"}


# -- ADF --------------------------------------------------------------------------------------------


def _adf_inline(inline: Inline) -> dict[str, Any]:
    if isinstance(inline, Link) and safe_url(inline.url):
        return {
            "type": "text",
            "text": inline.text or inline.url,
            "marks": [{"type": "link", "attrs": {"href": inline.url}}],
        }
    node: dict[str, Any] = {"type": "text", "text": inline.text or " "}
    if isinstance(inline, Text) and inline.bold:
        node["marks"] = [{"type": "strong"}]
    return node


def _adf_paragraph(inlines: tuple[Inline, ...]) -> dict[str, Any]:
    content = [_adf_inline(i) for i in inlines if i.text or isinstance(i, Link)]
    return {"type": "paragraph", "content": content} if content else {"type": "paragraph"}


def _adf_cell(kind: str, inlines: tuple[Inline, ...]) -> dict[str, Any]:
    return {"type": kind, "content": [_adf_paragraph(inlines)]}


def _adf_block(block: Block) -> dict[str, Any]:
    if isinstance(block, Heading):
        return {"type": "heading", "attrs": {"level": block.level}, "content": [{"type": "text", "text": block.text}]}
    if isinstance(block, Paragraph):
        return _adf_paragraph(block.inlines)
    if isinstance(block, Bullets):
        items = [{"type": "listItem", "content": [_adf_paragraph(item)]} for item in block.items]
        return {"type": "bulletList", "content": items}
    header = {"type": "tableRow", "content": [_adf_cell("tableHeader", (Text(h),)) for h in block.header]}
    rows = [{"type": "tableRow", "content": [_adf_cell("tableCell", cell) for cell in row]} for row in block.rows]
    return {"type": "table", "content": [header, *rows]}


def owned_adf_nodes(blocks: list[Block]) -> list[dict[str, Any]]:
    begin = _adf_paragraph((Text(BEGIN_TEXT),))
    end = _adf_paragraph((Text(END_TEXT),))
    return [begin, *(_adf_block(b) for b in blocks), end]


def _adf_plain(node: Any) -> str:
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        return "".join(_adf_plain(child) for child in node.get("content", []) or [])
    return ""


def splice_adf(current: Any, blocks: list[Block]) -> dict[str, Any]:
    """`current` description with the owned block replaced (or appended); the rest untouched."""
    content = list(current.get("content", [])) if isinstance(current, dict) else []
    starts = [i for i, n in enumerate(content) if _adf_plain(n).startswith(BEGIN_MARKER)]
    ends = [i for i, n in enumerate(content) if _adf_plain(n).startswith(END_MARKER)]
    owned = owned_adf_nodes(blocks)
    if starts and ends and ends[-1] > starts[0]:
        content[starts[0] : ends[-1] + 1] = owned
    else:
        content.extend(owned)
    return {"type": "doc", "version": 1, "content": content}


def has_adf_block(description: Any) -> bool:
    content = description.get("content", []) if isinstance(description, dict) else []
    texts = [_adf_plain(n) for n in content]
    return any(t.startswith(BEGIN_MARKER) for t in texts) and any(t.startswith(END_MARKER) for t in texts)


# -- wiki markup -------------------------------------------------------------------------------------

_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_+\-^~?!#()@])")


def escape_wiki(text: str) -> str:
    """Escape wiki markup so customer text renders literally (backslash first, then the rest)."""
    text = " ".join(text.split())
    return _WIKI_SPECIAL.sub(r"\\\1", text)


def _wiki_inline(inline: Inline) -> str:
    if isinstance(inline, Link) and safe_url(inline.url):
        label = escape_wiki(inline.text or inline.url)
        return f"[{label}|{inline.url.replace('|', '%7C').replace(']', '%5D')}]"
    text = escape_wiki(inline.text)
    return f"*{text}*" if isinstance(inline, Text) and inline.bold and text else text


def _wiki_inlines(inlines: tuple[Inline, ...]) -> str:
    return "".join(_wiki_inline(i) for i in inlines) or " "


def _wiki_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"h{block.level}. {escape_wiki(block.text)}"
    if isinstance(block, Paragraph):
        return _wiki_inlines(block.inlines)
    if isinstance(block, Bullets):
        return "\n".join(f"* {_wiki_inlines(item)}" for item in block.items)
    header = "||" + "||".join(escape_wiki(h) for h in block.header) + "||"
    rows = ["|" + "|".join(_wiki_inlines(cell) for cell in row) + "|" for row in block.rows]
    return "\n".join([header, *rows])


def owned_wiki(blocks: list[Block]) -> str:
    parts = [BEGIN_TEXT, *(_wiki_block(b) for b in blocks), END_TEXT]
    return "\n\n".join(parts)


def splice_wiki(current: Any, blocks: list[Block]) -> str:
    text = current if isinstance(current, str) else ""
    owned = owned_wiki(blocks)
    start, end = text.find(BEGIN_MARKER), text.rfind(END_MARKER)
    if start != -1 and end > start:
        line_end = text.find("\n", end)
        tail = text[line_end:] if line_end != -1 else ""
        return text[:start] + owned + tail
    return f"{text.rstrip()}\n\n{owned}" if text.strip() else owned


def has_wiki_block(description: Any) -> bool:
    return isinstance(description, str) and BEGIN_MARKER in description and END_MARKER in description

"""Atlassian Document Format (ADF) checks and conversions for the Jira sandbox.

Only the real ADF nodes and marks that cxsync may plausibly send are allowed, so a document the real
Jira would reject (an empty text node, an unknown node type, a heading without a level) is rejected
here too. See https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/.
"""

from __future__ import annotations

from typing import Any

BLOCK_NODES = frozenset(
    {"paragraph", "heading", "bulletList", "orderedList", "blockquote", "codeBlock", "rule", "panel", "table"}
)
INLINE_NODES = frozenset({"text", "hardBreak", "mention", "emoji", "inlineCard"})
MARKS = frozenset({"strong", "em", "code", "link", "strike", "underline"})
PANEL_TYPES = frozenset({"info", "note", "warning", "success", "error"})

_LIST_CONTENT = frozenset({"paragraph", "bulletList", "orderedList", "codeBlock"})
_CELL_CONTENT = frozenset(
    {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "panel", "rule"}
)

# Allowed child node types per container node.
_CHILDREN: dict[str, frozenset[str]] = {
    "doc": BLOCK_NODES,
    "paragraph": INLINE_NODES,
    "heading": INLINE_NODES,
    "bulletList": frozenset({"listItem"}),
    "orderedList": frozenset({"listItem"}),
    "listItem": _LIST_CONTENT,
    "blockquote": _LIST_CONTENT,
    "codeBlock": frozenset({"text"}),
    "panel": frozenset({"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "rule"}),
    "table": frozenset({"tableRow"}),
    "tableRow": frozenset({"tableHeader", "tableCell"}),
    "tableHeader": _CELL_CONTENT,
    "tableCell": _CELL_CONTENT,
}
_NEEDS_CONTENT = frozenset(
    {"bulletList", "orderedList", "listItem", "blockquote", "panel", "table", "tableRow", "tableHeader", "tableCell"}
)
_LEAVES = frozenset({"text", "hardBreak", "rule", "mention", "emoji", "inlineCard"})


class AdfError(ValueError):
    """The value is not a valid ADF document; `str(error)` says where and why."""


def is_doc_shaped(value: object) -> bool:
    """True for anything that claims to be an ADF document (a dict with `type: doc`)."""
    return isinstance(value, dict) and value.get("type") == "doc"


def validate_doc(value: object) -> None:
    """Raise `AdfError` unless `value` is a valid ADF document."""
    if not isinstance(value, dict) or value.get("type") != "doc":
        raise AdfError("not an ADF document (expected an object with type 'doc')")
    _check_keys(value, {"type", "version", "content"}, "doc")
    if value.get("version") != 1:
        raise AdfError("doc: version must be 1")
    content = value.get("content")
    if not isinstance(content, list):
        raise AdfError("doc: content must be an array")
    for index, child in enumerate(content):
        _validate_node(child, "doc", f"doc.content[{index}]")


def _check_keys(node: dict[str, Any], allowed: set[str], path: str) -> None:
    extra = sorted(set(node) - allowed)
    if extra:
        raise AdfError(f"{path}: unexpected key(s) {', '.join(extra)}")


def _validate_node(node: object, parent: str, path: str) -> None:
    if not isinstance(node, dict):
        raise AdfError(f"{path}: a node must be an object")
    kind = node.get("type")
    if not isinstance(kind, str) or kind not in _CHILDREN[parent]:
        raise AdfError(f"{path}: node type {kind!r} is not allowed in {parent}")
    path = f"{path}({kind})"
    if kind == "text":
        _validate_text(node, path, marks_allowed=parent != "codeBlock")
        return
    _check_keys(node, {"type", "attrs"} if kind in _LEAVES else {"type", "attrs", "content"}, path)
    _validate_attrs(kind, node.get("attrs"), path)
    if kind in _LEAVES:
        return
    content = node.get("content", [])
    if not isinstance(content, list):
        raise AdfError(f"{path}: content must be an array")
    if not content and kind in _NEEDS_CONTENT:
        raise AdfError(f"{path}: content must not be empty")
    for index, child in enumerate(content):
        _validate_node(child, kind, f"{path}.content[{index}]")


def _validate_text(node: dict[str, Any], path: str, *, marks_allowed: bool) -> None:
    _check_keys(node, {"type", "text", "marks"}, path)
    text = node.get("text")
    if not isinstance(text, str) or not text:
        raise AdfError(f"{path}: text must be a non-empty string")
    marks = node.get("marks", [])
    if not isinstance(marks, list):
        raise AdfError(f"{path}: marks must be an array")
    if marks and not marks_allowed:
        raise AdfError(f"{path}: text in a codeBlock cannot have marks")
    seen: set[str] = set()
    for mark in marks:
        _validate_mark(mark, path)
        seen.add(mark["type"])
    if len(seen) != len(marks):
        raise AdfError(f"{path}: a mark is applied twice")
    if "code" in seen and seen - {"code", "link"}:
        raise AdfError(f"{path}: the code mark can only be combined with link")


def _validate_mark(mark: object, path: str) -> None:
    if not isinstance(mark, dict) or mark.get("type") not in MARKS:
        kind = mark.get("type") if isinstance(mark, dict) else mark
        raise AdfError(f"{path}: mark {kind!r} is not allowed")
    _check_keys(mark, {"type", "attrs"}, f"{path}.marks")
    if mark["type"] == "link":
        attrs = mark.get("attrs")
        if not isinstance(attrs, dict) or not isinstance(attrs.get("href"), str) or not attrs["href"]:
            raise AdfError(f"{path}: a link mark needs attrs.href")


def _validate_attrs(kind: str, attrs: object, path: str) -> None:
    if attrs is not None and not isinstance(attrs, dict):
        raise AdfError(f"{path}: attrs must be an object")
    values: dict[str, Any] = attrs or {}
    if kind == "heading":
        level = values.get("level")
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 6:
            raise AdfError(f"{path}: attrs.level must be an integer from 1 to 6")
    elif kind == "panel" and values.get("panelType") not in PANEL_TYPES:
        raise AdfError(f"{path}: attrs.panelType must be one of {', '.join(sorted(PANEL_TYPES))}")
    elif kind == "mention" and not isinstance(values.get("id"), str):
        raise AdfError(f"{path}: attrs.id is required")
    elif kind == "emoji" and not isinstance(values.get("shortName"), str):
        raise AdfError(f"{path}: attrs.shortName is required")
    elif kind == "inlineCard" and not isinstance(values.get("url"), str) and not isinstance(values.get("data"), dict):
        raise AdfError(f"{path}: attrs.url or attrs.data is required")
    elif kind == "codeBlock" and "language" in values and not isinstance(values["language"], str):
        raise AdfError(f"{path}: attrs.language must be a string")
    elif kind == "orderedList" and "order" in values:
        order = values["order"]
        if not isinstance(order, int) or isinstance(order, bool) or order < 0:
            raise AdfError(f"{path}: attrs.order must be a non-negative integer")


# -- conversions -----------------------------------------------------------------------------------


def from_text(text: str) -> dict[str, Any]:
    """A minimal ADF document for a plain (wiki-markup) string: one paragraph per blank-line block."""
    content: list[dict[str, Any]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        inline: list[dict[str, Any]] = []
        for line in block.split("\n"):
            if inline:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        while inline and inline[-1]["type"] == "hardBreak":
            inline.pop()
        if inline:
            content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def to_text(doc: dict[str, Any]) -> str:
    """A plain-text approximation of an ADF document (what the v2 API shows for an ADF value)."""
    blocks = [_block_text(node, "") for node in doc.get("content", [])]
    return "\n".join(block for block in blocks if block is not None).strip("\n")


def _block_text(node: dict[str, Any], indent: str) -> str | None:
    kind = node.get("type")
    children: list[dict[str, Any]] = node.get("content", [])
    if kind in ("paragraph", "heading"):
        prefix = "h{}. ".format(node.get("attrs", {}).get("level", 1)) if kind == "heading" else ""
        return indent + prefix + "".join(_inline_text(child) for child in children)
    if kind in ("bulletList", "orderedList"):
        lines = []
        for number, item in enumerate(children, start=1):
            bullet = "- " if kind == "bulletList" else f"{number}. "
            parts = [_block_text(child, indent + "  ") for child in item.get("content", [])]
            body = "\n".join(part for part in parts if part is not None).lstrip()
            lines.append(indent + bullet + body)
        return "\n".join(lines)
    if kind == "rule":
        return indent + "----"
    if kind == "codeBlock":
        return "\n".join(indent + line for line in "".join(_inline_text(c) for c in children).split("\n"))
    if kind == "tableRow":
        cells = [_block_text(cell, "") or "" for cell in children]
        return indent + "| " + " | ".join(cell.replace("\n", " ") for cell in cells) + " |"
    parts = [_block_text(child, indent) for child in children]
    return "\n".join(part for part in parts if part is not None)


def _inline_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    attrs: dict[str, Any] = node.get("attrs") or {}
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return str(attrs.get("text") or "@" + str(attrs.get("id", "")))
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName", ""))
    if kind == "inlineCard":
        return str(attrs.get("url", ""))
    return ""

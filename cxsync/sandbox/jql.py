"""A JQL subset for the Jira sandbox: tokenizer, parser, compiler against a field schema, evaluator
and ORDER BY keys.

Grammar: ``clause {AND|OR clause}`` with ``NOT`` and parentheses, where a clause is
``field op value``, ``field [NOT] IN (v, …)`` or ``field IS [NOT] EMPTY``; then an optional
``ORDER BY field [ASC|DESC], …``. Values are quoted strings (with ``\\"``, ``\\'``, ``\\\\``, ``\\n``,
``\\t`` and ``\\uXXXX`` escapes), unquoted words, or the functions ``now()`` and ``currentUser()``.

Error messages follow the real ones: syntax errors start with "Error in the JQL Query:"; unknown
fields, values and operators give the real per-field sentences.
"""

from __future__ import annotations

import calendar
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

T = TypeVar("T")
FieldKind = Literal["enum", "text", "number", "date"]
Op = Literal["=", "!=", "~", "!~", ">", ">=", "<", "<=", "in", "not in", "is", "is not"]

MAX_ORDER_BY_FIELDS = 7
_OPS_BY_KIND: dict[FieldKind, frozenset[str]] = {
    "enum": frozenset({"=", "!=", "in", "not in", "is", "is not"}),
    "text": frozenset({"~", "!~", "is", "is not"}),
    "number": frozenset({"=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not"}),
    "date": frozenset({"=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not"}),
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"})
_RESERVED = frozenset("{}*%+^$#@;?|")
_WORD_STOP = _RESERVED | frozenset("(),\"'=!<>~")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", " ": " "}
_PERIOD = re.compile(r"^([+-]?)((?:\d+[wdhm]\s*)+)$")
_PERIOD_PART = re.compile(r"(\d+)([wdhm])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


class JqlError(ValueError):
    """A JQL query the real Jira would refuse with HTTP 400; the text is the real-style message."""


# -- tokens ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: Literal["word", "string", "op", "(", ")", ",", "eof"]
    text: str
    pos: int  # 1-based character position, as in the real messages

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words

    def shown(self) -> str:
        return "EOF" if self.kind == "eof" else self.text


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "(),":
            tokens.append(Token(char, char, i + 1))  # type: ignore[arg-type]
            i += 1
        elif char in "\"'":
            value, end = _read_string(text, i)
            tokens.append(Token("string", value, i + 1))
            i = end
        elif char in "=!<>~":
            op = text[i : i + 2] if text[i : i + 2] in ("!=", "!~", ">=", "<=") else char
            if op == "!":
                raise _syntax(f"The character '!' is not valid here. (line 1, character {i + 1})")
            tokens.append(Token("op", op, i + 1))
            i += len(op)
        elif char in _RESERVED:
            raise _syntax(
                f"The character '{char}' is a reserved JQL character. You must enclose it in a string "
                f"or use the escape '\\u{ord(char):04x}' instead. (line 1, character {i + 1})"
            )
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in _WORD_STOP:
                i += 1
            tokens.append(Token("word", text[start:i], start + 1))
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == quote:
            return "".join(out), i + 1
        if char == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt not in _ESCAPES:
                raise _syntax(f"Illegal escape sequence '\\{nxt}' in the string. (line 1, character {i + 1})")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(char)
        i += 1
    raise _syntax(f"The quoted string '{text[start + 1 :]}' has not been completed. (line 1, character {start + 1})")


def _syntax(message: str) -> JqlError:
    return JqlError(f"Error in the JQL Query: {message}")


# -- syntax tree -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    text: str
    function: bool = False  # written as `name()`
    keyword: bool = False  # unquoted EMPTY / NULL

    def shown(self) -> str:
        return self.text + "()" if self.function else self.text


@dataclass(frozen=True)
class Clause:
    field: str
    op: Op
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class BoolExpr:
    op: Literal["and", "or", "not"]
    parts: tuple[Expr, ...]


Expr = Clause | BoolExpr


@dataclass(frozen=True)
class SortItem:
    field: str
    descending: bool


@dataclass(frozen=True)
class Query:
    where: Expr | None
    order_by: tuple[SortItem, ...] = ()


def parse(text: str) -> Query:
    """Parse a JQL string (syntax only; field names are checked by `compile_query`)."""
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return token

    def query(self) -> Query:
        where = None if self.tok.kind == "eof" or self.tok.is_keyword("order") else self.or_expr()
        order: tuple[SortItem, ...] = ()
        if self.tok.is_keyword("order"):
            order = self.order_by()
        if self.tok.kind != "eof":
            raise _syntax(f"Expecting either 'OR' or 'AND' but got '{self.tok.text}'. {self.where_am_i()}")
        return Query(where, order)

    def where_am_i(self) -> str:
        return f"(line 1, character {self.tok.pos})"

    def or_expr(self) -> Expr:
        parts = [self.and_expr()]
        while self.tok.is_keyword("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolExpr("or", tuple(parts))

    def and_expr(self) -> Expr:
        parts = [self.not_expr()]
        while self.tok.is_keyword("and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else BoolExpr("and", tuple(parts))

    def not_expr(self) -> Expr:
        if self.tok.is_keyword("not"):
            self.take()
            return BoolExpr("not", (self.not_expr(),))
        if self.tok.kind == "(":
            self.take()
            inner = self.or_expr()
            self.closing_paren()
            return inner
        return self.clause()

    def closing_paren(self) -> None:
        token = self.take()
        if token.kind == "eof":
            raise _syntax("Expecting ')' before the end of the query.")
        if token.kind != ")":
            raise _syntax(f"Expecting ')' but got '{token.text}'. (line 1, character {token.pos})")

    def clause(self) -> Clause:
        token = self.tok
        if token.kind not in ("word", "string") or (token.kind == "word" and token.text.lower() in _KEYWORDS):
            if token.kind == "eof":
                raise _syntax("Expecting a field name before the end of the query.")
            raise _syntax(f"Expecting a field name but got '{token.text}'. {self.where_am_i()}")
        self.take()
        op = self.operator()
        if op in ("in", "not in"):
            return Clause(token.text, op, self.value_list())
        if op in ("is", "is not"):
            value = self.take()
            if not value.is_keyword("empty", "null"):
                raise _syntax(f"Expecting 'EMPTY' or 'NULL' but got '{value.shown()}'. {self.where_am_i()}")
            return Clause(token.text, op)
        return Clause(token.text, op, (self.value(),))

    def operator(self) -> Op:
        token = self.take()
        if token.kind == "op":
            return token.text  # type: ignore[return-value]
        if token.is_keyword("in"):
            return "in"
        if token.is_keyword("is"):
            if self.tok.is_keyword("not"):
                self.take()
                return "is not"
            return "is"
        if token.is_keyword("not") and self.tok.is_keyword("in"):
            self.take()
            return "not in"
        where = "before the end of the query." if token.kind == "eof" else f"but got '{token.text}'."
        raise _syntax(
            f"Expecting operator {where} The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', "
            f"'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character {token.pos})"
        )

    def value(self) -> Value:
        token = self.take()
        if token.kind == "string":
            return Value(token.text)
        if token.kind == "word" and token.text.lower() not in _KEYWORDS - {"empty", "null"}:
            if self.tok.kind == "(":
                self.take()
                if self.take().kind != ")":
                    raise _syntax(f"Function arguments are not supported. (line 1, character {token.pos})")
                return Value(token.text, function=True)
            return Value(token.text, keyword=token.text.lower() in ("empty", "null"))
        if token.kind == "eof":
            raise _syntax("Expecting either a value, list or function before the end of the query.")
        raise _syntax(
            f"Expecting either a value, list or function but got '{token.text}'. (line 1, character {token.pos})"
        )

    def value_list(self) -> tuple[Value, ...]:
        if self.take().kind != "(":
            raise _syntax(f"Expecting '(' after 'IN'. {self.where_am_i()}")
        values = [self.value()]
        while self.tok.kind == ",":
            self.take()
            values.append(self.value())
        self.closing_paren()
        return tuple(values)

    def order_by(self) -> tuple[SortItem, ...]:
        self.take()
        if not self.tok.is_keyword("by"):
            raise _syntax(f"Expecting 'by' but got '{self.tok.shown()}'. {self.where_am_i()}")
        self.take()
        items: list[SortItem] = []
        while True:
            token = self.take()
            if token.kind not in ("word", "string"):
                where = f"(line 1, character {token.pos})"
                raise _syntax(f"Expecting a field name but got '{token.shown()}'. {where}")
            descending = False
            if self.tok.is_keyword("asc", "desc"):
                descending = self.take().text.lower() == "desc"
            items.append(SortItem(token.text, descending))
            if self.tok.kind != ",":
                break
            self.take()
        return tuple(items)


# -- compiling against a schema --------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """How the sandbox exposes one field to JQL.

    `id` is the key of the field in a record's values. For enum fields, `resolve` maps a written value
    (lower-cased) to the canonical lower-case value stored in records, or returns None when the value
    does not exist (the real "The value 'x' does not exist for the field 'y'." error). Without
    `resolve` any value is accepted (labels).
    """

    id: str
    name: str
    kind: FieldKind
    resolve: Callable[[str], str | None] | None = None
    missing: str = "The value '{value}' does not exist for the field '{field}'."


JqlSchemaLookup = Callable[[str], FieldSpec | None]


@dataclass(frozen=True)
class Condition:
    spec: FieldSpec
    op: Op
    values: tuple[Any, ...]


CompiledNode = Condition | tuple[str, tuple["CompiledNode", ...]]  # ("and"|"or"|"not", parts)


Test = Callable[[Mapping[str, Sequence[Any]]], bool]


@dataclass(frozen=True)
class CompiledQuery:
    """A query ready to run: `matches(values)` and `order` (field id, descending) pairs."""

    where: CompiledNode | None
    order: tuple[tuple[str, bool], ...] = ()
    test: Test | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "test", None if self.where is None else _test(self.where))

    @property
    def bounded(self) -> bool:
        return self.where is not None

    def matches(self, record: Mapping[str, Sequence[Any]]) -> bool:
        return self.test is None or self.test(record)


def named_ids(node: CompiledNode | None) -> frozenset[int] | None:
    """The only issue ids a query can match, when it names them (`id = n`, `id in (…)`, alone or ANDed
    with anything): a search then looks at those issues alone, as Jira's index does."""
    if node is None:
        return None
    if isinstance(node, Condition):
        if node.spec.id == "id" and node.op in ("=", "in"):
            return frozenset(int(value) for value in node.values if float(value).is_integer())
        return None
    op, parts = node
    if op != "and":
        return None
    named = [ids for part in parts if (ids := named_ids(part)) is not None]
    return frozenset.intersection(*named) if named else None


def compile_query(query: Query, lookup: JqlSchemaLookup, now: float) -> CompiledQuery:
    """Check field names, operators and values against the schema and convert the values."""
    where = _compile(query.where, lookup, now) if query.where is not None else None
    if len(query.order_by) > MAX_ORDER_BY_FIELDS:
        raise JqlError(f"The ORDER BY clause may contain at most {MAX_ORDER_BY_FIELDS} fields.")
    order: list[tuple[str, bool]] = []
    for item in query.order_by:
        spec = lookup(item.field)
        if spec is None:
            raise JqlError(f"Not able to sort using field '{item.field}'.")
        order.append((spec.id, item.descending))
    return CompiledQuery(where, tuple(order))


def _compile(expr: Expr, lookup: JqlSchemaLookup, now: float) -> CompiledNode:
    if isinstance(expr, BoolExpr):
        return (expr.op, tuple(_compile(part, lookup, now) for part in expr.parts))
    spec = lookup(expr.field)
    if spec is None:
        raise JqlError(f"Field '{expr.field}' does not exist or you do not have permission to view it.")
    op = expr.op
    if op in ("=", "!=") and expr.values[0].keyword:  # `x = EMPTY` is the same as `x IS EMPTY`
        op = "is" if op == "=" else "is not"
    if op not in _OPS_BY_KIND[spec.kind]:
        raise JqlError(f"The operator '{op.upper()}' is not supported by the '{expr.field}' field.")
    if op in ("is", "is not"):
        return Condition(spec, op, ())
    return Condition(spec, op, tuple(_convert(spec, value, expr.field, now) for value in expr.values))


def _convert(spec: FieldSpec, value: Value, written_field: str, now: float) -> Any:
    if value.function and not (
        (spec.kind == "date" and value.text.lower() == "now")
        or (spec.kind == "enum" and value.text.lower() == "currentuser" and spec.resolve is not None)
    ):
        raise JqlError(f"Unable to find JQL function '{value.shown()}'.")
    if spec.kind == "date":
        return now if value.function else parse_date(value.text, written_field, now)
    if spec.kind == "number":
        try:
            return float(value.text)
        except ValueError:
            raise JqlError(f"The value '{value.text}' is invalid for the '{written_field}' field.") from None
    text = value.shown().lower()
    if spec.kind == "enum" and spec.resolve is not None:
        resolved = spec.resolve(text)
        if resolved is None:
            raise JqlError(spec.missing.format(value=value.shown(), field=written_field))
        return resolved
    return text


def parse_date(text: str, written_field: str, now: float) -> float:
    """A JQL date: `yyyy-MM-dd[ HH:mm]`, `yyyy/MM/dd[ HH:mm]` (UTC) or a period like `-5d`, `-1w 2d`."""
    period = _PERIOD.match(text.strip())
    if period:
        seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PERIOD_PART.findall(period.group(2)))
        return now - seconds if period.group(1) == "-" else now + seconds
    for fmt in _DATE_FORMATS:
        try:
            return float(calendar.timegm(datetime.strptime(text.strip(), fmt).timetuple()))
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{text}' for field '{written_field}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


# -- evaluation ------------------------------------------------------------------------------------


def _test(node: CompiledNode) -> Test:
    """`node` as one function of a record's values, built once per query rather than walked per record."""
    if isinstance(node, Condition):
        return _condition_test(node)
    op, parts = node
    tests = tuple(_test(part) for part in parts)
    if op == "not":
        inner = tests[0]
        return lambda record: not inner(record)
    if len(tests) == 2:
        first, second = tests
        if op == "and":
            return lambda record: first(record) and second(record)
        return lambda record: first(record) or second(record)
    if op == "and":
        return lambda record: all(test(record) for test in tests)
    return lambda record: any(test(record) for test in tests)


def _condition_test(cond: Condition) -> Test:
    field_id, op = cond.spec.id, cond.op
    if op in ("=", "in", "!=", "not in"):
        try:
            wanted = frozenset(cond.values)
        except TypeError:  # pragma: no cover - compiled values are strings and floats
            wanted = None
        if wanted is not None:
            if op in ("=", "in"):
                return lambda record: not wanted.isdisjoint(record.get(field_id, ()))
            return lambda record: bool(have := record.get(field_id, ())) and wanted.isdisjoint(have)
    return lambda record: _eval_condition(cond, record.get(field_id, ()))


def _eval_condition(cond: Condition, have: Sequence[Any]) -> bool:
    """JQL semantics: a field holds a list of values; negative operators never match an empty field."""
    op = cond.op
    if op == "is":
        return not have
    if op == "is not":
        return bool(have)
    if op in ("~", "!~"):
        found = any(str(cond.values[0]) in str(item) for item in have)
        return found if op == "~" else bool(have) and not found
    if op in _COMPARE:
        return any(_COMPARE[op](item, cond.values[0]) for item in have)
    found = any(item == wanted for item in have for wanted in cond.values)
    return found if op in ("=", "in") else bool(have) and not found


# -- ordering --------------------------------------------------------------------------------------

SortKey = list[Any]


def sort_key(sort_values: Mapping[str, Any], order: Sequence[tuple[str, bool]], issue_id: int) -> SortKey:
    """A JSON-serialisable key: one `[is_empty, value]` pair per ORDER BY field, then the issue id.

    Empty values sort last in ascending order (and first in descending order).
    """
    key: SortKey = []
    for field_id, _ in order:
        value = sort_values.get(field_id)
        key.append([value is None, value])
    key.append(issue_id)
    return key


def compare_keys(a: SortKey, b: SortKey, order: Sequence[tuple[str, bool]]) -> int:
    for index, (_, descending) in enumerate(order):
        if a[index] != b[index]:
            before = a[index] < b[index]
            return (1 if before else -1) if descending else (-1 if before else 1)
    return int(a[-1] > b[-1]) - int(a[-1] < b[-1])


def sort_by_keys(items: list[T], key: Callable[[T], SortKey], order: Sequence[tuple[str, bool]]) -> list[T]:
    """`items` in the order `compare_keys` gives their keys: one stable sort per ORDER BY field, the
    last field first (a sort with `reverse=True` keeps equal items in place, so ties stay ordered)."""
    ordered = sorted(items, key=lambda item: key(item)[-1])
    for index in range(len(order) - 1, -1, -1):
        ordered.sort(key=lambda item: key(item)[index], reverse=order[index][1])
    return ordered


def first_after(keys: Sequence[SortKey], cursor: SortKey, order: Sequence[tuple[str, bool]]) -> int:
    """The position of the first key that `compare_keys` puts after `cursor`, in keys sorted by it."""
    low, high = 0, len(keys)
    while low < high:
        middle = (low + high) // 2
        if compare_keys(keys[middle], cursor, order) > 0:
            high = middle
        else:
            low = middle + 1
    return low

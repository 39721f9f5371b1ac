"""Where the leaves of a JSON text are and what names them: each string or number leaf of a parsed
document with its key, its parent's key (the column's name for the top level), whether that parent
is a key of the document, and the word of a sibling that says what it holds (FHIR's {"system":
".../mrn", "value": ...}, an identity document's {"type": "Driver's License", "number": ...}).
Structure comes from the parsed object, places from one regex pass over the text's value tokens;
a document with a key twice, or nested deeper than Python recursion goes, is walked token by
token (json_members.py reads the names)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from compliance.buffers import string_buffers
from compliance.detection.arrays import to_mask

# One JSON token (the document parsed already, so the tokens cover it but for whitespace): a string
# (group 1: its content), a number (2), a literal (3) or punctuation (4).
_TOKEN = re.compile(
    r'[ \t\n\r]*(?:"([^"\\]*(?:\\.[^"\\]*)*)"|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|'
    r"(true|false|null|NaN|-?Infinity)|([{}\[\]:,]))"
)
# The string, number and literal tokens of a parsed document, in order: a string followed by ":" is
# a key (group 2 set), any other token a value. Structure comes from the parsed object instead.
_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_SCALAR = re.compile(
    rf'"([^"\\]*(?:\\.[^"\\]*)*)"([ \t\n\r]*:)?|({_NUMBER})|(true|false|null|NaN|-?Infinity)'
)

_OPENERS = (ord("{"), ord("["))
_QUOTE = ord('"')


def json_rows(values: pa.Array, quoted: bool = False) -> np.ndarray:
    """Positions of the values that may hold a JSON object or array: their first byte is "{", "[" or
    whitespace (then checked past it). One numpy look per value: the cost of non-JSON text.
    `quoted`: also a JSON string that may hold one (a '"' then "{" or "[": json_nested.py)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets, data = string_buffers(values)
    if data.size == 0:
        return np.zeros(0, dtype=np.int64)
    first = data[np.minimum(offsets[:-1], data.size - 1)]
    maybe = (offsets[1:] > offsets[:-1]) & ((first == _OPENERS[0]) | (first == _OPENERS[1]) | (first <= 0x20))
    if quoted:
        second = data[np.minimum(offsets[:-1] + 1, data.size - 1)]
        opens = (second == _OPENERS[0]) | (second == _OPENERS[1])
        maybe |= (offsets[1:] - offsets[:-1] > 2) & (first == _QUOTE) & opens
    if values.null_count:
        maybe &= to_mask(values.is_valid())
    rows = np.flatnonzero(maybe)
    spaced = rows[first[rows] <= 0x20]
    if spaced.size:  # rare: look past the whitespace
        texts = values.take(pa.array(spaced)).to_pylist()
        drop = [r for r, t in zip(spaced.tolist(), texts, strict=True) if t.lstrip()[:1] not in ("{", "[")]
        rows = np.setdiff1d(rows, np.asarray(drop, dtype=np.int64))
    return rows


@dataclass
class Leaf:
    start: int  # the token's characters [start, end): quotes included for a string
    end: int
    string: bool
    text: str
    key: str | None
    parent: str | None
    # The parent is a key of the document (not the column's name, the top level's parent).
    nested: bool
    system: str | None = None


@dataclass
class _Frame:
    is_object: bool
    key: str | None
    parent: str | None
    nested: bool  # `parent` is a key of the document
    keyed: bool  # `key` is a key of the document (not the column's name)
    expecting_key: bool = False
    pending: str | None = None
    members: dict[str, int] = field(default_factory=dict)  # key -> leaf index (direct leaves)


def _walk(text: str, root: str | None) -> list[Leaf]:
    """The leaves of a parsed JSON object or array, token by token (the slow path of _leaves: a
    document with a key twice, or nested deeper than Python recursion goes)."""
    leaves: list[Leaf] = []
    stack: list[_Frame] = []
    for match in _TOKEN.finditer(text):
        punctuation = match.group(4)
        if punctuation is not None:
            if punctuation in "{[":
                names = _names(stack[-1]) if stack else (root, None, False, False)
                stack.append(_Frame(punctuation == "{", *names, expecting_key=punctuation == "{"))
            elif punctuation in "}]":
                frame = stack.pop()
                if frame.is_object:
                    _pair_system(frame, leaves)
            elif punctuation == "," and stack and stack[-1].is_object:
                stack[-1].expecting_key = True
            continue
        if not stack:
            return leaves  # cannot happen for a parsed object or array
        top = stack[-1]
        content = match.group(1)
        if content is not None:
            start, end = match.start(1) - 1, match.end(1) + 1
            decoded = json.loads(f'"{content}"') if "\\" in content else content
            if top.is_object and top.expecting_key:
                top.pending, top.expecting_key = decoded, False
                continue
            leaf = Leaf(start, end, True, decoded, *_names(top)[:3])
        else:
            group = 2 if match.group(2) is not None else 3
            start, end = match.span(group)
            if group == 3:
                continue  # true, false, null: no identifier
            leaf = Leaf(start, end, False, match.group(2), *_names(top)[:3])
        if top.is_object and top.pending is not None:
            top.members[top.pending] = len(leaves)
        leaves.append(leaf)
    return leaves


Names = tuple[str | None, str | None, bool, str | None]  # a leaf's key, parent key, nested, system


def names_of(leaf: Leaf) -> Names:
    return leaf.key, leaf.parent, leaf.nested, leaf.system


def located_leaves(
    document: object,
    text: str,
    root: str | None,
    wanted: Callable[[Names], bool],
    value: Callable[[object], bool] | None = None,
) -> list[Leaf]:
    """The leaves of `document` (`text` parsed) that `wanted` keeps (and `value`, given the parsed
    value or a string leaf's text): their names from the parsed object, their places from the
    text's value tokens, matched in order."""
    found: list[tuple[object, str | None, str | None, bool, str | None]] = []

    def visit(
        value: object, key: str | None, parent: str | None, nested: bool, keyed: bool, system: str | None
    ) -> None:
        if isinstance(value, dict):
            pair = _pair_namer(value)
            for name, item in value.items():
                visit(item, name, key, keyed, True, pair if name in _PAIR_VALUES else None)
        elif isinstance(value, list):
            for item in value:
                visit(item, key, parent, nested, keyed, None)
        else:
            found.append((value, key, parent, nested, system))

    try:
        visit(document, root, None, False, False, None)
    except RecursionError:
        return _walked(text, root, wanted, value)
    named = [
        index
        for index, item in enumerate(found)
        if isinstance(item[0], (str, int, float))
        and not isinstance(item[0], bool)
        and (value is None or value(item[0]))
        and wanted(item[1:])
    ]
    if not named:
        return []
    tokens = [match for match in _SCALAR.finditer(text) if match.group(2) is None]
    if len(tokens) != len(found):  # a key given twice: the parsed object kept one value
        return _walked(text, root, wanted, value)
    leaves = []
    for index in named:
        match, (_, key, parent, nested, system) = tokens[index], found[index]
        content = match.group(1)
        if content is not None:
            decoded = json.loads(f'"{content}"') if "\\" in content else content
            leaves.append(Leaf(match.start(), match.end(), True, decoded, key, parent, nested, system))
        else:
            leaves.append(
                Leaf(match.start(), match.end(), False, match.group(0), key, parent, nested, system)
            )
    return leaves


def _walked(
    text: str, root: str | None, wanted: Callable[[Names], bool], value: Callable[[object], bool] | None
) -> list[Leaf]:
    """located_leaves by the token walk."""
    return [
        leaf
        for leaf in _walk(text, root)
        if (value is None or (leaf.string and value(leaf.text))) and wanted(names_of(leaf))
    ]


def token_spans(text: str) -> np.ndarray:
    """(content start, content end, is a string) of every string (keys too), number and literal of
    a document, in characters."""
    spans = [(m.start(1), m.end(1), 1) if m.group(1) is not None else (m.start(), m.end(), 0)
             for m in _SCALAR.finditer(text)]  # fmt: skip
    return np.array(spans, dtype=np.int64).reshape(-1, 3)


def token_table(text: str) -> np.ndarray:
    """token_spans in bytes: the places a free-text span may be replaced."""
    table = token_spans(text)
    offsets = byte_offsets(text)
    if offsets is not None:
        table[:, :2] = offsets[table[:, :2]]
    return table


def _names(top: _Frame) -> tuple[str | None, str | None, bool, bool]:
    """(key, parent key, whether each is a key of the document) of a value in `top`: an array's
    elements take the array's names; the top level's keys have the column's name above them."""
    if top.is_object:
        return top.pending, top.key, top.keyed, True
    return top.key, top.parent, top.nested, top.keyed


# A member that says what its sibling holds, and the members it may say it of: FHIR's {"system":
# ".../mrn", "value": ...} and an identity document's {"type": "Driver's License", "number": ...}.
_PAIR_NAMERS = (
    "system",
    "type",
    "kind",
    "document_type",
    "documentType",
    "doc_type",
    "docType",
    "id_type",
    "idType",
)
_PAIR_VALUES = frozenset(("value", "number", "no", "id", "identifier"))


def _pair_namer(members: dict) -> str | None:
    """The string a member of _PAIR_NAMERS holds, when the object has a member it may name."""
    if _PAIR_VALUES.isdisjoint(members):
        return None
    return next((members[name] for name in _PAIR_NAMERS if isinstance(members.get(name), str)), None)


def _pair_system(frame: _Frame, leaves: list[Leaf]) -> None:
    """_pair_namer on the token walk: the namer's text becomes the system of the members it names."""
    namer = next(
        (
            frame.members[name]
            for name in _PAIR_NAMERS
            if name in frame.members and leaves[frame.members[name]].string
        ),
        None,
    )
    if namer is None:
        return
    for name in _PAIR_VALUES.intersection(frame.members):
        leaves[frame.members[name]].system = leaves[namer].text


def byte_offsets(text: str) -> np.ndarray | None:
    """Byte offset of each character position of `text` (None when ASCII: the same numbers)."""
    if text.isascii():
        return None
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    size = 1 + (points >= 0x80).astype(np.int64) + (points >= 0x800) + (points >= 0x10000)
    return np.concatenate([[0], np.cumsum(size)])

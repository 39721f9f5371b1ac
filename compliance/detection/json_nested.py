"""JSON inside a JSON string: a string leaf whose text, once unescaped, is itself a JSON object or
array (a log's "request_body": "{\\"displayName\\": \\"Jane Doe\\"}", a FHIR resource stored as a
string, an API log's "payload"), or a whole cell that is such a string (a CSV cell holding
"{\\"a\\": ...}", quoted or not). Escaped, its keys are no keys to the leaf reader, and a name only a
key says is a name was left raw; so each such text is parsed and read as a document of its own,
its top level under the key of the string that holds it (as a column's name is above a cell's),
down to MAX_DEPTH strings deep.

Each inner document keeps where each of its characters is in the cell's text (`Inner.places`, in
bytes): its leaves and tokens are placed there, and a replacement is escaped once per string it is
inside (`depth`), so the cell and every string in it still parse. A text that does not parse is
left to the free-text scan, as before. A document pays one regex search for a string that starts
with "{" or "[" (none in most documents)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from compliance.detection.json_leaves import Names, byte_offsets, located_leaves, token_spans, token_table

MAX_DEPTH = 3  # strings inside strings read as JSON; deeper ones are left to the free-text scan
# A string whose content starts with "{" or "[", perhaps after whitespace (written or escaped): in
# valid JSON a quote before these is an opening quote (a closing one is followed by ":", ",", "}" or
# "]"), so a document without a match holds no such string.
HOLDS_JSON = re.compile(r'"(?:[ \t\n\r]|\\[nrt])*[{\[]')
# One escape of a JSON string's content; a surrogate pair is one character.
_ESCAPE = re.compile(
    r"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)", re.S
)


@dataclass
class Inner:
    """A JSON document written as a string's content in a cell."""

    text: str  # the document's text (the string's content unescaped)
    document: object  # `text` parsed
    root: str | None  # the key of the string holding it: the name above its top level
    depth: int  # the strings it is inside: each replacement in it is escaped this many times more
    places: np.ndarray  # byte in the cell's text of each character of `text`, and of its end


def _holds_json(value: object) -> bool:
    return isinstance(value, str) and value.lstrip(" \t\n\r")[:1] in ("{", "[")


def _any_names(_names: object) -> bool:
    return True


def _places(raw: str, start: int, length: int, outer: np.ndarray) -> np.ndarray | None:
    """The places in the cell of the `length` characters a string's raw content `raw` (at character
    `start` of a text whose places are `outer`) decodes to, and of its end; None when the escapes do
    not add up (never for content json.loads decoded)."""
    escapes = [(m.start(), m.end() - m.start()) for m in _ESCAPE.finditer(raw)]
    widths = np.ones(length, dtype=np.int64)
    if escapes:
        at, size = np.array(escapes, dtype=np.int64).T
        shrink = np.concatenate([[0], np.cumsum(size - 1)[:-1]])
        decoded = at - shrink
        if decoded[-1] >= length or len(raw) - int(np.sum(size - 1)) != length:
            return None
        widths[decoded] = size
    elif len(raw) != length:
        return None
    return outer[start + np.concatenate([[0], np.cumsum(widths)])]


def char_places(text: str) -> np.ndarray:
    """Byte of each character of a cell's text, and of its end."""
    offsets = byte_offsets(text)
    return np.arange(len(text) + 1, dtype=np.int64) if offsets is None else offsets


def inner_documents(
    document: object,
    text: str,
    root: str | None,
    places: np.ndarray | None = None,
    depth: int = 1,
    out: list[Inner] | None = None,
) -> list[Inner]:
    """The documents written as strings in `document` (`text` parsed, `root` the name above its top
    level, its characters at `places` in the cell: None for the cell itself), and in theirs,
    parents before children."""
    out = [] if out is None else out
    if depth > MAX_DEPTH or not HOLDS_JSON.search(text):
        return out
    for leaf in located_leaves(document, text, root, _any_names, _holds_json):
        try:
            inner = json.loads(leaf.text)
        except (ValueError, RecursionError):
            continue  # not JSON after all: the free-text scan reads it, as before
        if not isinstance(inner, (dict, list)):
            continue
        if places is None:
            places = char_places(text)
        at = _places(text[leaf.start + 1 : leaf.end - 1], leaf.start + 1, len(leaf.text), places)
        if at is None:
            continue
        out.append(Inner(leaf.text, inner, leaf.key, depth, at))
        inner_documents(inner, leaf.text, leaf.key, at, depth + 1, out)
    return out


def cell_document(text: str, field_name: str | None) -> Inner | None:
    """The document a cell that is not JSON itself holds as an escaped JSON text: a JSON string
    ('"{\\"a\\": 1}"') or a string's content without its quotes ('{\\"a\\": 1}'); None otherwise."""
    head = text.lstrip(" \t\n\r")[:1]
    try:
        if head == '"':
            decoded = json.loads(text)
            start, end = text.index('"') + 1, text.rindex('"')
        elif head in ("{", "[") and '\\"' in text:
            decoded = json.loads(f'"{text}"', strict=False)
            start, end = 0, len(text)
        else:
            return None
        if not _holds_json(decoded):
            return None
        document = json.loads(decoded)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, (dict, list)):
        return None
    places = _places(text[start:end], start, len(decoded), char_places(text))
    return None if places is None else Inner(decoded, document, field_name, 1, places)


def nested_tokens(text: str, document: bool, inners: list[Inner]) -> np.ndarray:
    """(content start, content end, is a string, depth, index of its inner document or -1) of the
    tokens of a cell, in bytes, sorted: those of the cell's document (`document`: the cell is one),
    each string holding an inner document replaced by that document's tokens."""
    table = token_table(text) if document else np.zeros((0, 3), dtype=np.int64)
    table = np.concatenate([table, np.zeros((len(table), 1), np.int64), np.full((len(table), 1), -1)], 1)
    for index, inner in enumerate(inners):  # a parent comes before its children
        low, high = int(inner.places[0]), int(inner.places[-1])
        host = (table[:, 0] >= low) & (table[:, 1] <= high)
        spans = token_spans(inner.text)
        mine = np.column_stack(
            [
                inner.places[spans[:, 0]],
                inner.places[spans[:, 1]],
                spans[:, 2],
                np.full(len(spans), inner.depth),
                np.full(len(spans), index),
            ]
        )
        table = np.concatenate([table[~host], mine])
        table = table[np.argsort(table[:, 0], kind="stable")]
    return table


def snapped(inner: Inner, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened to whole characters of the inner document (never half an escape)."""
    places = inner.places
    low = int(places[max(int(np.searchsorted(places, start, side="right")) - 1, 0)])
    high = int(places[min(int(np.searchsorted(places, end, side="left")), places.size - 1)])
    return low, high


def escaped_strings(
    document: object,
    text: str,
    root: str | None,
    places: np.ndarray | None,
    unnamed: Callable[[Names], bool],
    hosts: set[int],
) -> list[tuple[str, np.ndarray]]:
    """(text, places in the cell of its characters and end) of each string leaf of `document` that
    `unnamed` keeps and whose content has a \\u escape ("Dr. \\u00c9mile Zorvan": the free-text scan
    of the cell's text does not read escaped letters); not those holding an inner document (their
    byte in `hosts`). `places`: of `text`'s characters, None for the cell itself."""
    if "\\u" not in text:
        return []
    out = []
    for leaf in located_leaves(document, text, root, unnamed, _has_text):
        raw = text[leaf.start + 1 : leaf.end - 1]
        if "\\u" not in raw:
            continue
        if places is None:
            places = char_places(text)
        if int(places[leaf.start + 1]) in hosts:
            continue
        at = _places(raw, leaf.start + 1, len(leaf.text), places)
        if at is not None:
            out.append((leaf.text, at))
    return out


def _has_text(value: object) -> bool:
    return isinstance(value, str) and not value.isascii()

"""Key-aware detection of XML held in a text cell ("<patient><name>...</name><ssn>...</ssn>",
an ISO 20022 payment's "<Dbtr><Nm>...</Nm>"): each leaf element's tag is read as a JSON key is
(json_members.py), with its parent element as the qualifier, so the element's text is typed by what
its tag names and fails closed when the tag names a sensitive attribute its text does not prove.
The free-text scan still reads the whole cell; the typed leaves are replaced whole before it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.buffers import string_buffers
from compliance.detection import headers
from compliance.detection.arrays import to_mask
from compliance.detection.json_members import Named
from compliance.detection.recognizers import Recognizer
from compliance.detection.recognizers.name_headers import names_a_thing
from compliance.detection.recognizers.name_scripts import native_thing_header
from compliance.detection.scanner import ReplaceMany
from compliance.detection.text import splice
from compliance.vocabulary import IdType

# A tag: its closing slash, qualified name (prefix dropped), and whether it closes itself.
# Names may be in any script ("<氏名>", "<ФИО>"): a letter or "_" first, then word characters.
_TAG = re.compile(r"<(/?)(?:[^\W\d][\w.-]*:)?([^\W\d][\w.-]*)(?:\s[^<>]*?)?(/?)>")
# What a cell must hold to be read as XML: an element with text and its closing tag.
_LOOKS_LIKE_XML = r"<[^\s<>/!?\d][^\s<>/]*(?:\s[^<>]*)?>[^<>]*</[^\s<>/!?\d][^\s<>/]*\s*>"

# What a JSON key names (JsonMembers.kind_of_key): key, parent key, whether the parent qualifies it.
KindOfKey = Callable[[str, str | None, bool], Named | None]
# The fail-closed typing of a sensitive attribute's values (Detector._value_types).
TypeValues = Callable[[pa.Array, Recognizer | None], list[tuple[np.ndarray, IdType]]]


@dataclass
class XmlLeaves:
    """The typed leaf texts of the XML cells of one array: row, byte span, text and type."""

    row: np.ndarray
    start: np.ndarray
    end: np.ndarray
    text: list[str]
    types: list[IdType]

    def findings(self) -> dict[IdType, np.ndarray]:
        out: dict[IdType, list[int]] = {}
        for row, id_type in zip(self.row.tolist(), self.types, strict=True):
            out.setdefault(id_type, []).append(row)
        return {id_type: np.unique(np.asarray(rows, dtype=np.int64)) for id_type, rows in out.items()}

    def outside(self, row: np.ndarray, start: np.ndarray, end: np.ndarray) -> XmlLeaves:
        """These leaves without those a span (row, start, end) overlaps: a record format's pattern
        (recognizers/payments.py) types its elements more precisely than a tag does."""
        keep = np.ones(self.row.size, dtype=bool)
        for at in range(self.row.size):
            same = row == self.row[at]
            if same.any() and ((start[same] < self.end[at]) & (end[same] > self.start[at])).any():
                keep[at] = False
        if keep.all():
            return self
        where = np.flatnonzero(keep)
        return XmlLeaves(
            self.row[where],
            self.start[where],
            self.end[where],
            [self.text[i] for i in where.tolist()],
            [self.types[i] for i in where.tolist()],
        )

    def replacements(self, replace_many: ReplaceMany) -> pa.Array:
        """The replacement of each leaf, in order (one replace_many call per type)."""
        out = np.empty(self.row.size, dtype=object)
        by_type: dict[IdType, list[int]] = {}
        for index, id_type in enumerate(self.types):
            by_type.setdefault(id_type, []).append(index)
        for id_type, positions in by_type.items():
            replaced = replace_many(id_type, pa.array([self.text[p] for p in positions], pa.string()))
            if isinstance(replaced, pa.ChunkedArray):
                replaced = replaced.combine_chunks()
            out[positions] = pc.fill_null(replaced.cast(pa.string()), "").to_pylist()
        return pa.array(out.tolist(), pa.string())

    def scrub(self, strings: pa.Array, replace_many: ReplaceMany) -> pa.Array:
        """`strings` with every leaf replaced whole (when no text scan comes after: a JSON column)."""
        if self.row.size == 0:
            return strings
        changed, rebuilt = splice(strings, self.row, self.start, self.end, self.replacements(replace_many))
        mask = np.zeros(len(strings), dtype=bool)
        mask[changed] = True
        return pc.replace_with_mask(strings, pa.array(mask), rebuilt)


def kind_of_tag(kind_of_key: KindOfKey, tag: str, parent: str | None) -> tuple[bool, Recognizer | None]:
    """What an element's tag names, its parent's tag the qualifier as a parent key is; then the tag
    alone, unless the parent names a thing ("<product><name>"): an XML cell's wrappers ("<Dbtr>",
    "<record>") rarely say what their children are. (named, its recognizer or None)."""
    named = kind_of_key(tag, parent, True)
    above = headers.normalize_header(parent) if parent is not None else ""
    if named is None and parent is not None and not (names_a_thing(above) or native_thing_header(above)):
        named = kind_of_key(tag, None, False)
    return (named is not None, named.recognizer if named is not None else None)


def xml_leaves(values: pa.Array, kind_of_key: KindOfKey, type_values: TypeValues) -> XmlLeaves | None:
    """The leaves of the XML cells of `values` that their tags type (None: no XML cell). Cheap on
    text without "</": one look at the bytes."""
    if len(values) == 0 or not pa.types.is_string(values.type):
        return None
    _, data = string_buffers(values)
    if data.size == 0 or not np.any((data[:-1] == ord("<")) & (data[1:] == ord("/"))):
        return None
    rows = np.flatnonzero(to_mask(pc.match_substring_regex(values, _LOOKS_LIKE_XML)))
    if rows.size == 0:
        return None
    leaf_row, leaf_start, leaf_end, leaf_text, leaf_kind = [], [], [], [], []
    for row, text in zip(rows.tolist(), values.take(pa.array(rows)).to_pylist(), strict=True):
        for start, end, tag, parent in _leaves(text):
            named, recognizer = kind_of_tag(kind_of_key, tag, parent)
            if not named:
                continue
            leaf_row.append(row)
            # Byte offsets: a non-ASCII cell counts its characters' bytes before the span.
            leaf_start.append(len(text[:start].encode()) if not text.isascii() else start)
            leaf_end.append(len(text[:end].encode()) if not text.isascii() else end)
            leaf_text.append(text[start:end])
            leaf_kind.append(recognizer)
    if not leaf_row:
        return XmlLeaves(*(np.zeros(0, dtype=np.int64),) * 3, [], [])
    return _typed(leaf_row, leaf_start, leaf_end, leaf_text, leaf_kind, type_values)


def _leaves(text: str) -> list[tuple[int, int, str, str | None]]:
    """(start, end, tag, parent tag) of each element holding text only, trimmed of blanks."""
    out: list[tuple[int, int, str, str | None]] = []
    stack: list[str] = []
    opened: tuple[str, int] | None = None  # the last open tag and where its content starts
    for match in _TAG.finditer(text):
        closing, name, empty = match.group(1), match.group(2), match.group(3)
        if closing:
            if opened is not None and opened[0] == name:
                content = text[opened[1] : match.start()]
                trimmed = content.strip()
                if trimmed and "<" not in content:
                    start = opened[1] + (len(content) - len(content.lstrip()))
                    out.append((start, start + len(trimmed), name, stack[-2] if len(stack) > 1 else None))
            if stack and stack[-1] == name:
                stack.pop()
            opened = None
        elif not empty:
            stack.append(name)
            opened = (name, match.end())
    return out


def _typed(
    rows: list[int],
    starts: list[int],
    ends: list[int],
    texts: list[str],
    kinds: list[Recognizer | None],
    type_values: TypeValues,
) -> XmlLeaves:
    """Each leaf's type: its tag's recognizer when it validates the text, else the fail-closed
    typing of the text (a phone number found in it, else UNRECOGNISED_SENSITIVE)."""
    types: list[IdType | None] = [None] * len(rows)
    groups: dict[int, list[int]] = {}
    recognizers: dict[int, Recognizer | None] = {}
    for index, recognizer in enumerate(kinds):
        groups.setdefault(id(recognizer), []).append(index)
        recognizers[id(recognizer)] = recognizer
    for key, members in groups.items():
        recognizer = recognizers[key]
        group = pa.array([texts[m] for m in members], pa.string())
        valid = np.zeros(len(members), dtype=bool)
        if recognizer is not None:
            valid = np.asarray(recognizer.validate(group), dtype=bool)
            for at in np.flatnonzero(valid).tolist():
                types[members[at]] = recognizer.id_type
        rest = np.flatnonzero(~valid)
        if rest.size:
            for positions, id_type in type_values(group.take(pa.array(rest)), recognizer):
                for at in positions.tolist():
                    if types[members[rest[at]]] is None:
                        types[members[rest[at]]] = id_type
    keep = [i for i, t in enumerate(types) if t is not None]
    return XmlLeaves(
        np.asarray([rows[i] for i in keep], dtype=np.int64),
        np.asarray([starts[i] for i in keep], dtype=np.int64),
        np.asarray([ends[i] for i in keep], dtype=np.int64),
        [texts[i] for i in keep],
        [types[i] for i in keep],  # type: ignore[misc]
    )

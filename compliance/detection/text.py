"""Identifiers embedded in free text (notes, memo, comments): find them per row, or scrub them.

Cost model: one RE2 pass of the union of all text patterns over the column splits rows into
"nothing identifier-shaped" (most notes) and candidates. Each type's pattern then runs on the
candidates only, `extract_regex` pulls the first match per row, and the recognizer validates the
matches vectorised. Only rows whose first match fails validation (a decoy before a real value) are
re-scanned in Python for their later matches, as is scrubbing, which needs every span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection.arrays import to_mask
from compliance.detection.recognizers import Recognizer
from compliance.vocabulary import IdType

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _without_groups(pattern: str) -> str:
    """RE2 rejects a group name used twice in one pattern; the union only needs to match."""
    return _NAMED_GROUP.sub("(?:", pattern)


class _TextType:
    """One recognizer's text pattern compiled for both engines."""

    def __init__(self, recognizer: Recognizer) -> None:
        assert recognizer.text_pattern is not None
        self.recognizer = recognizer
        self.id_type = recognizer.id_type
        self.pattern = recognizer.text_pattern
        self.plain = _without_groups(self.pattern)
        # ASCII so \b, \d and \w mean what they mean in RE2.
        self.python = re.compile(self.pattern, re.ASCII)
        self.groups = list(self.python.groupindex)

    def valid(self, found: pa.StructArray) -> np.ndarray:
        return np.asarray(self.recognizer.validate_text(found), dtype=bool)

    def python_matches(self, texts: Sequence[str]) -> list[list[re.Match[str]]]:
        """Every validating match of each text (Python engine: the slow path, for few rows).

        Matches of all texts are validated together so the vectorised validator runs once.
        """
        found = [list(self.python.finditer(text)) for text in texts]
        flat = [match for matches in found for match in matches]
        if not flat:
            return found
        rows = [{name: (match.group(name) or "") for name in self.groups} for match in flat]
        ok = iter(self.valid(pa.array(rows, type=pa.struct([(name, pa.string()) for name in self.groups]))))
        return [[match for match in matches if next(ok)] for matches in found]


class TextScanner:
    def __init__(self, recognizers: Sequence[Recognizer]) -> None:
        self.types = [_TextType(r) for r in recognizers if r.text_pattern]
        self.union = _union(self.types)
        # Types are probed in groups (~sqrt of their number): a group's union skips its types on
        # rows holding none of them, so each RE2 pass covers fewer rows.
        size = max(1, int(np.ceil(np.sqrt(len(self.types)))))
        chunks = [self.types[i : i + size] for i in range(0, len(self.types), size)]
        self.groups = [(_union(chunk), chunk) for chunk in chunks]

    def _candidates(self, values: pa.Array) -> np.ndarray:
        if len(values) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(to_mask(pc.match_substring_regex(values, self.union)))

    def _per_group(self, subset: pa.Array) -> list[tuple[np.ndarray, list[_TextType]]]:
        """(positions in `subset` that match the group, the group's types) per group with a match."""
        out = []
        for union, chunk in self.groups:
            where = np.flatnonzero(to_mask(pc.match_substring_regex(subset, union)))
            if where.size:
                out.append((where, chunk))
        return out

    def find(self, values: pa.Array) -> dict[IdType, np.ndarray]:
        """Row indices (sorted, unique) holding at least one valid identifier, per type."""
        found: dict[IdType, np.ndarray] = {}
        candidates = self._candidates(values)
        if candidates.size == 0:
            return found
        subset = values.take(pa.array(candidates))
        for where, chunk in self._per_group(subset):
            group_rows = candidates[where]
            group_values = subset.take(pa.array(where))
            for text_type in chunk:
                first = pc.extract_regex(group_values, text_type.pattern)
                matched = to_mask(pc.is_valid(first))
                if not matched.any():
                    continue
                rows = group_rows[matched]
                ok = text_type.valid(first.filter(pa.array(matched)))
                hits = [rows[ok]]
                # The first match was a decoy: look at the later matches of those rows.
                retry = rows[~ok]
                if retry.size:
                    later = text_type.python_matches(values.take(pa.array(retry)).to_pylist())
                    hits.append(retry[np.array([bool(m) for m in later], dtype=bool)])
                found_rows = np.concatenate(hits)
                if found_rows.size:
                    found[text_type.id_type] = np.sort(found_rows)
        return found

    def scrub(self, values: pa.Array, replace: Callable[[IdType, str], str]) -> pa.Array:
        """Replace every valid identifier span by replace(type, text); earlier, then longer, spans win."""
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        strings = values if pa.types.is_string(values.type) else values.cast(pa.string())
        candidates = self._candidates(strings)
        if candidates.size == 0:
            return strings
        subset = strings.take(pa.array(candidates))
        texts = subset.to_pylist()
        spans: list[list[tuple[int, int, IdType]]] = [[] for _ in texts]
        for where, chunk in self._per_group(subset):
            for text_type in chunk:
                found = text_type.python_matches([texts[i] for i in where])
                for position, matches in zip(where, found, strict=True):
                    spans[position].extend((*match.span("v"), text_type.id_type) for match in matches)
        replaced = [_apply(text, text_spans, replace) for text, text_spans in zip(texts, spans, strict=True)]
        mask = np.zeros(len(strings), dtype=bool)
        mask[candidates] = True
        return pc.replace_with_mask(strings, pa.array(mask), pa.array(replaced, type=pa.string()))


def _union(types: Sequence[_TextType]) -> str:
    return "|".join(f"(?:{t.plain})" for t in types)


def _apply(text: str, spans: list[tuple[int, int, IdType]], replace: Callable[[IdType, str], str]) -> str:
    spans.sort(key=lambda span: (span[0], span[0] - span[1]))
    pieces: list[str] = []
    cursor = 0
    for start, end, id_type in spans:
        if start < cursor:
            continue  # overlaps an identifier already replaced
        pieces.append(text[cursor:start])
        pieces.append(replace(id_type, text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)

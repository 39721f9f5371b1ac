"""Streaming reads of the three input formats into bounded Arrow batches of string columns.

Every value reaches the core as a string (or null): detection works on text, and a file's types
are not trusted (an SSN column read as int64 loses its leading zeros). Each batch carries the
0-based data-row number of every record in the input file, so violations point at the right row
even when bad rows were quarantined in between.

Bad input never raises a traceback at the caller: whole-file problems raise `InputError` (one
line, no raw values); row-level problems (ragged rows, invalid UTF-8, invalid JSON, a NUL
character) are skipped and recorded in `FileReader.quarantined` with a reason that never quotes
the row. Limits and the other guards against hostile input: compliance/io_guards.py. A CSV file's
delimiter (',' ';' tab '|') is detected from its first lines: compliance/io_delimiter.py.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from compliance.io_delimiter import CANDIDATES, sniff_delimiter
from compliance.io_guards import (
    NUL_REASON,
    InputError,
    bounded_lines,
    check_columns,
    guard_batch,
    widest_record,
)
from compliance.io_limits import ReadLimits
from compliance.io_write import json_lines, write_table_stream

FORMATS = ("csv", "jsonl", "parquet")
# The one map from a file's suffix to its format (readers, writers, the portal's upload check).
FORMAT_OF_SUFFIX = {
    ".csv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_SNIFF_BYTES = 64 * 1024
DEFAULT_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class QuarantinedRow:
    row: int
    reason: str


@dataclass
class Chunk:
    batch: pa.RecordBatch
    # File-level 0-based data-row number of each record of `batch`.
    rows: np.ndarray


def detect_format(path: Path) -> str:
    """Format from the extension, else from the content; InputError when it is none of ours."""
    by_extension = FORMAT_OF_SUFFIX.get(path.suffix.lower())
    head = _head(path)
    if head.startswith(b"PAR1"):
        return "parquet"
    if by_extension == "parquet":
        raise InputError(f"{path.name}: not a Parquet file (missing PAR1 magic bytes)")
    _check_text(path, head)
    if by_extension:
        return by_extension
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first == b"{":
        return "jsonl"
    if any(delimiter.encode() in head.split(b"\n", 1)[0] for delimiter in CANDIDATES):
        return "csv"
    raise InputError(f"{path.name}: unknown format (expected CSV with a header row, JSON Lines or Parquet)")


def _head(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head:
        raise InputError(f"{path.name}: empty file")
    return head


# Byte-order marks of the encodings a spreadsheet may export (longest first: UTF-32 LE starts
# with the UTF-16 LE mark).
_FOREIGN_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_SAVE_AS_UTF8 = "save it as UTF-8 and drop it again"


def _check_foreign_text(path: Path, head: bytes) -> None:
    """A whole file in another encoding is a file-level error with a reason a person can act on;
    a few bad bytes in otherwise UTF-8 text are quarantined row by row instead."""
    for bom, encoding in _FOREIGN_BOMS:
        if head.startswith(bom):
            raise InputError(
                f"{path.name}: {encoding} text (byte-order mark), expected UTF-8; {_SAVE_AS_UTF8}"
            )
    # UTF-16 without a mark: one byte of each pair is almost always zero, the other almost never.
    zero_shares = sorted(part.count(0) / max(1, len(part)) for part in (head[0::2], head[1::2]))
    if len(head) >= 16 and zero_shares[1] > 0.4 and zero_shares[0] < 0.05:
        raise InputError(f"{path.name}: looks like UTF-16 text (every other byte is zero), expected UTF-8; "
                         f"{_SAVE_AS_UTF8}")  # fmt: skip


def _check_utf8_lines(path: Path, head: bytes) -> None:
    """Most lines invalid UTF-8: text in a single-byte encoding (Latin-1, Windows-1252)."""
    lines = [line for line in head.split(b"\n")[:-1] if line.strip()] or [head]
    bad = 0
    for line in lines:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
    if bad > max(2, len(lines) // 2):
        raise InputError(f"{path.name}: not UTF-8 text ({bad} of the first {len(lines)} lines have invalid bytes, "
                         f"e.g. Latin-1 or Windows-1252); {_SAVE_AS_UTF8}")  # fmt: skip


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\r\n")


def odd_characters(head: bytes, text: str) -> int:
    """Replacement and control characters (but tab, CR, LF) in `text`, the lenient UTF-8 decoding of
    `head`. Control bytes are ASCII, so they are the same characters in `text` and are never part
    of a replaced invalid sequence: they are counted on the bytes, without a loop per character."""
    return text.count("\ufffd") + len(head) - len(head.translate(None, _CONTROL_BYTES))


def _check_text(path: Path, head: bytes) -> None:
    _check_foreign_text(path, head)
    if b"\x00" in head:
        raise InputError(f"{path.name}: NUL byte at offset {head.index(0)}: binary file, not text; "
                         "expected CSV, JSON Lines or Parquet")  # fmt: skip
    _check_utf8_lines(path, head)
    text = head.decode("utf-8", errors="replace")
    if odd_characters(head, text) > max(8, len(text) // 10):
        raise InputError(f"{path.name}: binary file, not text; expected CSV, JSON Lines or Parquet")
    if not head.strip():
        raise InputError(f"{path.name}: empty file (only whitespace)")


class FileReader:
    """Iterate a CSV / JSON Lines / Parquet file as `Chunk`s of at most `batch_rows` records."""

    def __init__(
        self,
        path: str | Path,
        fmt: str | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        limits: ReadLimits | None = None,
    ) -> None:
        self.path = Path(path)
        self.limits = limits or ReadLimits.from_env()
        if fmt is not None and fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        self.format = fmt or detect_format(self.path)
        self.batch_rows = batch_rows
        self.quarantined: list[QuarantinedRow] = []
        self.rows_read = 0
        self.columns: list[str] = []
        # A CSV file's delimiter, detected when the file is first read (compliance/io_delimiter.py).
        self.delimiter = ","

    def __iter__(self) -> Iterator[Chunk]:
        reader = {"csv": self._csv, "jsonl": self._jsonl, "parquet": self._parquet}[self.format]
        produced = False
        for chunk in reader():
            batch, rows, nul_rows = guard_batch(chunk.batch, chunk.rows)
            self.quarantined.extend(QuarantinedRow(row, NUL_REASON) for row in nul_rows)
            if batch.num_rows:
                produced = True
                self.rows_read += batch.num_rows
                yield Chunk(batch, rows)
        if not produced and not self.quarantined:
            raise InputError(f"{self.path.name}: no data rows (header only or empty)")

    @property
    def records_seen(self) -> int:
        """Data rows in the file: read plus quarantined."""
        return self.rows_read + len(self.quarantined)

    # -- CSV --------------------------------------------------------------------------------------
    def _csv_records(self, errors: str) -> Iterator[list[str]]:
        """The file's CSV records (header first) with bounded lines and fields (io_guards)."""
        csv.field_size_limit(self.limits.max_line_bytes)
        with open(self.path, encoding="utf-8-sig", errors=errors, newline="") as handle:
            try:
                yield from csv.reader(
                    bounded_lines(handle, self.path.name, self.limits), delimiter=self.delimiter
                )
            except csv.Error as exc:  # a field past the limit: typically a quote never closed
                raise InputError(f"{self.path.name}: {str(exc).splitlines()[0]} (SDP_MAX_LINE_BYTES; "
                                 "an unclosed quote?)") from exc  # fmt: skip

    def _csv_header(self) -> list[str]:
        self.delimiter = sniff_delimiter(self.path, self.limits)
        names = [name.strip() for name in next(self._csv_records("replace"), [])]
        if not names or all(not n for n in names):
            raise InputError(f"{self.path.name}: no header row")
        if any(not n for n in names):
            raise InputError(f"{self.path.name}: header has an empty column name")
        return self._set_columns(names)

    def _set_columns(self, names: list[str]) -> list[str]:
        self.columns = check_columns(self.path.name, names, self.limits)
        return self.columns

    def _csv(self) -> Iterator[Chunk]:
        names = self._csv_header()
        fallback = False

        def on_invalid(_row: pa_csv.InvalidRow) -> str:
            # pyarrow's streaming reader does not tell where the bad row was, so hand the file to
            # the exact (slower) reader from the first row not yet yielded.
            nonlocal fallback
            fallback = True
            return "skip"

        try:
            reader = self._open_arrow_csv(names, on_invalid)
        except pa.ArrowInvalid:
            # Typically invalid UTF-8 in the first block.
            yield from self._csv_exact(names, skip=0)
            return
        yielded = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid:
                # Typically invalid UTF-8 somewhere in this block, or a row longer than a block.
                fallback = True
            else:
                # A row near the line limit: the exact reader measures its lines (and refuses it).
                fallback |= widest_record(batch) + batch.num_columns > self.limits.max_line_bytes
            if fallback:
                yield from self._csv_exact(names, skip=yielded)
                return
            for start in range(0, batch.num_rows, self.batch_rows):
                part = batch.slice(start, self.batch_rows)
                yield Chunk(part, np.arange(yielded, yielded + part.num_rows, dtype=np.int64))
                yielded += part.num_rows
        if fallback:
            # Every row of the last blocks was invalid (all ragged): pyarrow ended without a batch.
            yield from self._csv_exact(names, skip=yielded)

    def _open_arrow_csv(self, names: list[str], on_invalid) -> pa_csv.CSVStreamingReader:
        # Rough row width to turn batch_rows into a block size (pyarrow batches by bytes).
        block_size = max(1 << 16, min(1 << 26, self.batch_rows * 128))
        return pa_csv.open_csv(
            self.path,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=block_size),
            parse_options=pa_csv.ParseOptions(
                delimiter=self.delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                # Only an empty cell is null: "N/A" or "null" are values a person typed.
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )

    def _csv_exact(self, names: list[str], skip: int) -> Iterator[Chunk]:
        """Row-exact CSV reader (Python csv module) for files with ragged rows or bad bytes."""
        width = len(names)
        columns: list[list[str | None]] = [[] for _ in names]
        rows: list[int] = []
        records = self._csv_records("surrogateescape")
        next(records, None)
        for index, record in enumerate(records):
            if index < skip:
                continue
            if len(record) != width:
                reason = (
                    f"ragged row: expected {width} fields, found {len(record)}" if record else "empty line"
                )
                self.quarantined.append(QuarantinedRow(index, reason))
                continue
            if any(_has_bad_bytes(value) for value in record):
                self.quarantined.append(QuarantinedRow(index, "invalid UTF-8 bytes in row"))
                continue
            for column, value in zip(columns, record, strict=True):
                column.append(value if value != "" else None)
            rows.append(index)
            if len(rows) == self.batch_rows:
                yield _chunk(names, columns, rows)
                columns, rows = [[] for _ in names], []
        if rows:
            yield _chunk(names, columns, rows)

    # -- JSON Lines -------------------------------------------------------------------------------
    def _jsonl_lines(self) -> Iterator[tuple[int, dict | None, str | None]]:
        """(data row, object or None, reason when invalid). Blank lines are not rows."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        index = 0
        with open(self.path, "rb") as handle:
            for raw in bounded_lines(handle, self.path.name, self.limits):
                if not raw.strip():
                    continue
                try:
                    decoder.reset()
                    text = decoder.decode(raw.lstrip(b"\xef\xbb\xbf") if index == 0 else raw, final=True)
                    value = json.loads(text)
                except UnicodeDecodeError:
                    yield index, None, "invalid UTF-8 bytes in line"
                except json.JSONDecodeError as exc:
                    yield index, None, f"invalid JSON at column {exc.colno}: {exc.msg}"
                else:
                    if isinstance(value, dict):
                        yield index, value, None
                    else:
                        yield index, None, f"JSON value is a {type(value).__name__}, expected an object"
                index += 1

    def _jsonl(self) -> Iterator[Chunk]:
        # First pass: the union of keys in order of first appearance, so every batch has the same
        # columns (classification is per file) and no key is dropped.
        keys: dict[str, None] = {}
        for _, obj, _reason in self._jsonl_lines():
            if obj is not None:
                keys.update(dict.fromkeys(obj))
                if len(keys) > self.limits.max_columns:
                    break  # refused just below, before any more of the file is read
        names = list(keys)
        safe_names = self._set_columns(names)
        columns: list[list[str | None]] = [[] for _ in names]
        rows: list[int] = []
        for index, obj, reason in self._jsonl_lines():
            if obj is None:
                self.quarantined.append(QuarantinedRow(index, reason or "invalid line"))
                continue
            for column, name in zip(columns, names, strict=True):
                column.append(_as_text(obj.get(name)))
            rows.append(index)
            if len(rows) == self.batch_rows:
                yield _chunk(safe_names, columns, rows)
                columns, rows = [[] for _ in names], []
        if rows:
            yield _chunk(safe_names, columns, rows)

    # -- Parquet ----------------------------------------------------------------------------------
    def _parquet(self) -> Iterator[Chunk]:
        try:
            parquet = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"{self.path.name}: unreadable Parquet file ({str(exc).splitlines()[0]})"
            ) from exc
        names = self._set_columns(list(parquet.schema_arrow.names))
        offset = 0
        for batch in parquet.iter_batches(batch_size=self.batch_rows):
            arrays = [_to_string(batch.column(i), self.path.name, name) for i, name in enumerate(names)]
            yield Chunk(
                pa.RecordBatch.from_arrays(arrays, names=names),
                np.arange(offset, offset + batch.num_rows, dtype=np.int64),
            )
            offset += batch.num_rows


def _has_bad_bytes(value: str) -> bool:
    # surrogateescape maps undecodable bytes to lone surrogates U+DC80..U+DCFF.
    return any("\udc80" <= ch <= "\udcff" for ch in value) if not value.isascii() else False


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    # Nested values (JSON objects, Parquet lists / structs / maps) become JSON text the detectors
    # scan like free text.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: object) -> str:
    """Parquet values json cannot write: bytes as the UTF-8 text they hold (UnicodeDecodeError
    when they are not text), dates, times and decimals as their text."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _to_string(array: pa.Array, file_name: str = "", column: str = "") -> pa.Array:
    if pa.types.is_string(array.type):
        return array
    try:
        try:
            return array.cast(pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
                raise UnicodeError from None  # a cast of bytes fails only on invalid UTF-8
            return pa.array([_as_text(v) for v in _python_values(array)], type=pa.string())
    except UnicodeError as exc:
        # Bytes that are not text (an image, ciphertext) cannot be scanned for personal data: fail
        # closed rather than load what no detector has seen.
        raise InputError(f"{file_name}: column {column!r} holds binary data that is not UTF-8 text; "
                         "it cannot be scanned for personal data") from exc  # fmt: skip


def _python_values(array: pa.Array) -> list[object]:
    """The values of a nested column as Python objects, a map as a dict: its keys ("mother_name")
    are the context that says what a value is, which a list of pairs hides from the JSON reader.
    A map with a key twice stays a list of pairs, so that nothing is dropped."""
    try:
        return array.to_pylist(maps_as_pydicts="strict")
    except KeyError:
        return [_one_python_value(scalar) for scalar in array]


def _one_python_value(scalar: pa.Scalar) -> object:
    try:
        return scalar.as_py(maps_as_pydicts="strict")
    except KeyError:
        return scalar.as_py()


def _chunk(names: list[str], columns: list[list[str | None]], rows: list[int]) -> Chunk:
    arrays = [pa.array(column, type=pa.string()) for column in columns]
    return Chunk(pa.RecordBatch.from_arrays(arrays, names=names), np.asarray(rows, dtype=np.int64))


__all__ = [
    "FORMATS",
    "Chunk",
    "FileReader",
    "InputError",
    "QuarantinedRow",
    "detect_format",
    "json_lines",
    "write_table_stream",
]

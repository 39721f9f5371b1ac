"""Streaming reads of the three input formats into bounded Arrow batches of string columns.

Every value reaches the core as a string (or null): detection works on text, and a file's types
are not trusted (an SSN column read as int64 loses its leading zeros). Each batch carries the
0-based data-row number of every record in the input file, so violations point at the right row
even when bad rows were quarantined in between.

Bad input never raises a traceback at the caller: whole-file problems raise `InputError` (one
line, no raw values); row-level problems (ragged rows, invalid UTF-8, invalid JSON) are skipped
and recorded in `FileReader.quarantined` with a reason that never quotes the row.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from compliance.buffers import string_buffers

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


class InputError(ValueError):
    """The whole file cannot be read; the message is one line and safe to log."""


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
    if b"," in head.split(b"\n", 1)[0]:
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
        raise InputError(f"{path.name}: binary file, not text; expected CSV, JSON Lines or Parquet")
    _check_utf8_lines(path, head)
    text = head.decode("utf-8", errors="replace")
    if odd_characters(head, text) > max(8, len(text) // 10):
        raise InputError(f"{path.name}: binary file, not text; expected CSV, JSON Lines or Parquet")
    if not head.strip():
        raise InputError(f"{path.name}: empty file (only whitespace)")


class FileReader:
    """Iterate a CSV / JSON Lines / Parquet file as `Chunk`s of at most `batch_rows` records."""

    def __init__(
        self, path: str | Path, fmt: str | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> None:
        self.path = Path(path)
        if fmt is not None and fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        self.format = fmt or detect_format(self.path)
        self.batch_rows = batch_rows
        self.quarantined: list[QuarantinedRow] = []
        self.rows_read = 0
        self.columns: list[str] = []

    def __iter__(self) -> Iterator[Chunk]:
        reader = {"csv": self._csv, "jsonl": self._jsonl, "parquet": self._parquet}[self.format]
        produced = False
        for chunk in reader():
            if chunk.batch.num_rows:
                produced = True
                self.rows_read += chunk.batch.num_rows
                yield chunk
        if not produced and not self.quarantined:
            raise InputError(f"{self.path.name}: no data rows (header only or empty)")

    @property
    def records_seen(self) -> int:
        """Data rows in the file: read plus quarantined."""
        return self.rows_read + len(self.quarantined)

    # -- CSV --------------------------------------------------------------------------------------
    def _csv_header(self) -> list[str]:
        with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            try:
                header = next(csv.reader(handle))
            except StopIteration:
                header = []
        names = [name.strip() for name in header]
        if not names or all(not n for n in names):
            raise InputError(f"{self.path.name}: no header row")
        if any(not n for n in names):
            raise InputError(f"{self.path.name}: header has an empty column name")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InputError(f"{self.path.name}: duplicate column name(s) in header: {', '.join(duplicates)}")
        return names

    def _csv(self) -> Iterator[Chunk]:
        names = self._csv_header()
        self.columns = names
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
                # Typically invalid UTF-8 somewhere in this block.
                fallback = True
            if fallback:
                yield from self._csv_exact(names, skip=yielded)
                return
            for start in range(0, batch.num_rows, self.batch_rows):
                part = batch.slice(start, self.batch_rows)
                yield Chunk(part, np.arange(yielded, yielded + part.num_rows, dtype=np.int64))
                yielded += part.num_rows

    def _open_arrow_csv(self, names: list[str], on_invalid) -> pa_csv.CSVStreamingReader:
        # Rough row width to turn batch_rows into a block size (pyarrow batches by bytes).
        block_size = max(1 << 16, min(1 << 26, self.batch_rows * 128))
        return pa_csv.open_csv(
            self.path,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=block_size),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
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
        with open(self.path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            records = csv.reader(handle)
            next(records, None)
            for index, record in enumerate(records):
                if index < skip:
                    continue
                if len(record) != width:
                    if not record:
                        reason = "empty line"
                    else:
                        reason = f"ragged row: expected {width} fields, found {len(record)}"
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
            for raw in handle:
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
        names = list(keys)
        self.columns = names
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
                yield _chunk(names, columns, rows)
                columns, rows = [[] for _ in names], []
        if rows:
            yield _chunk(names, columns, rows)

    # -- Parquet ----------------------------------------------------------------------------------
    def _parquet(self) -> Iterator[Chunk]:
        try:
            parquet = pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"{self.path.name}: unreadable Parquet file ({str(exc).splitlines()[0]})"
            ) from exc
        names = parquet.schema_arrow.names
        self.columns = list(names)
        offset = 0
        for batch in parquet.iter_batches(batch_size=self.batch_rows):
            arrays = [_to_string(batch.column(i)) for i in range(batch.num_columns)]
            yield Chunk(
                pa.RecordBatch.from_arrays(arrays, names=names),
                np.arange(offset, offset + batch.num_rows, dtype=np.int64),
            )
            offset += batch.num_rows


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_OTHER_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _json_values(values: pa.Array) -> pa.Array:
    """JSON text of each value of an Arrow array (null -> null), vectorised."""
    kind = values.type
    if pa.types.is_large_string(kind):  # the lines are joined as (32-bit offset) strings
        values, kind = values.cast(pa.string()), pa.string()
    if pa.types.is_string(kind):
        if len(values) > _DICTIONARY_PROBE_ROWS and _repeats_itself(values):
            # Violations are a handful of distinct fields, types and rules: escape those once.
            encoded = pc.dictionary_encode(values)
            return _json_values(encoded.dictionary).take(encoded.indices)
        if pc.any(pc.match_substring_regex(values, _OTHER_CONTROL)).as_py():
            # Rare control characters: let json encode those values (slow path on a rare input).
            return pa.array(
                [None if v is None else json.dumps(v, ensure_ascii=False) for v in values.to_pylist()]
            )
        for raw, escaped in _JSON_ESCAPES:
            values = pc.replace_substring(values, raw, escaped)
        return pc.binary_join_element_wise('"', values, '"', "")
    if pa.types.is_timestamp(kind):
        return pc.binary_join_element_wise('"', pc.strftime(values, "%Y-%m-%dT%H:%M:%S"), '"', "")
    if pa.types.is_date(kind):
        return pc.binary_join_element_wise('"', pc.cast(values, pa.string()), '"', "")
    if pa.types.is_floating(kind):
        values = pc.if_else(pc.is_finite(values), values, None)  # NaN/inf are not JSON
    return pc.cast(values, pa.string())


def json_lines(table: pa.Table | pa.RecordBatch) -> bytes:
    """The table as JSON Lines (one object per row, keys in column order), vectorised."""
    if table.num_rows == 0:
        return b""
    if table.num_columns == 0:
        return b"{}\n" * table.num_rows
    pieces: list[str | pa.Array] = []
    for i, (name, column) in enumerate(zip(table.column_names, table.columns, strict=True)):
        pieces.append(("{" if i == 0 else ",") + json.dumps(name) + ":")
        pieces.append(
            pc.fill_null(
                _json_values(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column),
                "null",
            )
        )
    pieces.append("}\n")
    return _back_to_back(pc.binary_join_element_wise(*pieces, ""))


def _back_to_back(strings: pa.Array) -> bytes:
    """The bytes of every value of a string array without nulls, one after the other: a slice of its
    data buffer (joining them into one Python string first cost more than making the lines)."""
    offsets, data = string_buffers(strings)
    return data[offsets[0] : offsets[-1]].tobytes()


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
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _to_string(array: pa.Array) -> pa.Array:
    if pa.types.is_string(array.type):
        return array
    if pa.types.is_large_string(array.type) or pa.types.is_dictionary(array.type):
        return array.cast(pa.string())
    try:
        return array.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.array([_as_text(v) for v in array.to_pylist()], type=pa.string())


def _chunk(names: list[str], columns: list[list[str | None]], rows: list[int]) -> Chunk:
    arrays = [pa.array(column, type=pa.string()) for column in columns]
    return Chunk(pa.RecordBatch.from_arrays(arrays, names=names), np.asarray(rows, dtype=np.int64))


def write_table_stream(path: Path, fmt: str):
    """A writer with `.write(batch)` / `.close()` for CSV, JSON Lines or Parquet output."""
    return _BatchWriter(path, fmt)


# Rows of the first batch probed per column, and the share of distinct values up to which a column
# is dictionary-encoded in Parquet. Tokens and other unique values only pay for building a dictionary
# the writer then drops (~20% of the write time); repetitive columns keep the smaller file.
_DICTIONARY_PROBE_ROWS = 4096
_DICTIONARY_MAX_DISTINCT = 0.25


def _repeats_itself(column: pa.Array) -> bool:
    """Whether the column's first rows repeat themselves enough for a dictionary to pay off."""
    probe = column.slice(0, _DICTIONARY_PROBE_ROWS)
    return bool(len(probe)) and pc.count_distinct(probe).as_py() <= _DICTIONARY_MAX_DISTINCT * len(probe)


def _repetitive_columns(batch: pa.RecordBatch) -> list[str]:
    """Columns worth a Parquet dictionary."""
    return [
        name
        for name, column in zip(batch.schema.names, batch.columns, strict=True)
        if not pa.types.is_nested(column.type) and _repeats_itself(column)
    ]


class _BatchWriter:
    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.format = Path(path), fmt
        self._writer = None
        self._handle: io.BufferedWriter | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        if self.format == "parquet":
            if self._writer is None:
                self._writer = pq.ParquetWriter(
                    self.path, batch.schema, use_dictionary=_repetitive_columns(batch)
                )
            self._writer.write_batch(batch)
        elif self.format == "csv":
            if self._writer is None:
                self._writer = pa_csv.CSVWriter(self.path, batch.schema)
            self._writer.write_batch(batch)
        else:
            if self._handle is None:
                self._handle = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            self._handle.write(json_lines(batch))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._handle is not None:
            self._handle.close()
        if self._writer is None and self._handle is None:
            self.path.write_text("")

    def __enter__(self) -> _BatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "FORMATS",
    "Chunk",
    "FileReader",
    "InputError",
    "QuarantinedRow",
    "detect_format",
    "write_table_stream",
]

"""Scan one file with the core, without any engine: what `sdp scan` runs, and the reference the
engines are compared against (same decisions, same tokens, same violations).

Memory stays bounded by the batch size: batches are read, processed and written one at a time.
With k-anonymity, only the quasi-identifier (and sensitive) columns of the whole file are held
in memory between the two passes.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from compliance.anonymize.tokenize import Tokenizer
from compliance.buffers import string_buffers
from compliance.io import (
    DEFAULT_BATCH_ROWS,
    FORMAT_OF_SUFFIX,
    Chunk,
    FileReader,
    QuarantinedRow,
    json_lines,
    write_table_stream,
)
from compliance.io_batches import ReadBatchWriter, Rebatcher
from compliance.pipeline import CompliancePipeline, default_threads
from compliance.rules.codes import Combinations
from compliance.vocabulary import VIOLATION_KEYS


@dataclass
class ScanSummary:
    path: str
    format: str
    domain: str
    anonymize: str
    records_in: int = 0
    records_out: int = 0
    records_suppressed: int = 0
    violations: int = 0
    by_regulation: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    columns: list[dict] = field(default_factory=list)
    anonymized_columns: dict[str, str] = field(default_factory=dict)
    k_anonymity: dict = field(default_factory=dict)
    pre_processing_s: float = 0.0
    pure_processing_s: float = 0.0
    post_processing_s: float = 0.0

    @property
    def records_per_second(self) -> float:
        total = self.pre_processing_s + self.pure_processing_s + self.post_processing_s
        return self.records_in / total if total > 0 else 0.0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["quarantined"] = [asdict(q) for q in self.quarantined]
        data["records_per_second"] = round(self.records_per_second, 1)
        return data


class _Clock:
    """Splits wall time into pre (read/parse), pure (core) and post (write) processing."""

    def __init__(self, summary: ScanSummary) -> None:
        self.summary = summary
        self.mark = time.perf_counter()

    def charge(self, bucket: str) -> None:
        now = time.perf_counter()
        setattr(self.summary, bucket, getattr(self.summary, bucket) + now - self.mark)
        self.mark = now


def scan_file(
    path: str | Path,
    *,
    violations_out: str | Path | None = None,
    output: str | Path | None = None,
    output_format: str | None = None,
    anonymize: str = "tokenize",
    domain: str = "auto",
    tokenizer: Tokenizer | None = None,
    policy_path: str | Path | None = None,
    as_of: dt.date | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    k: int | None = None,
    threads: int | None = None,
) -> ScanSummary:
    """Run the core over one file. Raises compliance.io.InputError for unreadable files.

    `threads`: worker threads for the batches (default: SDP_CORE_THREADS, else one per CPU). Output
    and violations are the same, in the same order, for any number of threads.
    """
    threads = default_threads() if threads is None else threads
    reader = FileReader(path, batch_rows=batch_rows)
    anonymize_now = "none" if output is None else anonymize
    pipeline = CompliancePipeline(
        domain=domain, anonymize=anonymize_now, tokenizer=tokenizer, policy_path=policy_path, as_of=as_of, k=k
    )
    summary = ScanSummary(str(path), reader.format, domain, anonymize_now)
    clock = _Clock(summary)
    regulations: Counter[str] = Counter()
    types: Counter[str] = Counter()
    out_format = output_format or (_format_of(Path(output)) if output else None)
    two_pass = output is not None and anonymize_now == "k_anonymity"

    with tempfile.TemporaryDirectory(prefix="sdp-scan-") as scratch:
        first_pass = Path(scratch) / "pass1.parquet" if two_pass else None
        writer = (
            write_table_stream(first_pass or Path(output), "parquet" if two_pass else out_format)
            if output
            else None
        )
        violations_file = open(violations_out, "wb") if violations_out else None  # noqa: SIM115
        quasi_parts: list[pa.RecordBatch] = []
        try:
            batches = Rebatcher(_timed(reader, clock), pipeline, batch_rows)
            output_writer = ReadBatchWriter(writer, batches.sizes) if writer else None
            for _batch, result in pipeline.process_all(batches, threads):
                if two_pass:
                    # The per-batch output: cells of another type in a quasi-identifier column
                    # (an e-mail in a ZIP column) are already anonymized before k-anonymity.
                    quasi_parts.append(_quasi_columns(pipeline, result.batch))
                clock.charge("pure_processing_s")
                violations = result.violations
                summary.violations += violations.num_rows
                _count_violations(regulations, types, violations, result.combinations)
                if violations_file:
                    _write_violations(violations_file, violations, result.combinations)
                if output_writer:
                    output_writer.write(result.batch)
                clock.charge("post_processing_s")
        finally:
            if writer:
                writer.close()
            if violations_file:
                violations_file.close()
        if two_pass:
            _k_anonymity_pass(pipeline, first_pass, quasi_parts, Path(output), out_format, summary, clock)

    summary.domain = pipeline.domain
    summary.records_in = reader.records_seen
    summary.records_out = reader.rows_read - summary.records_suppressed
    summary.quarantined = list(reader.quarantined)
    summary.by_regulation = dict(sorted(regulations.items()))
    summary.by_type = dict(sorted(types.items()))
    summary.columns = [c.summary() for c in pipeline.classes]
    summary.anonymized_columns = pipeline.anonymized_columns()
    return summary


def _timed(reader: FileReader, clock: _Clock) -> Iterator[Chunk]:
    """The reader's chunks, with the time spent reading charged to pre-processing."""
    for chunk in reader:
        clock.charge("pre_processing_s")
        yield chunk


def _count_violations(
    regulations: Counter[str], types: Counter[str], violations: pa.Table, combinations: Combinations | None
) -> None:
    """Add the violations per regulation and per type; counted per combination when there are some."""
    if combinations is None:
        _count_values(regulations, violations.column("regulation"))
        _count_values(types, violations.column("type"))
        return
    counts = np.bincount(combinations.index, minlength=combinations.table.num_rows).tolist()
    for counter, key in ((regulations, "regulation"), (types, "type")):
        for value, count in zip(combinations.table.column(key).to_pylist(), counts, strict=True):
            if count:
                counter[value] += count


def _count_values(counter: Counter[str], values: pa.ChunkedArray) -> None:
    """Add each value's count to `counter`, counted by Arrow: a handful of distinct values per batch."""
    counts = pc.value_counts(values)
    counter.update(
        dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))
    )


def _format_of(path: Path) -> str:
    return FORMAT_OF_SUFFIX.get(path.suffix.lower(), "csv")


def _write_violations(handle, violations: pa.Table, combinations: Combinations | None = None) -> None:
    """Violations as JSON Lines, the bytes json_lines() writes. A file has millions of violations
    (~10 per row) but a few dozen distinct (field, type, regulation, severity, rule): each of those
    is written as JSON once, and a line is its row number joined to its combination's text.
    `combinations`: the violations' own, from the rule engine (else the strings are encoded here)."""
    table = violations.select(list(VIOLATION_KEYS))
    if combinations is not None and combinations.index.size != table.num_rows:
        raise ValueError("combinations do not match the violations")
    for start in range(0, table.num_rows, _VIOLATION_SLICE):
        part = table.slice(start, _VIOLATION_SLICE)
        if combinations is None:
            lines = _violation_lines(part)
        else:
            lines = _combined_lines(part.column(0), combinations, start)
        if lines is None:  # an unusual table (nulls, a very wide combination): the general writer
            handle.write(json_lines(part))
        else:
            offsets, data = string_buffers(lines)
            handle.write(data[offsets[0] : offsets[-1]])  # no copy of the bytes


# Violations joined per call: the lines of one slice (~8 MB) stay well under the 2 GiB of 32-bit string
# offsets, and in memory the allocator reuses: a batch's ~800k lines joined at once (~100 MB) were
# fresh pages to fault in for every batch.
_VIOLATION_SLICE = 1 << 16
_MAX_COMBINATIONS = 1 << 22


def _violation_lines(table: pa.Table) -> pa.Array | None:
    """One JSON line per violation (keys in VIOLATION_KEYS order, "row" first), or None when the
    table has nulls or too many possible combinations of the other keys."""
    row = table.column(0).combine_chunks()
    if table.num_rows == 0 or table.column_names[0] != "row" or not pa.types.is_integer(row.type):
        return None
    if any(column.null_count for column in table.columns):
        return None
    code = np.zeros(table.num_rows, dtype=np.int64)
    size = 1
    for column in table.columns[1:]:
        encoded = pc.dictionary_encode(column.combine_chunks())
        size *= max(len(encoded.dictionary), 1)
        if size > _MAX_COMBINATIONS:
            return None
        code = code * len(encoded.dictionary) + encoded.indices.to_numpy(zero_copy_only=False)
    # Dense numbering of the combinations present, in order of first appearance of their code.
    present = np.zeros(size, dtype=bool)
    present[code] = True
    number = np.cumsum(present) - 1
    combination = number[code]
    example = np.empty(int(present.sum()), dtype=np.int64)
    example[combination] = np.arange(table.num_rows)  # a row of each combination (any one will do)
    texts = json_lines(table.drop_columns([table.column_names[0]]).take(pa.array(example)))
    return _joined_lines(row, texts, combination)


def _combined_lines(row: pa.ChunkedArray, combinations: Combinations, start: int) -> pa.Array | None:
    """_violation_lines of violations whose combinations are known (`start`: the first one's index),
    or None when rows are null or not integers."""
    row = row.combine_chunks()
    if row.null_count or not pa.types.is_integer(row.type) or combinations.table.num_rows == 0:
        return None
    combination = combinations.index[start : start + len(row)]
    return _joined_lines(row, json_lines(combinations.table), combination)


def _joined_lines(row: pa.Array, texts: bytes, combination: np.ndarray) -> pa.Array:
    """'{"row":' + each row + the rest of its combination's line in `texts` (json_lines of the
    combinations without "row": '{"field":...}\n'), so each combination's text is made once."""
    tails = pa.array([b"," + line[1:] + b"\n" for line in texts.split(b"\n")[:-1]], pa.string())
    row_text = pc.cast(row, pa.string())
    return pc.binary_join_element_wise('{"row":', row_text, tails.take(pa.array(combination)), "")


def _quasi_columns(pipeline: CompliancePipeline, batch: pa.RecordBatch) -> pa.RecordBatch:
    return batch.select(pipeline.k_anonymity_columns())


def _k_anonymity_pass(
    pipeline: CompliancePipeline,
    first_pass: Path,
    quasi_parts: list[pa.RecordBatch],
    output: Path,
    out_format: str,
    summary: ScanSummary,
    clock: _Clock,
) -> None:
    """Second pass: generalise the quasi-identifiers over the whole file, drop suppressed rows."""
    quasi = pipeline.quasi_identifiers()
    writer = write_table_stream(output, out_format)
    try:
        if not quasi or not quasi_parts:
            summary.k_anonymity = {"applied": False, "reason": "no quasi-identifier columns in this file"}
            for batch in pq.ParquetFile(first_pass).iter_batches():
                writer.write(batch)
            return
        table = pa.Table.from_batches(quasi_parts)
        sensitive = pipeline.sensitive_attribute()
        result = pipeline.k_anonymize(table)
        clock.charge("pure_processing_s")
        summary.records_suppressed = len(result.suppressed_rows)
        summary.k_anonymity = result.stats(quasi, sensitive)
        keep = np.zeros(table.num_rows, dtype=bool)
        keep[result.kept_rows] = True
        # Generalised values indexed by input position (suppressed rows have none).
        position = np.full(table.num_rows, -1, dtype=np.int64)
        position[result.kept_rows] = np.arange(len(result.kept_rows))
        offset = 0
        for batch in pq.ParquetFile(first_pass).iter_batches():
            n = batch.num_rows
            mask = keep[offset : offset + n]
            taken = pa.array(position[offset : offset + n][mask])
            kept = batch.filter(pa.array(mask))
            arrays = [
                result.table.column(name).take(taken).combine_chunks().cast(pa.string())
                if name in quasi
                else kept.column(i)
                for i, name in enumerate(kept.schema.names)
            ]
            writer.write(pa.RecordBatch.from_arrays(arrays, names=kept.schema.names))
            offset += n
        clock.charge("post_processing_s")
    finally:
        writer.close()

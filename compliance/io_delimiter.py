"""Which delimiter a CSV file uses: ',' ';' tab or '|' (docs: README "CSV delimiters").

Spreadsheets in many European locales export ';', database dumps often use tab or '|'. A file read
with the wrong delimiter is one column named after its whole header line: no column is classified
and most identifiers stay raw. So every reader of a landed CSV (the core's FileReader, which the
Spark and Flink drivers, the stream producer and the router's profile all use) asks this module,
once per file, before reading a row.

How it decides, from the header record and the next records (at most SAMPLE_LINES lines or
SAMPLE_CHARS characters, parsed with quotes respected, so a quoted ',' is a value, not a split):

- a candidate fits when its header has more than one field and at least half of the sampled data
  records have exactly the header's field count (a few ragged rows are quarantined later, as ever);
- of the fitting candidates, the one whose field count the most records match wins, then the one
  with more fields, then the first of CANDIDATES (',' on a tie);
- a header with one field under every candidate is a single-column file (',' unless most of its
  rows only read as one field under another candidate);
- a header with several fields under some candidate that no candidate fits is refused with
  InputError: its rows are ragged whatever the delimiter, so reading it would quarantine most of it
  or load it as one column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from compliance.io_guards import InputError, bounded_lines
from compliance.io_limits import ReadLimits

CANDIDATES = (",", ";", "\t", "|")
SAMPLE_LINES = 100
SAMPLE_CHARS = 256 * 1024


@dataclass(frozen=True)
class DelimiterFit:
    """How the sample reads with one delimiter."""

    delimiter: str
    header_fields: int
    matching_records: int  # data records with the header's field count
    sampled_records: int

    @property
    def mostly_matches(self) -> bool:
        return 2 * self.matching_records >= self.sampled_records

    def describe(self) -> str:
        return (
            f"{delimiter_name(self.delimiter)}: header {self.header_fields} field(s), "
            f"{self.matching_records} of {self.sampled_records} rows match"
        )


def delimiter_name(delimiter: str) -> str:
    """A delimiter as a message shows it (a tab is invisible)."""
    return "tab" if delimiter == "\t" else repr(delimiter)


def measure(sample: str, delimiter: str, truncated: bool = False) -> DelimiterFit:
    """Field counts of the sample's header and data records read with `delimiter`. Blank lines are
    not records; when the sample was cut short its last record may be partial and is left out."""
    try:
        records = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter, strict=False) if r]
    except csv.Error:  # a field past the csv module's size limit: not this delimiter's doing
        records = []
    if not records:
        return DelimiterFit(delimiter, 0, 0, 0)
    header, data = records[0], records[1:]
    if truncated and len(data) > 1:
        data = data[:-1]
    matching = sum(len(record) == len(header) for record in data)
    return DelimiterFit(delimiter, len(header), matching, len(data))


def choose_delimiter(sample: str, truncated: bool = False, file_name: str = "") -> str:
    """The delimiter of the CSV text `sample` (the file's start). Raises InputError when the rows are
    ragged under every candidate."""
    fits = [measure(sample, delimiter, truncated) for delimiter in CANDIDATES]
    if not any(fit.sampled_records for fit in fits):
        # Header only: the widest header (the caller then says the file has no data rows).
        return max(fits, key=lambda fit: fit.header_fields).delimiter
    several = [fit for fit in fits if fit.header_fields > 1]
    if not several:
        single = [fit for fit in fits if fit.mostly_matches]
        if single:
            return max(single, key=lambda fit: fit.matching_records).delimiter
    fitting = [fit for fit in several if fit.mostly_matches]
    if fitting:
        # max() keeps the first of equals: CANDIDATES' order breaks ties, ',' first.
        return max(fitting, key=lambda fit: (fit.matching_records, fit.header_fields)).delimiter
    tried = "; ".join(fit.describe() for fit in fits)
    raise InputError(f"{file_name}: rows have inconsistent field counts under every delimiter tried "
                     f"({tried}); expected a header row and rows with as many fields")  # fmt: skip


def sniff_delimiter(path: Path, limits: ReadLimits) -> str:
    """The delimiter of the CSV file at `path`, from its first lines (bounded as every read is)."""
    lines: list[str] = []
    chars = 0
    truncated = False
    csv.field_size_limit(limits.max_line_bytes)  # a line the limits allow is a field csv reads
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        for line in bounded_lines(handle, path.name, limits):
            if len(lines) == SAMPLE_LINES or chars >= SAMPLE_CHARS:
                truncated = True
                break
            lines.append(line)
            chars += len(line)
    return choose_delimiter("".join(lines), truncated, path.name)

"""GDPR policy rules: they look at the record's consent and age, not at identifier values.

Their regulation, severity and rule name come from the policy's MISSING_CONSENT and
RETENTION_EXCEEDED entries, like every other type.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.columns import ColumnRole
from compliance.rules.base import RuleContext
from compliance.rules.codes import CodedRule, CodedViolations, ViolationCodes, concat_coded, empty_coded
from compliance.vocabulary import IdType, Regulation

# Consent values that mean "no consent" (compared lower-cased and trimmed); null is also negative.
NEGATIVE_CONSENT = frozenset(
    {
        "",
        "no",
        "n",
        "false",
        "f",
        "0",
        "denied",
        "declined",
        "refused",
        "withdrawn",
        "revoked",
        "opt-out",
        "opt_out",
        "opt out",
        "optout",
        "opted-out",
        "opted_out",
        "opted out",
        "none",
        "null",
        "n/a",
    }
)

# Non-ISO date formats tried after ISO 8601, in order. Slashes read month first (US), dots read
# day first (European); a value no format reads is not a violation.
DATE_FORMATS = (
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%B %d, %Y",
)
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}"
_TIME_PART = r"(?:T|\s+)\d{1,2}:\d{2}.*$"


class MissingConsentRule(CodedRule):
    """A row holding personal data (any finding in the row) whose consent column is null, empty or
    negative -> one violation under the consent column. A file without a consent column raises
    none: absence of the column says nothing about the consent of each subject."""

    name = "gdpr.missing_consent"
    regulation = Regulation.GDPR.value

    def coded_violations(self, ctx: RuleContext, codes: ViolationCodes) -> CodedViolations:
        consent_fields = ctx.columns_with_role(ColumnRole.CONSENT)
        if not consent_fields or ctx.findings.num_rows == 0:
            return empty_coded()
        label = ctx.policy.label_for(IdType.MISSING_CONSENT)
        rows = _distinct_rows(codes.findings.rows, ctx.batch.num_rows)
        row_indices = pa.array(rows, pa.int64())
        parts = []
        for field in consent_fields:
            values = ctx.column(field).take(row_indices)
            negative = pc.fill_null(consent_is_negative(values), True).to_numpy(zero_copy_only=False)
            parts.append(codes.at(rows[negative], field, label, IdType.MISSING_CONSENT.value))
        return concat_coded(parts)


def _distinct_rows(rows: np.ndarray, num_rows: int) -> np.ndarray:
    """np.unique(rows): a bitmap over the batch when rows are batch positions (no sort needed)."""
    if rows.size == 0 or rows.min() < 0 or rows.max() >= num_rows:
        return np.unique(rows)
    seen = np.zeros(num_rows, dtype=bool)
    seen[rows] = True
    return np.flatnonzero(seen)


def consent_is_negative(values: pa.Array) -> pa.Array:
    """True where a consent value is null, empty or a refusal/withdrawal (case-insensitive)."""
    return _per_distinct(pc.cast(values, pa.string()), _consent_text_is_negative)


def _consent_text_is_negative(values: pa.Array) -> pa.Array:
    text = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    refused = pc.is_in(text, value_set=pa.array(sorted(NEGATIVE_CONSENT), pa.string()))
    return pc.or_kleene(pc.is_null(text), refused)


class RetentionExceededRule(CodedRule):
    """A record date older than `policy.retention_days` before `as_of` -> one violation under the
    record-date column. A record exactly retention_days old is still within retention."""

    name = "gdpr.retention_exceeded"
    regulation = Regulation.GDPR.value

    def coded_violations(self, ctx: RuleContext, codes: ViolationCodes) -> CodedViolations:
        date_fields = ctx.columns_with_role(ColumnRole.RECORD_DATE)
        if not date_fields:
            return empty_coded()
        label = ctx.policy.label_for(IdType.RETENTION_EXCEEDED)
        cutoff = pa.scalar(ctx.as_of - datetime.timedelta(days=ctx.policy.retention_days), pa.date32())
        parts = []
        for field in date_fields:
            dates = parse_dates(ctx.column(field))
            expired = pc.fill_null(pc.less(dates, cutoff), False).to_numpy(zero_copy_only=False)
            parts.append(codes.at(np.flatnonzero(expired), field, label, IdType.RETENTION_EXCEEDED.value))
        return concat_coded(parts)


def parse_dates(values: pa.Array) -> pa.Array:
    """Dates (date32) of a column of dates, timestamps or date strings; null where unreadable."""
    data_type = values.type
    if pa.types.is_date(data_type) or pa.types.is_timestamp(data_type):
        return pc.cast(values, pa.date32())
    if not (pa.types.is_string(data_type) or pa.types.is_large_string(data_type)):
        return pa.nulls(len(values), pa.date32())
    return _per_distinct(pc.cast(values, pa.string()), _parse_date_text)


def _parse_date_text(values: pa.Array) -> pa.Array:
    """The date of each text, read from its date part (the text without a time of day), once per
    distinct date part: timestamps of a day share one (a column of them is mostly distinct)."""
    date_part = pc.replace_substring_regex(pc.utf8_trim_whitespace(values), _TIME_PART, "")
    return _per_distinct(date_part, _parse_date_part)


def _parse_date_part(date_part: pa.Array) -> pa.Array:
    # An ISO text keeps its first 10 characters in its date part (a time part starts with "T" or a
    # space, neither of which is in "YYYY-MM-DD"): the first 10 of either are the same date.
    iso = pc.if_else(
        pc.match_substring_regex(date_part, _ISO_DATE), pc.utf8_slice_codeunits(date_part, 0, 10), None
    )
    dates = _strptime_date(iso, "%Y-%m-%d")
    if dates.null_count == date_part.null_count:
        return dates  # all ISO: the common case, one parse
    return pc.coalesce(dates, *(_strptime_date(date_part, fmt) for fmt in DATE_FORMATS))


def _per_distinct(values: pa.Array, compute: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """compute(values), computed once per distinct value when the values repeat (record dates and
    consent flags do: a few thousand distinct per batch); `compute` must work value by value."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    distinct = len(encoded.dictionary)
    if 2 * distinct > len(values):
        return compute(values)
    indices = encoded.indices
    if encoded.null_count:  # nulls become one more distinct value, computed like the others
        indices = pc.fill_null(indices, distinct)
    dictionary = pa.concat_arrays([encoded.dictionary, pa.nulls(1, values.type)])
    return pc.take(compute(dictionary), indices)


def _strptime_date(text: pa.Array, fmt: str) -> pa.Array:
    return pc.cast(pc.strptime(text, format=fmt, unit="s", error_is_null=True), pa.date32())

"""Great Expectations suites for one staged output, built from its manifest.

GX validates one table per suite, so a staged folder gets three: the records suite of the file's
domain (`build_suite`: the domain's policy sets e.g. the coarse GPS precision), and shared suites for
violations.parquet and quarantine.parquet. Each suite is assembled from small check functions kept in
a registry per table; every expectation carries `meta["check"]`, the stable name reports use.
GX is imported inside functions: it costs seconds to import and DAG files must parse fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from compliance.columns import ColumnRole
from compliance.detection.blanks import BLANK, BLANK_OR_TOKEN
from compliance.policy import load_policy
from compliance.vocabulary import IdType, Regulation, Severity
from include.staging import QUARANTINE_SCHEMA, ROW_COLUMN, VIOLATIONS_SCHEMA, StagedManifest
from include.validation.patterns import (
    GENERALISED_FORMS,
    KIND_OF_TYPE,
    PRECISE_IPV4,
    RAW_IDENTIFIER_PATTERNS,
    coarse_coordinates_regex,
)

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.expectations import Expectation

    from compliance.policy import Policy

TOKEN_METHODS = frozenset({"tokenize", "truncate_last4"})
DROP_METHOD = "drop"

RecordCheck = Callable[[StagedManifest, "Policy"], Iterator["Expectation"]]
TableCheck = Callable[[StagedManifest], Iterator["Expectation"]]


def input_columns(manifest: StagedManifest) -> list[str]:
    return [str(column["field"]) for column in manifest.columns]


def staged_columns(manifest: StagedManifest) -> list[str]:
    """`_row` + every input column: exactly what records.parquet holds. A dropped column (a CVV)
    stays in the schema, every value null, so all engines write one stable schema."""
    return [ROW_COLUMN, *input_columns(manifest)]


def dropped_columns(manifest: StagedManifest) -> list[str]:
    return sorted(name for name, method in manifest.anonymized_columns.items() if method == DROP_METHOD)


def _classes(manifest: StagedManifest) -> dict[str, dict[str, Any]]:
    return {str(column["field"]): column for column in manifest.columns}


def _check(name: str, **extra: Any) -> dict[str, Any]:
    return {"check": name, **extra}


# -- records.parquet ---------------------------------------------------------------------------


def _required_columns(manifest: StagedManifest, policy: Policy) -> Iterator[Expectation]:
    import great_expectations.expectations as gxe

    columns = staged_columns(manifest)
    for column in columns:
        yield gxe.ExpectColumnToExist(column=column, meta=_check("required_column"))
    # Exact: a column the manifest never declared must not be loaded.
    yield gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True, meta=_check("column_set"))
    # Dropped data (a stored CVV) must not reach the database: only nulls (GX skips them) and
    # values that hold no identifier ("N/A", a mask) may remain.
    for column in dropped_columns(manifest):
        yield gxe.ExpectColumnValuesToMatchRegex(column=column, regex=BLANK, meta=_check("dropped_is_null"))


def _row_index(manifest: StagedManifest, policy: Policy) -> Iterator[Expectation]:
    import great_expectations.expectations as gxe

    yield gxe.ExpectColumnValuesToNotBeNull(column=ROW_COLUMN, meta=_check("row_not_null"))
    yield gxe.ExpectColumnValuesToBeUnique(column=ROW_COLUMN, meta=_check("row_unique"))
    yield gxe.ExpectColumnValuesToBeBetween(
        column=ROW_COLUMN, min_value=0, max_value=max(manifest.records_in - 1, 0), meta=_check("row_in_input")
    )


def _row_count(manifest: StagedManifest, policy: Policy) -> Iterator[Expectation]:
    import great_expectations.expectations as gxe

    yield gxe.ExpectTableRowCountToEqual(value=manifest.records_staged, meta=_check("records_staged"))


def _tokens(manifest: StagedManifest, policy: Policy) -> Iterator[Expectation]:
    """Tokenized identifier columns hold well-formed tokens, null, or values that hold no identifier
    ("N/A", a mask): never a raw value."""
    import great_expectations.expectations as gxe

    classes = _classes(manifest)
    for column, method in sorted(manifest.anonymized_columns.items()):
        free_text = classes.get(column, {}).get("role") == ColumnRole.FREE_TEXT
        if method in TOKEN_METHODS and not free_text:  # free text keeps its words around the tokens
            yield gxe.ExpectColumnValuesToMatchRegex(
                column=column, regex=BLANK_OR_TOKEN, meta=_check("token_format")
            )


def _coarsened(manifest: StagedManifest, policy: Policy) -> Iterator[Expectation]:
    """Positions keep fewer decimals than the policy's `gps_precision` (the precision of one address);
    IP addresses no longer name one host."""
    import great_expectations.expectations as gxe

    classes = _classes(manifest)
    for column, method in sorted(manifest.anonymized_columns.items()):
        if method != "coarsen":
            continue
        id_type = classes.get(column, {}).get("id_type")
        if id_type == IdType.GPS_COORDINATES:
            regex = _or_blank(coarse_coordinates_regex(policy.gps_precision - 1))
            yield gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex, meta=_check("coarse_gps"))
        elif id_type == IdType.IP_ADDRESS:
            yield gxe.ExpectColumnValuesToNotMatchRegex(
                column=column, regex=PRECISE_IPV4, meta=_check("coarse_ip")
            )


def _generalised(manifest: StagedManifest, policy: Policy) -> Iterator[Expectation]:
    """Generalised quasi-identifiers hold a published form of their kind's hierarchy."""
    import great_expectations.expectations as gxe

    classes = _classes(manifest)
    for column, method in sorted(manifest.anonymized_columns.items()):
        if method not in ("generalize", "k_anonymity"):
            continue
        cls = classes.get(column, {})
        kind = cls.get("quasi_kind") or KIND_OF_TYPE.get(cls.get("id_type") or "")
        if kind in GENERALISED_FORMS:
            yield gxe.ExpectColumnValuesToMatchRegex(
                column=column,
                regex=_or_blank(GENERALISED_FORMS[kind]),
                meta=_check("generalised_form", kind=kind),
            )


def _or_blank(regex: str) -> str:
    """`regex`, or a token / placeholder / mask: a cell of another type in the column (an e-mail in
    a ZIP column) is tokenized by its own type's anonymizer."""
    return f"(?:{regex})|(?:{BLANK_OR_TOKEN})"


RECORD_CHECKS: tuple[RecordCheck, ...] = (
    _required_columns,
    _row_index,
    _row_count,
    _tokens,
    _coarsened,
    _generalised,
)


def build_suite(domain: str, manifest: StagedManifest) -> gx.ExpectationSuite:
    """The records suite of `domain` for one staged output (not yet added to a context)."""
    import great_expectations as gx

    policy = load_policy(domain)
    expectations = [expectation for check in RECORD_CHECKS for expectation in check(manifest, policy)]
    return gx.ExpectationSuite(name=f"staged_records.{domain}", expectations=expectations)


# -- violations.parquet and quarantine.parquet -----------------------------------------------


def _violation_format(manifest: StagedManifest) -> Iterator[Expectation]:
    import great_expectations.expectations as gxe

    for column in VIOLATIONS_SCHEMA.names:
        yield gxe.ExpectColumnToExist(column=column, meta=_check("required_column"))
    for column in VIOLATIONS_SCHEMA.names:
        yield gxe.ExpectColumnValuesToNotBeNull(column=column, meta=_check("not_null"))
    vocabularies = {"type": IdType, "regulation": Regulation, "severity": Severity}
    for column, vocabulary in vocabularies.items():
        values = sorted(member.value for member in vocabulary)
        yield gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values, meta=_check("vocabulary"))
    # The violation format: one violation per (row, field, type).
    yield gxe.ExpectCompoundColumnsToBeUnique(
        column_list=["row", "field", "type"], meta=_check("one_per_key")
    )


def _violation_scope(manifest: StagedManifest) -> Iterator[Expectation]:
    import great_expectations.expectations as gxe

    yield gxe.ExpectColumnValuesToBeBetween(
        column="row", min_value=0, max_value=max(manifest.records_in - 1, 0), meta=_check("row_in_input")
    )
    if manifest.columns:
        yield gxe.ExpectColumnValuesToBeInSet(
            column="field", value_set=input_columns(manifest), meta=_check("field_in_input")
        )
    yield gxe.ExpectTableRowCountToEqual(value=manifest.violations, meta=_check("violations_count"))


def _quarantine_format(manifest: StagedManifest) -> Iterator[Expectation]:
    import great_expectations.expectations as gxe

    for column in QUARANTINE_SCHEMA.names:
        yield gxe.ExpectColumnToExist(column=column, meta=_check("required_column"))
    yield gxe.ExpectColumnValuesToNotBeNull(column="reason", meta=_check("not_null"))
    # Null `row` means "the whole file"; GX skips nulls in a range check.
    yield gxe.ExpectColumnValuesToBeBetween(
        column="row", min_value=0, max_value=max(manifest.records_in - 1, 0), meta=_check("row_in_input")
    )
    for name, regex in RAW_IDENTIFIER_PATTERNS.items():  # reasons are stored: no raw PII in clear
        yield gxe.ExpectColumnValuesToNotMatchRegex(
            column="reason", regex=regex, meta=_check(f"no_raw_{name}")
        )


VIOLATION_CHECKS: tuple[TableCheck, ...] = (_violation_format, _violation_scope)
QUARANTINE_CHECKS: tuple[TableCheck, ...] = (_quarantine_format,)


def build_violations_suite(manifest: StagedManifest) -> gx.ExpectationSuite:
    import great_expectations as gx

    expectations = [expectation for check in VIOLATION_CHECKS for expectation in check(manifest)]
    return gx.ExpectationSuite(name="staged_violations", expectations=expectations)


def build_quarantine_suite(manifest: StagedManifest) -> gx.ExpectationSuite:
    import great_expectations as gx

    expectations = [expectation for check in QUARANTINE_CHECKS for expectation in check(manifest)]
    return gx.ExpectationSuite(name="staged_quarantine", expectations=expectations)

"""The validation report: what failed and how often, never which values.

GX result dicts carry `partial_unexpected_list`, `partial_unexpected_counts` and index lists: sample
values of the very identifiers that must not leak. Entries are therefore built from an allow-list of
numeric fields (plus column names, which are schema, not data), and nothing else of a result is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# GX result fields that are counts or rates, never values.
_NUMERIC_RESULT_KEYS = ("element_count", "missing_count", "unexpected_count", "unexpected_percent")
# Expectation kwargs that are schema or manifest numbers, never data values.
_SAFE_KWARGS = ("column", "column_list", "value", "min_value", "max_value")


@dataclass
class ValidationReport:
    success: bool
    suite: str  # the records suite, e.g. "staged_records.healthcare"
    evaluated: int
    failed: int
    failures: list[dict]  # one entry per failed check: table, check, expectation, column, counts
    summary: dict  # JSON-serialisable and safe to store: no raw values, no unexpected-value samples


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _raised(exception_info: Any) -> bool:
    """GX nests exception info per metric for map expectations and flat for table expectations."""
    if not isinstance(exception_info, dict):
        return False
    if "raised_exception" in exception_info:
        return bool(exception_info["raised_exception"])
    return any(_raised(info) for info in exception_info.values())


def entry_from_gx(table: str, result: Any) -> dict[str, Any]:
    """A safe, JSON-ready entry for one ExpectationValidationResult."""
    config = result.expectation_config
    entry: dict[str, Any] = {
        "table": table,
        "check": (config.meta or {}).get("check", config.type),
        "expectation": config.type,
        "success": bool(result.success),
    }
    kind = (config.meta or {}).get("kind")
    if kind:
        entry["kind"] = kind
    for key in _SAFE_KWARGS:
        if config.kwargs.get(key) is not None:
            entry[key] = config.kwargs[key]
    outcome = result.result or {}
    for key in _NUMERIC_RESULT_KEYS:
        number = _number(outcome.get(key))
        if number is not None:
            entry[key] = number
    observed = _number(outcome.get("observed_value"))
    if observed is not None:
        entry["observed_value"] = observed
    mismatched = (outcome.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict):  # ExpectTableColumnsToMatchSet: column names only
        for side in ("missing", "unexpected"):
            if mismatched.get(side):
                entry[f"{side}_columns"] = sorted(str(name) for name in mismatched[side])
    if _raised(result.exception_info):
        # The message is not copied: a metric error may quote the data it failed on.
        entry["error"] = "the expectation raised an exception (e.g. its column is missing)"
    return entry


def build_report(suite: str, entries: list[dict[str, Any]], extra: dict[str, Any]) -> ValidationReport:
    """Aggregate check entries (GX and custom) into the report; `extra` must itself be safe."""
    failures = [entry for entry in entries if not entry["success"]]
    tables: dict[str, dict[str, int]] = {}
    for entry in entries:
        counts = tables.setdefault(entry["table"], {"evaluated": 0, "failed": 0})
        counts["evaluated"] += 1
        counts["failed"] += not entry["success"]
    summary = {
        "suite": suite,
        "success": not failures,
        "evaluated": len(entries),
        "failed": len(failures),
        "tables": tables,
        "checks": [
            {key: entry[key] for key in ("table", "check", "column", "success") if key in entry}
            for entry in entries
        ],
        "failures": failures,
        **extra,
    }
    return ValidationReport(
        success=not failures,
        suite=suite,
        evaluated=len(entries),
        failed=len(failures),
        failures=failures,
        summary=summary,
    )

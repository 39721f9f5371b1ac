"""Differentially private releases of the loaded records, with a budget ledger in PostgreSQL.

A dataset is a domain's loaded records (every file of that domain, or some of them); its budget
is the domain policy's `dp_epsilon_budget`. Releases over a dataset add up (sequential
composition), so each one is charged to the dataset's row in `dp_budgets`, locked for the whole
release: a release that would exceed the budget is refused before any data is read, and two
concurrent releases cannot both spend the last of it. Each release is kept in `dp_releases`
(query, epsilon, delta, actor, the released table) with an audit row.

What is released, per group of the `group_by` columns:
- counts: OpenDP count-by with Laplace noise of scale 1/epsilon and a threshold: groups whose
  noisy count is below it are not released. The groups come from the data, so they cannot be a
  public category list; the threshold is what keeps a group of one person out of the answer,
  at the price of a small delta (approximate DP, (epsilon, delta)).
- means of a numeric column within public bounds: half of epsilon selects the groups as above,
  the other half is each group's OpenDP mean (compliance.anonymize.dp.dp_mean). Groups are
  disjoint, so one record affects one group's mean (parallel composition): the means cost
  epsilon/2 in total, not per group.
Neighbouring datasets differ by one record; a person with records in several rows is protected
accordingly less (the budget is per dataset to bound that over time).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from compliance.anonymize.dp import PrivacyAccountant, dp_mean
from compliance.policy import load_policy
from include.db.audit import AuditAction, audit
from include.db.sql import load_sql

DEFAULT_EPSILON_BUDGET = 10.0
DEFAULT_DELTA = 1e-7
_MAX_GROUP_COLUMNS = 8
_dumps = partial(json.dumps, sort_keys=True)


class ReleaseError(ValueError):
    """A release that cannot be made (bad request, or over budget); nothing was released or spent."""


class BudgetExhausted(ReleaseError):
    """The release would spend more epsilon than the dataset has left."""


@dataclass(frozen=True)
class ReleaseRequest:
    dataset: str  # a domain
    epsilon: float
    group_by: tuple[str, ...]
    mean_column: str | None = None
    bounds: tuple[float, float] | None = None
    file_ids: tuple[int, ...] | None = None
    delta: float = DEFAULT_DELTA

    def describe(self) -> dict[str, Any]:
        """The query as stored in the ledger (names and numbers only)."""
        return {
            "dataset": self.dataset,
            "group_by": list(self.group_by),
            "statistic": "mean" if self.mean_column else "count",
            "column": self.mean_column,
            "bounds": list(self.bounds) if self.bounds else None,
            "file_ids": list(self.file_ids) if self.file_ids else None,
        }


@dataclass(frozen=True)
class ReleaseResult:
    release_id: int
    dataset: str
    epsilon: float
    delta: float
    spent_epsilon: float
    total_epsilon: float
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def as_text(self) -> str:
        """The released table, tab-separated, under a line saying what it cost."""
        lines = [
            f"release {self.release_id} of dataset {self.dataset}: epsilon {self.epsilon:g}, "
            f"delta {self.delta:g}; spent {self.spent_epsilon:g} of {self.total_epsilon:g}",
            "\t".join(self.columns),
        ]
        lines += ["\t".join("" if v is None else str(v) for v in row) for row in self.rows]
        return "\n".join(lines)


def release(conn: psycopg.Connection, request: ReleaseRequest, *, actor: str) -> ReleaseResult:
    """Charge the dataset's budget and release the statistic per group, in one transaction."""
    total_epsilon = _check(request)
    params = {"dataset": request.dataset, "total_epsilon": total_epsilon, "epsilon": request.epsilon}
    with conn.transaction():
        total, spent = conn.execute(load_sql("subject_release_lock_budget"), params).fetchone()
        # The same relative tolerance as the in-memory accountant: ten releases of 0.1 fit 1.0.
        if spent + request.epsilon > total * (1 + 1e-9):
            raise BudgetExhausted(
                f"dataset {request.dataset!r}: the release needs epsilon={request.epsilon:g} but only "
                f"{max(total - spent, 0.0):g} of {total:g} is left; nothing was released"
            )
        values = _read_values(conn, request)
        columns, rows, threshold = _compute(values, request)
        spent = conn.execute(load_sql("subject_release_charge"), params).fetchone()[0]
        query = request.describe() | {"threshold": threshold}
        released = [dict(zip(columns, row, strict=True)) for row in rows]
        release_id = conn.execute(
            load_sql("subject_release_insert"),
            {
                "dataset": request.dataset,
                "epsilon": request.epsilon,
                "delta": request.delta,
                "query": Jsonb(query, dumps=_dumps),
                "actor": actor,
                "released": Jsonb(released, dumps=_dumps),
            },
        ).fetchone()[0]
        audit(
            conn,
            actor=actor,
            action=AuditAction.RELEASED,
            object_type="dp_release",
            object_id=release_id,
            details=query
            | {
                "epsilon": request.epsilon,
                "delta": request.delta,
                "spent_epsilon": spent,
                "total_epsilon": total,
                "groups_released": len(rows),
            },
        )
    return ReleaseResult(
        release_id, request.dataset, request.epsilon, request.delta, spent, total, columns, rows
    )


def _check(request: ReleaseRequest) -> float:
    """Validate the request; returns the dataset's total epsilon from its policy."""
    try:
        policy = load_policy(request.dataset)
    except (ValueError, FileNotFoundError, OSError):
        raise ReleaseError(f"unknown dataset {request.dataset!r}: give a domain that has a policy") from None
    if not (
        isinstance(request.epsilon, int | float) and math.isfinite(request.epsilon) and request.epsilon > 0
    ):
        raise ReleaseError("epsilon must be a positive finite number")
    if not 0 < request.delta < 1:
        raise ReleaseError("delta must be within (0, 1)")
    if not request.group_by or len(request.group_by) > _MAX_GROUP_COLUMNS:
        raise ReleaseError(f"group by 1 to {_MAX_GROUP_COLUMNS} columns")
    if len(set(request.group_by)) != len(request.group_by):
        raise ReleaseError("group-by columns must be distinct")
    if request.mean_column is not None:
        bounds = request.bounds
        if bounds is None or not all(math.isfinite(b) for b in bounds) or not bounds[0] < bounds[1]:
            raise ReleaseError("a mean needs finite public bounds LOWER < UPPER")
        if request.mean_column in request.group_by:
            raise ReleaseError("the mean column cannot also be a group-by column")
    return float(getattr(policy, "dp_epsilon_budget", DEFAULT_EPSILON_BUDGET))


def _read_values(conn: psycopg.Connection, request: ReleaseRequest) -> list[tuple]:
    names = [*request.group_by, *([request.mean_column] if request.mean_column else [])]
    columns = sql.SQL(", ").join(sql.SQL("r.payload ->> {}").format(sql.Literal(n)) for n in names)
    statement = sql.SQL(load_sql("subject_release_rows")).format(columns=columns)
    file_ids = list(request.file_ids) if request.file_ids else None
    return conn.execute(statement, {"dataset": request.dataset, "file_ids": file_ids}).fetchall()


def _compute(values: list[tuple], request: ReleaseRequest) -> tuple[tuple[str, ...], list[tuple], int]:
    """(column names, released rows, threshold used)."""
    width = len(request.group_by)
    keys = [json.dumps(list(row[:width])) for row in values]
    if request.mean_column is None:
        counts, threshold = noisy_group_counts(keys, request.epsilon, request.delta)
        rows = [(*json.loads(key), count) for key, count in sorted(counts.items())]
        return (*request.group_by, "count"), rows, threshold

    half = request.epsilon / 2
    counts, threshold = noisy_group_counts(keys, half, request.delta)
    by_group: dict[str, list[float]] = {key: [] for key in counts}
    for key, row in zip(keys, values, strict=True):
        if key in by_group:
            by_group[key].append(_number(row[width]))
    lower, upper = request.bounds
    rows = [
        (*json.loads(key), round(dp_mean(by_group[key], lower, upper, half, PrivacyAccountant(half)), 6))
        for key in sorted(by_group)
    ]
    return (*request.group_by, f"mean_{request.mean_column}"), rows, threshold


def _number(value: str | None) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan  # dropped by dp_mean


def noisy_group_counts(keys: Sequence[str], epsilon: float, delta: float) -> tuple[dict[str, int], int]:
    """Noisy count per key, keys under the threshold left out: ((epsilon, delta)-DP over records,
    each record holding one key). Returns the counts and the threshold that gives `delta`."""
    import opendp.prelude as opendp

    opendp.enable_features("contrib")
    space = opendp.vector_domain(opendp.atom_domain(T=str)), opendp.symmetric_distance()
    count_by = space >> opendp.t.then_count_by()

    def measurement(threshold: int) -> Any:
        return count_by >> opendp.m.then_laplace_threshold(scale=1.0 / epsilon, threshold=threshold)

    # Start from the closed form (the noise exceeds t - 1 with probability ~exp(-(t-1) epsilon)/2)
    # and let OpenDP's own privacy map decide.
    threshold = max(2, 1 + math.ceil(math.log(1 / delta) / epsilon))
    while True:
        candidate = measurement(threshold)
        spent_epsilon, spent_delta = candidate.map(1)
        if spent_epsilon > epsilon * (1 + 1e-9):
            raise ReleaseError("OpenDP could not calibrate the noise to this epsilon")
        if spent_delta <= delta:
            break
        threshold += 1
    noisy = candidate(list(keys))
    return {key: max(int(count), 0) for key, count in noisy.items()}, threshold

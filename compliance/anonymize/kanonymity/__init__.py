"""k-anonymity with optional distinct l-diversity: strict Mondrian multidimensional partitioning
(LeFevre, DeWitt, Ramakrishnan, ICDE 2006) with bounded outlier suppression.

Each quasi-identifier (QI) column is encoded once into ordinal codes (0 = null, which is a value of its
own). Mondrian then splits partitions top-down: every partition is cut at the median of its widest
(normalised) QI, on a value boundary (strict), as long as both halves keep >= k rows and, when asked,
>= l distinct sensitive values; a cut that would break that is not made, and the next widest QI is
tried. A partition that can no longer be cut may drop its extreme value run (fewer than k rows, e.g.
one 97-year-old among thirty-somethings) when that lowers the total information loss and the
suppression budget (`max_suppression` x rows) allows. Every remaining partition is published with its
QI values generalised by kind (see `_generalise`), so each published QI combination covers >= k rows.

The splits are level-synchronous and vectorised: all partitions of one level are cut together using
per-QI row orders kept sorted by (partition, code) and re-grouped with a stable O(n) partition step,
so the cost is O(levels x QIs x n) numpy work with no Python loop per row or per partition.

Information loss is the normalised certainty penalty (NCP, Xu et al. 2006) of what is published: per
row and QI, the width of the published interval over the width of the column's domain (numeric, date),
the fraction of masked characters (zip prefix), or (|set| - 1) / (|domain| - 1) (categorical); "*"
and suppressed rows count 1, exact values 0. `information_loss` is the mean over all input rows and
QIs, in [0, 1].

Tokens: a QI cell may hold a token (TOKEN_REGEX), a direct identifier tokenized upstream or by its
own type's anonymizer (an e-mail in a ZIP column). A token is never generalised (a masked token is
neither a token nor a value): it is published whole, and for the search it is "withheld", one value
shared by all tokens of the column, which tells a linkage attacker no more than "*" does. A class
holding tokens publishes "*" on its other rows; read with every token as "*", each published
combination covers >= k rows, and its rows count as fully generalised in the information loss.

Distributed engines: k-anonymity is a property of the whole file, not of a batch (a class with k rows
split over two batches would be published with fewer than k). The Spark job therefore collects the QI
columns plus a row id (and the sensitive column) to the driver, calls `k_anonymize` on that narrow
table once, and joins the generalised QI columns back to the rows by row id, dropping suppressed ids;
1M rows x 4 QIs are a few tens of MB and take seconds on one core.

Modules: `encoding` (QI columns -> ordinal codes), `mondrian` (the search and outlier suppression),
`hierarchies` (what a class publishes per kind, and its loss); this one checks the arguments and
assembles the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from compliance.anonymize.kanonymity.encoding import QUASI_KINDS, codes_with_null, encode, encode_sensitive
from compliance.anonymize.kanonymity.hierarchies import Classes, generalise
from compliance.anonymize.kanonymity.mondrian import FINAL, SUPPRESSED, Mondrian

__all__ = ["QUASI_KINDS", "KAnonymityResult", "k_anonymize"]

SUPPRESSED_LOSS = 1.0


@dataclass
class KAnonymityResult:
    """`table`: the input's columns and row order minus suppressed rows; QI columns become strings
    holding generalised values (null stays null). `k` and `l` are the guarantees that were enforced."""

    table: pa.Table
    kept_rows: np.ndarray
    suppressed_rows: np.ndarray
    k: int
    l: int | None  # noqa: E741 - the name of the parameter in the literature
    information_loss: float
    equivalence_classes: int

    def stats(self, quasi_identifiers: dict[str, str], sensitive: str | None) -> dict:
        """What a manifest / summary records about this pass (JSON-serialisable, no values)."""
        return {
            "applied": True,
            "k": self.k,
            "l": self.l,
            "quasi_identifiers": dict(quasi_identifiers),
            "sensitive": sensitive,
            "suppressed": len(self.suppressed_rows),
            "information_loss": round(float(self.information_loss), 4),
            "equivalence_classes": int(self.equivalence_classes),
        }


def k_anonymize(
    table: pa.Table,
    quasi_identifiers: dict[str, str],
    k: int,
    *,
    sensitive: str | None = None,
    l: int | None = None,  # noqa: E741
    max_suppression: float = 0.05,
) -> KAnonymityResult:
    """Generalise the QI columns (column -> kind, see QUASI_KINDS) so every combination of published QI
    values covers >= k rows (and >= l distinct `sensitive` values when l is given), suppressing at most
    `max_suppression` of the rows. Raises ValueError on bad arguments or when that is impossible."""
    _check_arguments(table, quasi_identifiers, k, sensitive, l, max_suppression)
    n = table.num_rows
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return KAnonymityResult(table, empty, empty, k, l, information_loss=0.0, equivalence_classes=0)
    budget = int(np.floor(max_suppression * n + 1e-9))
    dims = [encode(table.column(name), name, kind) for name, kind in quasi_identifiers.items()]
    sensitive_codes = encode_sensitive(table.column(sensitive)) if l is not None else None
    if sensitive_codes is not None and n >= k:
        distinct = len(np.unique(sensitive_codes))
        if distinct < l:
            raise ValueError(
                f"cannot make the table {l}-diverse: column {sensitive!r} has only {distinct} distinct values"
            )
    if 0 < n < k and n > budget:
        raise ValueError(
            f"cannot make the table {k}-anonymous: it has {n} rows, fewer than k, and suppressing them "
            f"exceeds max_suppression={max_suppression}"
        )
    search = Mondrian(dims, sensitive_codes, k, l or 0, budget)
    search.run()
    return _publish(search, table, k, l)


def _check_arguments(
    table: pa.Table,
    quasi_identifiers: dict[str, str],
    k: int,
    sensitive: str | None,
    diversity: int | None,
    max_suppression: float,
) -> None:
    if not isinstance(k, int) or k < 2:
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    if not quasi_identifiers:
        raise ValueError("k-anonymity needs at least one quasi-identifier column")
    missing = [name for name in quasi_identifiers if name not in table.column_names]
    if missing:
        raise ValueError(f"quasi-identifier columns not in the table: {missing}")
    unknown = {name: kind for name, kind in quasi_identifiers.items() if kind not in QUASI_KINDS}
    if unknown:
        raise ValueError(f"unknown quasi-identifier kinds {unknown}; known: {sorted(QUASI_KINDS)}")
    if not 0.0 <= max_suppression <= 1.0:
        raise ValueError(f"max_suppression must be in [0, 1], got {max_suppression!r}")
    if diversity is None:
        return
    if not isinstance(diversity, int) or diversity < 2:
        raise ValueError(f"l must be an integer >= 2, got {diversity!r}")
    if sensitive is None:
        raise ValueError("l-diversity needs the sensitive column")
    if sensitive not in table.column_names:
        raise ValueError(f"sensitive column {sensitive!r} is not in the table")
    if sensitive in quasi_identifiers:
        raise ValueError(f"column {sensitive!r} cannot be both quasi-identifier and sensitive")


def _publish(search: Mondrian, table: pa.Table, k: int, diversity: int | None) -> KAnonymityResult:
    """The input's rows minus suppressed ones, each QI column generalised per final segment."""
    n = search.n
    seg = search.segment_of_position()
    row_segment = search.row_segment(seg)
    row_state = search.state[row_segment] if n else np.zeros(0, np.int8)
    kept_rows = np.flatnonzero(row_state == FINAL)
    suppressed_rows = np.flatnonzero(row_state == SUPPRESSED)
    final = np.flatnonzero(search.state == FINAL)
    out = table.take(pa.array(kept_rows, pa.int64()))
    loss_sum = float(len(suppressed_rows)) * SUPPRESSED_LOSS * len(search.dims)
    class_codes = []
    segment_rank = np.searchsorted(final, row_segment[kept_rows])
    for j, dim in enumerate(search.dims):
        view = Classes.of(dim.codes[search.orders[j]], seg, final, search.start, search.size)
        published, loss = generalise(dim, view)
        loss_sum += float(np.dot(loss, search.size[final]))
        class_codes.append(codes_with_null(published))
        column = published.take(pa.array(segment_rank, pa.int64()))
        if dim.withheld is not None:  # a token is published whole (its class publishes "*" otherwise)
            tokens = pa.array(dim.codes[kept_rows] == dim.withheld)
            kept_text = pc.utf8_trim_whitespace(out.column(dim.column).combine_chunks().cast(pa.string()))
            column = pc.if_else(tokens, kept_text, column)
        out = out.set_column(out.column_names.index(dim.column), dim.column, column)
    class_count = len(np.unique(np.stack(class_codes, axis=1), axis=0)) if len(final) else 0
    information_loss = loss_sum / (n * len(search.dims)) if n else 0.0
    return KAnonymityResult(
        table=out,
        kept_rows=kept_rows,
        suppressed_rows=suppressed_rows,
        k=k,
        l=diversity,
        information_loss=min(max(information_loss, 0.0), 1.0),
        equivalence_classes=class_count,
    )

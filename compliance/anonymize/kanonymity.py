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

Distributed engines: k-anonymity is a property of the whole file, not of a batch (a class with k rows
split over two batches would be published with fewer than k). The Spark job therefore collects the QI
columns plus a row id (and the sensitive column) to the driver, calls `k_anonymize` on that narrow
table once, and joins the generalised QI columns back to the rows by row id, dropping suppressed ids;
1M rows x 4 QIs are a few tens of MB and take seconds on one core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NUMERIC_KINDS = frozenset({"age", "number"})
CATEGORICAL_KINDS = frozenset({"gender", "category", "city"})
QUASI_KINDS = NUMERIC_KINDS | CATEGORICAL_KINDS | {"zip", "date"}

MAX_SET_VALUES = 8  # larger categorical sets are published as "*": long lists help nobody
SUPPRESSED_LOSS = 1.0
# An outlier run (fewer than k rows at one end of a partition's QI range) is suppressed, budget allowing,
# when dropping it removes at least this share of the partition's width and this share of the column's.
OUTLIER_SHARE = 0.5
OUTLIER_MIN_GAP = 0.1

_ACTIVE, _FINAL, _SUPPRESSED = 0, 1, 2
_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_US_ZIP_PLUS4 = r"^[0-9]{5}-?[0-9]{4}$"
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


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


@dataclass
class _Dimension:
    """One QI column as ordinal codes: 0 = null, 1..m = rank of the distinct value."""

    column: str
    kind: str
    codes: np.ndarray  # int64 per row
    coordinates: np.ndarray  # float64 per code: the value (numeric, date as days) or the rank
    labels: pa.Array | None  # string per code - 1, for zip and categorical kinds

    @property
    def scale(self) -> float:
        """Spread of the column, which normalises widths so QIs of different units compare."""
        present = self.coordinates[1:]
        return float(present[-1] - present[0]) if len(present) > 1 else 0.0

    def widths(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """Normalised width of code ranges; a range mixing null and values is maximal (published "*")."""
        scale = self.scale
        spread = self.coordinates[high] - self.coordinates[low]
        width = spread / scale if scale > 0 else np.zeros(len(low))
        return np.where((low == 0) & (high > 0), 1.0, np.where(high == 0, 0.0, width))


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
    dims = [_encode(table.column(name), name, kind) for name, kind in quasi_identifiers.items()]
    sensitive_codes = _encode_sensitive(table.column(sensitive)) if l is not None else None
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
    mondrian = _Mondrian(dims, sensitive_codes, k, l or 0, budget)
    mondrian.run()
    return mondrian.result(table, k, l)


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


# --- encoding -----------------------------------------------------------------------------------


def _dictionary(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(index per row, -1 for null; distinct values): every later parse runs on distinct values only."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    encoded = column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, encoded.dictionary


def _as_text(values: pa.Array) -> pa.Array:
    text = values if pa.types.is_string(values.type) else values.cast(pa.string())
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _parse_numbers(values: pa.Array) -> np.ndarray:
    """float64 per value, NaN for null or anything that is not a number."""
    if (
        pa.types.is_integer(values.type)
        or pa.types.is_floating(values.type)
        or pa.types.is_decimal(values.type)
    ):
        numbers = values.cast(pa.float64())
    else:
        text = _as_text(values)
        valid = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
        numbers = pc.if_else(valid, text, pa.scalar(None, pa.string())).cast(pa.float64())
    out = numbers.to_numpy(zero_copy_only=False).astype(np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


def _parse_days(values: pa.Array) -> np.ndarray:
    """Days since 1970-01-01 per value (ISO or US m/d/Y text, date or timestamp types), NaN if not a date."""
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        dates = values.cast(pa.date32())
    else:
        text = pc.utf8_slice_codeunits(_as_text(values), 0, 10)
        parsed = [pc.strptime(text, format=fmt, unit="s", error_is_null=True) for fmt in _DATE_FORMATS]
        dates = pc.coalesce(*parsed).cast(pa.date32())
    return dates.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.float64)


def _normalise_zip(values: pa.Array) -> pa.Array:
    if pa.types.is_integer(values.type):
        return pc.utf8_lpad(values.cast(pa.string()), width=5, padding="0")
    text = pc.utf8_upper(_as_text(values))
    text = pc.replace_substring_regex(text, pattern=r"[^\x20-\x7E]", replacement="?")  # byte = character
    zip_plus4 = pc.fill_null(pc.match_substring_regex(text, _US_ZIP_PLUS4), False)
    return pc.if_else(zip_plus4, pc.utf8_slice_codeunits(text, 0, 5), text)


def _encode(column: pa.ChunkedArray, name: str, kind: str) -> _Dimension:
    indices, distinct = _dictionary(column)
    if kind in NUMERIC_KINDS or kind == "date":
        values = _parse_numbers(distinct) if kind in NUMERIC_KINDS else _parse_days(distinct)
        present = np.unique(values[~np.isnan(values)])
        entry_codes = np.where(np.isnan(values), 0, np.searchsorted(present, values) + 1)
        coordinates = np.concatenate([[0.0], present])
        labels = None
    else:
        text = _normalise_zip(distinct) if kind == "zip" else _as_text(distinct)
        entry_indices, labels = _dictionary(text)
        order = pc.array_sort_indices(labels).to_numpy()
        labels = labels.take(pa.array(order))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        entry_codes = np.where(entry_indices < 0, 0, rank[entry_indices] + 1)
        coordinates = np.arange(len(order) + 1, dtype=np.float64)
    entry_codes = np.append(entry_codes.astype(np.int64), 0)  # index -1 (null row) -> code 0
    return _Dimension(name, kind, entry_codes[indices], coordinates, labels)


def _encode_sensitive(column: pa.ChunkedArray) -> np.ndarray:
    indices, distinct = _dictionary(column)
    return np.where(indices < 0, len(distinct), indices)  # null is one more sensitive value


# --- Mondrian -----------------------------------------------------------------------------------


class _Mondrian:
    """Level-synchronous strict Mondrian over contiguous partitions ("segments") of per-QI row orders."""

    def __init__(
        self,
        dims: list[_Dimension],
        sensitive: np.ndarray | None,
        k: int,
        diversity: int,
        budget: int,
    ) -> None:
        self.dims = dims
        self.sensitive = sensitive
        self.k, self.diversity, self.budget = k, diversity, budget
        self.n = len(dims[0].codes)
        # One row order per QI (and one for the sensitive column): sorted by (segment, code).
        self.orders = [np.argsort(d.codes, kind="stable") for d in dims]
        if sensitive is not None:
            self.orders.append(np.argsort(sensitive, kind="stable"))
        self.start = np.zeros(1 if self.n else 0, dtype=np.int64)
        self.size = np.full(len(self.start), self.n, dtype=np.int64)
        self.state = np.full(len(self.start), _ACTIVE if self.n >= k else _SUPPRESSED, dtype=np.int8)
        self.budget -= self.n if self.n and self.n < k else 0

    def run(self) -> None:
        while (self.state == _ACTIVE).any():
            cut, cut_dim, suppress_side = self._choose_actions()
            acting = cut >= 0
            self.state[(self.state == _ACTIVE) & ~acting] = _FINAL
            if not acting.any():
                break
            self._apply(cut, cut_dim, suppress_side)

    def _segment_of_position(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.start)), self.size)

    def _choose_actions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per segment: cut position (-1 = none), the QI whose order it is in, and which side is
        suppressed (-1 none, 0 left, 1 right)."""
        k, nseg = self.k, len(self.start)
        start, size = self.start, self.size
        end = start + size
        active = self.state == _ACTIVE
        seg = self._segment_of_position()
        groups = self._sensitive_groups(seg) if self.sensitive is not None else None

        best_width = np.zeros(nseg)
        split_cut = np.full(nseg, -1, dtype=np.int64)
        split_dim = np.full(nseg, -1, dtype=np.int64)
        trims = []
        for j, dim in enumerate(self.dims):
            sorted_codes = dim.codes[self.orders[j]]
            stride = len(dim.coordinates) + 1
            key = seg * stride + sorted_codes  # globally sorted: segments are contiguous, codes sorted
            base = np.arange(nseg) * stride
            low, high = sorted_codes[start], sorted_codes[end - 1]
            width = dim.widths(low, high)

            def cut_at(codes: np.ndarray, side: str, base: np.ndarray = base, key: np.ndarray = key):
                return np.searchsorted(key, base + codes, side=side)

            def diverse(cut: np.ndarray, j: int = j, codes: np.ndarray = sorted_codes) -> tuple:
                if groups is None:
                    return np.ones(nseg, bool), np.ones(nseg, bool)
                threshold = codes[np.minimum(cut, self.n - 1)]
                return self._diverse_sides(groups, j, threshold, nseg)

            median = sorted_codes[start + size // 2]
            best_dim_cut = np.full(nseg, -1, dtype=np.int64)
            best_balance = np.zeros(nseg, dtype=np.int64)
            null_cut = np.where(low == 0, cut_at(np.zeros(nseg, np.int64), "right"), -1)
            # Both value boundaries around the median (strict: equal values stay together), then the
            # null boundary, which wins when allowed: a partition mixing null and values publishes "*".
            for cut, is_null_cut in (
                (cut_at(median, "left"), False),
                (cut_at(median, "right"), False),
                (null_cut, True),
            ):
                left, right = cut - start, end - cut
                left_ok, right_ok = diverse(cut)
                ok = (cut >= 0) & (left >= k) & (right >= k) & left_ok & right_ok
                balance = np.minimum(left, right)
                better = ok & ((balance > best_balance) | is_null_cut)
                best_dim_cut = np.where(better, cut, best_dim_cut)
                best_balance = np.where(better, balance, best_balance)
            wider = active & (best_dim_cut >= 0) & (width > best_width)
            best_width = np.where(wider, width, best_width)
            split_cut = np.where(wider, best_dim_cut, split_cut)
            split_dim = np.where(wider, j, split_dim)

            # Outlier trims: the lowest or highest value run, when it has fewer than k rows.
            low_cut, high_cut = cut_at(low, "right"), cut_at(high, "left")
            _, low_rest_ok = diverse(low_cut)
            high_rest_ok, _ = diverse(high_cut)
            low_kept_width = dim.widths(sorted_codes[np.minimum(low_cut, self.n - 1)], high)
            high_kept_width = dim.widths(low, sorted_codes[np.maximum(high_cut - 1, 0)])
            for cut, dropped, kept_ok, kept_width, high_side in (
                (low_cut, low_cut - start, low_rest_ok, low_kept_width, False),
                (high_cut, end - high_cut, high_rest_ok, high_kept_width, True),
            ):
                ok = (dropped > 0) & (dropped < k) & (size - dropped >= k) & kept_ok
                trims.append((j, cut, dropped, ok, width, width - kept_width, high_side))

        return self._with_trims(split_cut, split_dim, trims, active)

    def _with_trims(
        self, split_cut: np.ndarray, split_dim: np.ndarray, trims: list, active: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Replace cuts by outlier trims where granted: largest narrowing per dropped row first, while
        the suppression budget lasts."""
        nseg = len(self.start)
        suppress_side = np.full(nseg, -1, dtype=np.int8)
        if self.budget <= 0:
            return split_cut, split_dim, suppress_side
        best_score = np.zeros(nseg)
        trim_cut = np.full(nseg, -1, dtype=np.int64)
        trim_dim = np.full(nseg, -1, dtype=np.int64)
        trim_dropped = np.zeros(nseg, dtype=np.int64)
        trim_side = np.full(nseg, -1, dtype=np.int8)
        for j, cut, dropped, ok, width, narrowing, high_side in trims:
            outlier = ok & (narrowing >= OUTLIER_SHARE * width) & (narrowing >= OUTLIER_MIN_GAP)
            score = narrowing / np.maximum(dropped, 1)
            better = active & outlier & (score > best_score)
            best_score = np.where(better, score, best_score)
            trim_cut = np.where(better, cut, trim_cut)
            trim_dim = np.where(better, j, trim_dim)
            trim_dropped = np.where(better, dropped, trim_dropped)
            trim_side = np.where(better, np.int8(1 if high_side else 0), trim_side)
        candidates = np.flatnonzero(trim_cut >= 0)
        if len(candidates):
            ranked = candidates[np.argsort(-best_score[candidates], kind="stable")]
            granted = ranked[np.cumsum(trim_dropped[ranked]) <= self.budget]
            self.budget -= int(trim_dropped[granted].sum())
            split_cut, split_dim = split_cut.copy(), split_dim.copy()
            split_cut[granted] = trim_cut[granted]
            split_dim[granted] = trim_dim[granted]
            suppress_side[granted] = trim_side[granted]
        return split_cut, split_dim, suppress_side

    def _sensitive_groups(self, seg: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """Distinct (segment, sensitive value) groups with, per QI, the min and max code in the group:
        a cut below threshold t leaves #groups(min < t) distinct values left, #groups(max >= t) right."""
        order = self.orders[-1]
        values = self.sensitive[order]
        first = np.ones(self.n, dtype=bool)
        first[1:] = (seg[1:] != seg[:-1]) | (values[1:] != values[:-1])
        starts = np.flatnonzero(first)
        mins, maxs = [], []
        for dim in self.dims:
            codes = dim.codes[order]
            mins.append(np.minimum.reduceat(codes, starts))
            maxs.append(np.maximum.reduceat(codes, starts))
        return seg[starts], mins, maxs

    def _diverse_sides(self, groups: tuple, j: int, threshold: np.ndarray, nseg: int) -> tuple:
        group_seg, mins, maxs = groups
        t = threshold[group_seg]
        left = np.bincount(group_seg, weights=mins[j] < t, minlength=nseg)
        right = np.bincount(group_seg, weights=maxs[j] >= t, minlength=nseg)
        return left >= self.diversity, right >= self.diversity

    def _apply(self, cut: np.ndarray, cut_dim: np.ndarray, suppress_side: np.ndarray) -> None:
        acting = cut >= 0
        seg = self._segment_of_position()
        positions = np.arange(self.n)
        right_side = np.zeros(self.n, dtype=bool)  # per row
        for j, order in enumerate(self.orders[: len(self.dims)]):
            in_dim = cut_dim[seg] == j
            right_side[order[in_dim]] = positions[in_dim] >= cut[seg[in_dim]]
        left_size = np.where(acting, cut - self.start, self.size)
        seg_start = self.start[seg]
        left_rank_base = positions - seg_start
        left_size_at = left_size[seg]
        self.orders = [
            _regroup(order, right_side, self.start, seg, seg_start, left_rank_base, left_size_at)
            for order in self.orders
        ]

        kept_state = np.where(self.state == _ACTIVE, _FINAL, self.state).astype(np.int8)
        left_state = np.where(acting, np.where(suppress_side == 0, _SUPPRESSED, _ACTIVE), kept_state)
        right_state = np.where(suppress_side == 1, _SUPPRESSED, _ACTIVE)[acting]
        starts = np.concatenate([self.start, cut[acting]])
        states = np.concatenate([left_state, right_state]).astype(np.int8)
        order = np.argsort(starts, kind="stable")
        self.start, self.state = starts[order], states[order]
        self.size = np.diff(np.append(self.start, self.n))

    # --- publishing -----------------------------------------------------------------------------

    def result(self, table: pa.Table, k: int, diversity: int | None) -> KAnonymityResult:
        n = self.n
        seg = self._segment_of_position()
        row_segment = np.empty(n, dtype=np.int64)
        if n:
            row_segment[self.orders[0]] = seg
        row_state = self.state[row_segment] if n else np.zeros(0, np.int8)
        kept_rows = np.flatnonzero(row_state == _FINAL)
        suppressed_rows = np.flatnonzero(row_state == _SUPPRESSED)
        final = np.flatnonzero(self.state == _FINAL)
        out = table.take(pa.array(kept_rows, pa.int64()))
        loss_sum = float(len(suppressed_rows)) * SUPPRESSED_LOSS * len(self.dims)
        class_codes = []
        segment_rank = np.searchsorted(final, row_segment[kept_rows])
        for j, dim in enumerate(self.dims):
            sorted_codes = dim.codes[self.orders[j]]
            low = sorted_codes[self.start[final]]
            high = sorted_codes[self.start[final] + self.size[final] - 1]
            published, loss = _generalise(dim, low, high, final, seg, sorted_codes)
            loss_sum += float(np.dot(loss, self.size[final]))
            class_codes.append(_codes_with_null(published))
            column = published.take(pa.array(segment_rank, pa.int64()))
            out = out.set_column(out.column_names.index(dim.column), dim.column, column)
        classes = len(np.unique(np.stack(class_codes, axis=1), axis=0)) if len(final) else 0
        information_loss = loss_sum / (n * len(self.dims)) if n else 0.0
        return KAnonymityResult(
            table=out,
            kept_rows=kept_rows,
            suppressed_rows=suppressed_rows,
            k=k,
            l=diversity,
            information_loss=min(max(information_loss, 0.0), 1.0),
            equivalence_classes=classes,
        )


def _regroup(
    order: np.ndarray,
    right_side: np.ndarray,
    start: np.ndarray,
    seg: np.ndarray,
    seg_start: np.ndarray,
    left_rank_base: np.ndarray,
    left_size_at: np.ndarray,
) -> np.ndarray:
    """Stable partition of each segment of `order` into (left rows, right rows), keeping the code order
    inside both: O(n), no sort. The per-position arrays are shared by all orders of one level."""
    right = right_side[order]
    right_before = np.cumsum(right, dtype=np.int64)
    right_before -= right
    right_rank = right_before - right_before[start][seg]
    target = seg_start + np.where(right, left_size_at + right_rank, left_rank_base - right_rank)
    regrouped = np.empty_like(order)
    regrouped[target] = order
    return regrouped


def _codes_with_null(values: pa.Array) -> np.ndarray:
    indices, _ = _dictionary(values)
    return indices


# --- generalisation hierarchies ---------------------------------------------------------------------


def _generalise(
    dim: _Dimension,
    low: np.ndarray,
    high: np.ndarray,
    final: np.ndarray,
    seg: np.ndarray,
    sorted_codes: np.ndarray,
) -> tuple[pa.Array, np.ndarray]:
    """Published string and NCP per final segment, from the segment's lowest and highest code.

    age: "34", "30-39" (within one decade), else the partition range "25-47"; number: "3.5" or
    "[1, 9]"; date: "1984-03-15" -> "1984-03" -> "1984" -> "1984-1990"; zip: common prefix padded with
    "*" ("021**"); gender/category/city: the value, a set "{F,M}", or "*" (whole domain or more than
    MAX_SET_VALUES). All null stays null; null mixed with values is "*".
    """
    if dim.kind in NUMERIC_KINDS:
        text, loss = _generalise_numbers(dim, low, high)
    elif dim.kind == "date":
        text, loss = _generalise_dates(dim, low, high)
    elif dim.kind == "zip":
        text, loss = _generalise_zips(dim, low, high)
    else:
        text, loss = _generalise_categories(dim, low, high, final, seg, sorted_codes)
    all_null, mixed = high == 0, (low == 0) & (high > 0)
    text = pc.if_else(pa.array(mixed), pa.scalar("*"), text)
    text = pc.if_else(pa.array(all_null), pa.scalar(None, pa.string()), text)
    loss = np.where(mixed, 1.0, np.where(all_null, 0.0, loss))
    return text, np.clip(loss, 0.0, 1.0)


def _format_numbers(values: np.ndarray) -> pa.Array:
    integral = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**53)
    as_int = pa.array(np.where(integral, values, 0).astype(np.int64)).cast(pa.string())
    return pc.if_else(pa.array(integral), as_int, pa.array(values).cast(pa.string()))


def _ratio(width: np.ndarray, scale: float) -> np.ndarray:
    return width / scale if scale > 0 else np.zeros(len(width))


def _generalise_numbers(dim: _Dimension, low: np.ndarray, high: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    lo, hi = dim.coordinates[low], dim.coordinates[high]
    lo_text, hi_text = _format_numbers(lo), _format_numbers(hi)
    exact = pa.array(lo == hi)
    if dim.kind == "age":
        decade = np.floor(lo / 10) * 10
        in_decade = (
            (lo == np.round(lo)) & (hi == np.round(hi)) & (np.floor(hi / 10) * 10 == decade) & (lo != hi)
        )
        decade_text = pc.binary_join_element_wise(_format_numbers(decade), _format_numbers(decade + 9), "-")
        ranged = pc.if_else(
            pa.array(in_decade), decade_text, pc.binary_join_element_wise(lo_text, hi_text, "-")
        )
        width = np.where(in_decade, 9.0, hi - lo)
    else:
        ranged = pc.binary_join_element_wise("[", lo_text, ", ", hi_text, "]", "")
        width = hi - lo
    return pc.if_else(exact, lo_text, ranged), _ratio(width, dim.scale)


def _generalise_dates(dim: _Dimension, low: np.ndarray, high: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    lo = dim.coordinates[low].astype("datetime64[D]")
    hi = dim.coordinates[high].astype("datetime64[D]")
    lo_month, hi_month = lo.astype("datetime64[M]"), hi.astype("datetime64[M]")
    lo_year, hi_year = lo.astype("datetime64[Y]"), hi.astype("datetime64[Y]")
    same_day, same_month, same_year = lo == hi, lo_month == hi_month, lo_year == hi_year

    def days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (b.astype("datetime64[D]") - a.astype("datetime64[D]")).astype(np.float64)

    year_range = pc.binary_join_element_wise(
        pa.array(np.datetime_as_string(lo_year)), pa.array(np.datetime_as_string(hi_year)), "-"
    )
    text = pc.if_else(pa.array(same_year), pa.array(np.datetime_as_string(lo_year)), year_range)
    text = pc.if_else(pa.array(same_month), pa.array(np.datetime_as_string(lo_month)), text)
    text = pc.if_else(pa.array(same_day), pa.array(np.datetime_as_string(lo)), text)
    width = np.where(
        same_day,
        0.0,
        np.where(
            same_month,
            days(lo_month, lo_month + 1) - 1,
            np.where(same_year, days(lo_year, lo_year + 1) - 1, days(lo_year, hi_year + 1) - 1),
        ),
    )
    return text, _ratio(width, dim.scale)


def _generalise_zips(dim: _Dimension, low: np.ndarray, high: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    labels = dim.labels.cast(pa.binary()).to_pylist() if dim.labels is not None else []
    width = max((len(v) for v in labels), default=1)
    matrix = np.frombuffer(b"".join(v.ljust(width, b"\0") for v in labels) or b"\0", np.uint8)
    matrix = np.vstack([np.zeros((1, width), np.uint8), matrix[: len(labels) * width].reshape(-1, width)])
    lengths = np.concatenate([[0], [len(v) for v in labels]]).astype(np.int64)
    a, b = matrix[low], matrix[high]
    prefix = np.cumprod(a == b, axis=1).sum(axis=1)
    length = np.maximum(lengths[low], lengths[high])
    columns = np.arange(width)
    chars = np.where(columns < prefix[:, None], a, np.uint8(ord("*")))
    offsets = np.concatenate([[0], np.cumsum(length)]).astype(np.int32)
    data = chars[columns < length[:, None]]
    text = pa.Array.from_buffers(pa.string(), len(low), [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    masked = (length - np.minimum(prefix, length)).astype(np.float64)
    loss = np.where(length > 0, masked / np.maximum(length, 1), 0.0)
    return text, loss


def _generalise_categories(
    dim: _Dimension,
    low: np.ndarray,
    high: np.ndarray,
    final: np.ndarray,
    seg: np.ndarray,
    sorted_codes: np.ndarray,
) -> tuple[pa.Array, np.ndarray]:
    domain = len(dim.coordinates) - 1
    if domain == 0:  # the column is all null
        return pa.nulls(len(low), pa.string()), np.zeros(len(low))
    # Distinct non-null codes per final segment: runs of equal (segment, code) in the sorted order.
    run_start = np.ones(len(seg), dtype=bool)
    run_start[1:] = (seg[1:] != seg[:-1]) | (sorted_codes[1:] != sorted_codes[:-1])
    runs = np.flatnonzero(run_start & (sorted_codes > 0))
    final_rank = np.full(int(seg[-1]) + 1 if len(seg) else 0, -1, dtype=np.int64)
    final_rank[final] = np.arange(len(final))
    runs = runs[final_rank[seg[runs]] >= 0]
    run_segment = final_rank[seg[runs]]
    set_size = np.bincount(run_segment, minlength=len(final))
    offsets = np.concatenate([[0], np.cumsum(set_size)]).astype(np.int32)
    members = dim.labels.take(pa.array(sorted_codes[runs] - 1, pa.int64()))
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), members), ",")
    text = pc.binary_join_element_wise("{", joined, "}", "")
    whole = (set_size >= domain) | (set_size > MAX_SET_VALUES)
    text = pc.if_else(pa.array(whole), pa.scalar("*"), text)
    text = pc.if_else(pa.array(set_size == 1), dim.labels.take(pa.array(np.maximum(low, 1) - 1)), text)
    loss = np.where(set_size <= 1, 0.0, np.where(whole, 1.0, (set_size - 1) / max(domain - 1, 1)))
    return text, loss

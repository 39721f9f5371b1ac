"""The search of k-anonymity: level-synchronous strict Mondrian with bounded outlier suppression over
the ordinal codes of the quasi-identifiers (see the package docstring for the method and its cost)."""

from __future__ import annotations

import numpy as np

from compliance.anonymize.kanonymity.encoding import Dimension

# An outlier run (fewer than k rows at one end of a partition's QI range) is suppressed, budget allowing,
# when dropping it removes at least this share of the partition's width and this share of the column's.
OUTLIER_SHARE = 0.5
OUTLIER_MIN_GAP = 0.1

ACTIVE, FINAL, SUPPRESSED = 0, 1, 2  # the state of a segment


class Mondrian:
    """Level-synchronous strict Mondrian over contiguous partitions ("segments") of per-QI row orders."""

    def __init__(
        self,
        dims: list[Dimension],
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
        self.state = np.full(len(self.start), ACTIVE if self.n >= k else SUPPRESSED, dtype=np.int8)
        self.budget -= self.n if self.n and self.n < k else 0

    def run(self) -> None:
        while (self.state == ACTIVE).any():
            cut, cut_dim, suppress_side = self._choose_actions()
            acting = cut >= 0
            self.state[(self.state == ACTIVE) & ~acting] = FINAL
            if not acting.any():
                break
            self._apply(cut, cut_dim, suppress_side)

    def segment_of_position(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.start)), self.size)

    def _choose_actions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per segment: cut position (-1 = none), the QI whose order it is in, and which side is
        suppressed (-1 none, 0 left, 1 right)."""
        k, nseg = self.k, len(self.start)
        start, size = self.start, self.size
        end = start + size
        active = self.state == ACTIVE
        seg = self.segment_of_position()
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
            withheld_cut = np.full(nseg, -1, dtype=np.int64)
            if dim.withheld is not None:
                tokens_and_more = (high == dim.withheld) & (low != dim.withheld)
                withheld_cut = np.where(tokens_and_more, cut_at(np.full(nseg, dim.withheld), "left"), -1)
            # Both value boundaries around the median (strict: equal values stay together), then the
            # null and token boundaries, which win when allowed: a partition mixing null or tokens
            # with values publishes "*".
            for cut, preferred in (
                (cut_at(median, "left"), False),
                (cut_at(median, "right"), False),
                (null_cut, True),
                (withheld_cut, True),
            ):
                left, right = cut - start, end - cut
                left_ok, right_ok = diverse(cut)
                ok = (cut >= 0) & (left >= k) & (right >= k) & left_ok & right_ok
                balance = np.minimum(left, right)
                better = ok & ((balance > best_balance) | preferred)
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
        seg = self.segment_of_position()
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

        kept_state = np.where(self.state == ACTIVE, FINAL, self.state).astype(np.int8)
        left_state = np.where(acting, np.where(suppress_side == 0, SUPPRESSED, ACTIVE), kept_state)
        right_state = np.where(suppress_side == 1, SUPPRESSED, ACTIVE)[acting]
        starts = np.concatenate([self.start, cut[acting]])
        states = np.concatenate([left_state, right_state]).astype(np.int8)
        order = np.argsort(starts, kind="stable")
        self.start, self.state = starts[order], states[order]
        self.size = np.diff(np.append(self.start, self.n))

    def row_segment(self, seg: np.ndarray) -> np.ndarray:
        """The segment of every row, from `seg` (segment_of_position)."""
        row_segment = np.empty(self.n, dtype=np.int64)
        if self.n:
            row_segment[self.orders[0]] = seg
        return row_segment


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

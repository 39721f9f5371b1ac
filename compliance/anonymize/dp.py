"""Differential privacy for released aggregates (counts, histograms, means), with OpenDP.

This is aggregate DP: noise is added to the statistics a report or dashboard publishes, never to the
records themselves; records are protected by tokenization and k-anonymity. Every release goes through
an OpenDP measurement (discrete Laplace noise calibrated by OpenDP's own privacy map) and is charged
to a `PrivacyAccountant` first, which refuses a release that would exceed the total epsilon (pure
epsilon-DP, sequential composition: the epsilons of releases on the same data add up).

OpenDP is imported lazily by the measurements: this module is only needed where aggregates are
released, and the Flink venv does not ship OpenDP.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa

# Neighbouring datasets differ by one added or removed record (symmetric distance 1).
_NEIGHBOUR_DISTANCE = 1


class BudgetExceeded(RuntimeError):
    """A release would spend more epsilon than the accountant has left; nothing was released."""


class PrivacyAccountant:
    """Tracks the epsilon spent on one dataset's releases; thread-safe."""

    def __init__(self, total_epsilon: float) -> None:
        _check_epsilon(total_epsilon, "total_epsilon")
        self._total = float(total_epsilon)
        self._spent = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PrivacyAccountant(total_epsilon={self._total}, spent_epsilon={self._spent})"

    @property
    def total_epsilon(self) -> float:
        return self._total

    @property
    def spent_epsilon(self) -> float:
        return self._spent

    @property
    def remaining_epsilon(self) -> float:
        return max(self._total - self._spent, 0.0)

    def charge(self, epsilon: float) -> None:
        """Spend epsilon, or raise BudgetExceeded and spend nothing."""
        _check_epsilon(epsilon, "epsilon")
        with self._lock:
            # A relative tolerance so that, e.g., ten releases of 0.1 fit a budget of 1.0.
            if self._spent + epsilon > self._total * (1 + 1e-9):
                raise BudgetExceeded(
                    f"release needs epsilon={epsilon:g} but only {self._total - self._spent:g} "
                    f"of {self._total:g} is left"
                )
            self._spent += epsilon


def _check_epsilon(epsilon: float, name: str) -> None:
    if not isinstance(epsilon, int | float) or not math.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {epsilon!r}")


@cache
def _opendp() -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def _calibrated(source: Any, epsilon: float, d_in: Any, sensitivity: float) -> Any:
    """`source` (a transformation or a space) followed by Laplace noise with the smallest scale whose
    privacy map gives <= epsilon: sensitivity / epsilon, or OpenDP's binary search when float rounding
    puts that a hair above."""
    dp = _opendp()

    def make(scale: float) -> Any:
        return source >> dp.m.then_laplace(scale=scale)

    measurement = make(float(sensitivity) / epsilon)
    if measurement.map(d_in) <= epsilon:
        return measurement
    return make(dp.binary_search_param(make, d_in=d_in, d_out=epsilon))


def _release(
    measurement: Any, data: Any, accountant: PrivacyAccountant, d_in: Any = _NEIGHBOUR_DISTANCE
) -> Any:
    accountant.charge(measurement.map(d_in))
    return measurement(data)


def _as_list(values: pa.Array | pa.ChunkedArray | Sequence | np.ndarray) -> list:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.to_pylist()
    if isinstance(values, np.ndarray):
        return values.tolist()
    return list(values)


def dp_count(
    values: pa.Array | pa.ChunkedArray | Sequence | np.ndarray, epsilon: float, accountant: PrivacyAccountant
) -> int:
    """The number of records (nulls included) plus discrete Laplace noise of scale 1/epsilon."""
    _check_epsilon(epsilon, "epsilon")
    dp = _opendp()
    # Count, then noise: OpenDP's count gives the sensitivity, and the noise is applied to the exact
    # count, which is what the chained measurement computes, without moving every record over the FFI.
    records = dp.vector_domain(dp.atom_domain(T=bool)), dp.symmetric_distance()
    sensitivity = (records >> dp.t.then_count()).map(_NEIGHBOUR_DISTANCE)
    exact_count = dp.atom_domain(T=int), dp.absolute_distance(T=int)
    measurement = _calibrated(exact_count, epsilon, sensitivity, sensitivity)
    return int(_release(measurement, len(values), accountant, sensitivity))


def dp_histogram(
    values: pa.Array | pa.ChunkedArray | Sequence | np.ndarray,
    categories: Sequence[str],
    epsilon: float,
    accountant: PrivacyAccountant,
) -> dict[str, int]:
    """Noisy count per category (values outside `categories` are not reported). The category list must
    be public (not derived from the data), else the set of keys itself leaks. Negative noisy counts are
    clipped to 0, which is post-processing and costs no privacy."""
    _check_epsilon(epsilon, "epsilon")
    categories = [str(c) for c in categories]
    if not categories or len(set(categories)) != len(categories):
        raise ValueError("categories must be a non-empty list of distinct values")
    dp = _opendp()
    space = dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()

    counts = space >> dp.t.then_count_by_categories(categories=categories, null_category=False)
    data = ["" if v is None else str(v) for v in _as_list(values)]
    measurement = _calibrated(counts, epsilon, _NEIGHBOUR_DISTANCE, counts.map(_NEIGHBOUR_DISTANCE))
    noisy = _release(measurement, data, accountant)
    return {category: max(int(count), 0) for category, count in zip(categories, noisy, strict=True)}


def dp_mean(
    values: pa.Array | pa.ChunkedArray | Sequence | np.ndarray,
    lower: float,
    upper: float,
    epsilon: float,
    accountant: PrivacyAccountant,
) -> float:
    """Mean of the values clamped to [lower, upper] (public bounds), nulls and NaN dropped.

    The record count is private too, so half of epsilon buys a noisy count that fixes the dataset size
    (OpenDP resize: truncate or impute the midpoint), the other half the mean of that sized dataset.
    """
    _check_epsilon(epsilon, "epsilon")
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(f"bounds must be finite with lower < upper, got [{lower}, {upper}]")
    dp = _opendp()
    numbers = np.asarray(_as_list(values), dtype=np.float64)
    numbers = numbers[np.isfinite(numbers)].tolist()
    accountant.charge(epsilon)  # up front: the two halves below are one release
    half = PrivacyAccountant(epsilon)
    size = max(dp_count(numbers, epsilon / 2, half), 1)
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()
    bounds, midpoint = (float(lower), float(upper)), (float(lower) + float(upper)) / 2

    sized = space >> dp.t.then_clamp(bounds) >> dp.t.then_resize(size=size, constant=midpoint)
    mean_of_sized = sized >> dp.t.then_mean()
    sensitivity = mean_of_sized.map(_NEIGHBOUR_DISTANCE)
    measurement = _calibrated(mean_of_sized, half.remaining_epsilon, _NEIGHBOUR_DISTANCE, sensitivity)
    mean = float(_release(measurement, numbers, half))
    return min(max(mean, float(lower)), float(upper))

import numpy as np
import pyarrow as pa
import pytest

from compliance.anonymize.dp import BudgetExceeded, PrivacyAccountant, dp_count, dp_histogram, dp_mean

DRAWS = 200


def test_accountant_tracks_and_refuses_over_budget():
    accountant = PrivacyAccountant(1.0)
    dp_count([1, 2, 3], 0.4, accountant)
    dp_count([1, 2, 3], 0.4, accountant)
    assert accountant.spent_epsilon == pytest.approx(0.8)
    assert accountant.remaining_epsilon == pytest.approx(0.2)
    with pytest.raises(BudgetExceeded, match=r"only 0\.2"):
        dp_count([1, 2, 3], 0.3, accountant)
    assert accountant.spent_epsilon == pytest.approx(0.8)  # a refused release spends nothing
    with pytest.raises(BudgetExceeded):
        dp_histogram(["a"], ["a"], 0.3, accountant)
    with pytest.raises(BudgetExceeded):
        dp_mean([1.0], 0.0, 1.0, 0.3, accountant)
    assert accountant.spent_epsilon == pytest.approx(0.8)
    dp_count([1, 2, 3], 0.2, accountant)  # exactly the rest still fits
    assert accountant.remaining_epsilon == pytest.approx(0.0, abs=1e-9)


def test_many_small_releases_fit_the_budget_exactly():
    accountant = PrivacyAccountant(1.0)
    for _ in range(10):
        accountant.charge(0.1)
    with pytest.raises(BudgetExceeded):
        accountant.charge(0.01)


@pytest.mark.parametrize("epsilon", [0, -1.0, float("inf"), float("nan")])
def test_invalid_epsilon_is_rejected(epsilon):
    with pytest.raises(ValueError, match="epsilon"):
        PrivacyAccountant(epsilon)
    with pytest.raises(ValueError, match="epsilon"):
        dp_count([1], epsilon, PrivacyAccountant(1.0))


def test_dp_count_is_close_for_large_epsilon_and_noisy_for_small():
    values = pa.array(np.arange(1000))
    accountant = PrivacyAccountant(10_000.0)
    precise = np.array([dp_count(values, 10.0, accountant) for _ in range(DRAWS)])
    noisy = np.array([dp_count(values, 0.1, accountant) for _ in range(DRAWS)])
    # Discrete Laplace with scale 1/epsilon: mean |error| ~ 0.0001 at epsilon 10 and ~10 at epsilon 0.1;
    # the bounds below are many standard errors away from both.
    assert np.mean(np.abs(precise - 1000)) < 0.5
    assert np.mean(np.abs(noisy - 1000)) > 3.0
    assert len(set(noisy.tolist())) > 10
    assert accountant.spent_epsilon == pytest.approx(DRAWS * 10.1)


def test_dp_histogram_reports_the_public_categories_only():
    values = pa.array(["flu"] * 500 + ["covid"] * 300 + ["other"] * 50 + [None] * 10)
    accountant = PrivacyAccountant(100.0)
    counts = dp_histogram(values, ["flu", "covid", "asthma"], 20.0, accountant)
    assert set(counts) == {"flu", "covid", "asthma"}
    assert abs(counts["flu"] - 500) <= 2 and abs(counts["covid"] - 300) <= 2 and counts["asthma"] <= 2
    assert all(count >= 0 for count in counts.values())
    assert accountant.spent_epsilon == pytest.approx(20.0)
    with pytest.raises(ValueError, match="distinct"):
        dp_histogram(values, ["flu", "flu"], 1.0, accountant)


def test_dp_histogram_is_noisy_for_small_epsilon():
    accountant = PrivacyAccountant(1_000.0)
    draws = [dp_histogram(["a"] * 100, ["a"], 0.1, accountant)["a"] for _ in range(DRAWS)]
    assert np.mean(np.abs(np.array(draws) - 100)) > 3.0


def test_dp_mean_is_clamped_and_close_for_large_epsilon():
    rng = np.random.default_rng(3)
    values = rng.uniform(20, 60, 5000)
    accountant = PrivacyAccountant(2_000.0)
    estimates = [dp_mean(pa.array(values), 0.0, 100.0, 50.0, accountant) for _ in range(20)]
    assert abs(np.mean(estimates) - values.mean()) < 0.5
    # Values outside the public bounds are clamped, and nulls / NaN are dropped.
    clamped = dp_mean([1000.0, 1000.0, None, float("nan")] * 500, 0.0, 10.0, 50.0, accountant)
    assert 9.0 <= clamped <= 10.0
    assert accountant.spent_epsilon == pytest.approx(21 * 50.0)
    with pytest.raises(ValueError, match="bounds"):
        dp_mean(values, 5.0, 5.0, 1.0, accountant)


def test_dp_mean_is_noisy_for_small_epsilon():
    accountant = PrivacyAccountant(1_000.0)
    values = [0.0, 100.0] * 10
    estimates = np.array([dp_mean(values, 0.0, 100.0, 0.5, accountant) for _ in range(50)])
    assert estimates.std() > 5.0
    assert np.all((estimates >= 0.0) & (estimates <= 100.0))

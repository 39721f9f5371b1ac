"""Our `k_anonymize` (Mondrian with bounded suppression) vs anjana's k-anonymity (greedy full-domain
generalisation over hierarchies) on the same quasi-identifiers: time, information loss (one NCP
function applied to both outputs), suppressed rows; both outputs are checked with pycanon.

The quasi-identifier table is drawn here with a seeded numpy generator (age, zip, gender, visit
date, diagnosis as the sensitive column): the healthcare generator fills zip and date of birth only
on its violating rows, so its files have too few real values to generalise. Run with the bench venv:

    .venv-bench/bin/python benchmarks/kanon_bench.py [--rows 100000] [--k 5 10]
"""

from __future__ import annotations

import argparse
import contextlib
import io
from importlib.metadata import version

import numpy as np
import pandas as pd
import pyarrow as pa
import pycanon.anonymity
from common import SEED, Result, add_results_argument, best_of, publish

from compliance.anonymize.kanonymity import k_anonymize
from compliance.generator import ICD10_CODES

QUASI = {"age": "age", "zip": "zip", "gender": "gender", "date": "date"}
MAX_SUPPRESSION = 0.05


def quasi_table(rows: int, seed: int = SEED) -> pa.Table:
    """Skewed, realistic-looking QIs: ages around 45, zips clustered in a few 3-digit areas."""
    rng = np.random.default_rng([seed, 7])
    ages = np.clip(np.round(rng.normal(45, 20, rows)), 0, 99).astype(np.int64)
    areas = rng.choice(np.arange(100, 1000), 40, replace=False)
    zips = np.unique(areas[rng.integers(0, len(areas), 400)] * 100 + rng.integers(0, 100, 400))
    weights = 1.0 / np.arange(1, len(zips) + 1)  # Zipf: a few busy zips, a long tail
    zip_codes = rng.choice(zips, rows, p=weights / weights.sum())
    genders = rng.choice(np.array(["F", "M", "X"]), rows, p=[0.5, 0.48, 0.02])
    days = rng.integers(0, 6 * 365, rows)
    dates = (np.datetime64("2019-01-01") + days).astype("datetime64[D]")
    diagnosis = rng.choice(np.array(ICD10_CODES), rows)
    return pa.table(
        {
            "age": pa.array(ages.astype(str)),
            "zip": pa.array(np.char.zfill(zip_codes.astype(str), 5)),
            "gender": pa.array(genders),
            "date": pa.array(np.datetime_as_string(dates)),
            "diagnosis": pa.array(diagnosis),
        }
    )


# --- anjana: generalisation hierarchies (level -> value per distinct raw value) ----------------------


def _age_levels(raw: np.ndarray) -> list[np.ndarray]:
    ages = raw.astype(np.int64)

    def band(width: int) -> np.ndarray:
        low = ages // width * width
        return np.char.add(np.char.add(low.astype(str), "-"), (low + width - 1).astype(str))

    return [raw, band(5), band(10), band(20), np.full(len(raw), "*")]


def _zip_levels(raw: np.ndarray) -> list[np.ndarray]:
    return [np.array([z[: 5 - m] + "*" * m for z in raw]) for m in range(6)]


def _date_levels(raw: np.ndarray) -> list[np.ndarray]:
    years = np.array([int(d[:4]) for d in raw])
    five = years // 5 * 5
    ranges = np.char.add(np.char.add(five.astype(str), "-"), (five + 4).astype(str))
    return [
        raw,
        np.array([d[:7] for d in raw]),
        np.array([d[:4] for d in raw]),
        ranges,
        np.full(len(raw), "*"),
    ]


def anjana_hierarchies(frame: pd.DataFrame) -> dict:
    makers = {
        "age": _age_levels,
        "zip": _zip_levels,
        "gender": lambda raw: [raw, np.full(len(raw), "*")],
        "date": _date_levels,
    }
    hierarchies = {}
    for column, make in makers.items():
        raw = np.array(sorted(frame[column].unique()))
        hierarchies[column] = dict(enumerate(make(raw)))
    return hierarchies


def run_anjana(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    from anjana.anonymity import k_anonymity

    # anjana prints its progress; keep the table readable.
    with contextlib.redirect_stdout(io.StringIO()):
        return k_anonymity(frame, [], list(QUASI), k, MAX_SUPPRESSION * 100, anjana_hierarchies(frame))


# --- one information-loss metric for both outputs -----------------------------------------------------


def _days(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def _value_loss(kind: str, value: str, scale: float, domain: int) -> float:
    """NCP of one published value: width of what it covers over the width of the column's domain."""
    if value == "*" or (kind == "zip" and set(value) == {"*"}):
        return 1.0
    if kind == "age":
        low, _, high = value.partition("-")
        return (float(high) - float(low)) / scale if high else 0.0
    if kind == "zip":
        return value.count("*") / len(value)
    if kind == "gender":
        members = value.strip("{}").split(",") if value.startswith("{") else [value]
        return (len(members) - 1) / (domain - 1)
    if len(value) == 10:  # 2023-01-15
        return 0.0
    if len(value) == 7:  # 2023-01
        start = np.datetime64(value, "M")
        covered = ((start + 1).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(np.int64)
    elif len(value) == 4:  # 2023
        covered = _days(f"{int(value) + 1}-01-01") - _days(f"{value}-01-01")
    else:  # 2020-2024
        first, last = value.split("-")
        covered = _days(f"{int(last) + 1}-01-01") - _days(f"{first}-01-01")
    return (int(covered) - 1) / scale


def information_loss(original: pa.Table, published: dict[str, np.ndarray], suppressed: int) -> float:
    """Mean NCP over all input rows and QIs; a suppressed row loses everything (1 per QI).

    The same definition as compliance.anonymize.kanonymity, computed from the published text only, so
    outputs of any tool can be compared; a Python loop over distinct published values only."""
    total = float(suppressed * len(QUASI))
    for column, kind in QUASI.items():
        raw = original.column(column).to_numpy(zero_copy_only=False)
        if kind == "age":
            scale = float(raw.astype(np.int64).max() - raw.astype(np.int64).min())
        elif kind == "date":
            days = np.array(raw, dtype="datetime64[D]").astype(np.int64)
            scale = float(days.max() - days.min())
        else:
            scale = 1.0
        domain = len(np.unique(raw))
        values, counts = np.unique(published[column].astype(str), return_counts=True)
        total += sum(_value_loss(kind, v, scale, domain) * c for v, c in zip(values, counts, strict=True))
    return min(total / (original.num_rows * len(QUASI)), 1.0)


def classes(frame: pd.DataFrame) -> int:
    return int(frame.groupby(list(QUASI)).ngroups)


def run(rows: int, ks: list[int], repeat: int) -> list[Result]:
    table = quasi_table(rows)
    frame = table.to_pandas()
    sample = f"{rows:,} rows, QIs age/zip/gender/date"
    results = []
    for k in ks:
        anjana_s, anjana_out = best_of(1, lambda k=k: run_anjana(frame, k))  # ~1.5 min: once
        ours_s, ours = best_of(
            repeat, lambda k=k: k_anonymize(table, QUASI, k, max_suppression=MAX_SUPPRESSION)
        )
        ours_frame = ours.table.select(list(QUASI)).to_pandas()
        anjana_frame = anjana_out[list(QUASI)]
        outcome = {}
        for name, out in (("ours", ours_frame), ("anjana", anjana_frame)):
            if out.empty:
                outcome[name] = (1.0, rows, 0, 0)
                continue
            published = {c: out[c].to_numpy() for c in QUASI}
            suppressed = rows - len(out)
            verified_k = pycanon.anonymity.k_anonymity(out, list(QUASI))
            outcome[name] = (
                information_loss(table, published, suppressed),
                suppressed,
                classes(out),
                verified_k,
            )
        (ours_loss, ours_supp, ours_classes, ours_k), (anj_loss, anj_supp, anj_classes, anj_k) = (
            outcome["ours"],
            outcome["anjana"],
        )
        results += [
            Result("kanon", f"anjana {version('anjana')} k={k} (full-domain), {sample}", anjana_s, "s"),
            Result(
                "kanon",
                f"our k_anonymize k={k} (Mondrian), {sample}",
                ours_s,
                "s",
                "anjana",
                ours_s / anjana_s,
            ),
            Result(
                "kanon",
                f"information loss (NCP) k={k}: ours vs anjana",
                ours_loss,
                "NCP",
                f"anjana {anj_loss:.3f}",
                ours_loss / anj_loss if anj_loss else None,
                f"our own NCP {ours.information_loss:.3f}",
            ),
            Result(
                "kanon",
                f"suppressed rows k={k}: ours vs anjana",
                float(ours_supp),
                "rows",
                f"anjana {anj_supp:,}",
                ours_supp / anj_supp if anj_supp else None,
                f"budget {int(MAX_SUPPRESSION * rows):,}",
            ),
            Result(
                "kanon",
                f"equivalence classes k={k}: ours vs anjana",
                float(ours_classes),
                "classes",
                f"anjana {anj_classes:,}",
                ours_classes / anj_classes if anj_classes else None,
                f"pycanon k: ours {ours_k}, anjana {anj_k}",
            ),
        ]
        for name, verified in (("ours", ours_k), ("anjana", anj_k)):
            if verified < k:
                raise SystemExit(f"kanon_bench: pycanon finds k={verified} < {k} in the {name} output")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10])
    parser.add_argument("--repeat", type=int, default=3, help="our timing is the best of this many runs")
    add_results_argument(parser)
    args = parser.parse_args()
    publish(run(args.rows, args.k, args.repeat), args.results)


if __name__ == "__main__":
    main()

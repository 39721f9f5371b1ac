"""Per-type recall and precision of the core on two labelled corpora: the generator's data of every
domain, and the independent corpus of tests/corpus (data the detectors were not shaped on). The
baseline of each row is the other corpus: a type far better on the generator's data than on the
independent corpus is a detector shaped on its own generator.

    .venv/bin/python benchmarks/accuracy_bench.py [--rows N | --quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import ROOT, Result, add_results_argument, publish

sys.path.insert(0, str(ROOT))  # tests/corpus is the corpus and its scorer

from tests.corpus.evaluate import GENERATOR_AS_OF, UNRECOGNISED, Scores, corpus_files, generator_files, score

QUICK_ROWS = 500


def rows_of(independent: Scores, generated: Scores) -> list[Result]:
    results = []
    for id_type in sorted(set(independent.types()) | set(generated.types())):
        recall, reference = independent.recall(id_type), generated.recall(id_type)
        results.append(
            Result(
                "accuracy",
                f"recall {id_type}, independent corpus ({independent.labelled[id_type]:,} labels)",
                100 * recall,
                "%",
                f"generator {100 * reference:.2f}%",
                recall / reference if reference else None,
                f"precision {100 * independent.precision(id_type):.2f}% vs generator "
                f"{100 * generated.precision(id_type):.2f}%; labelled cells left raw: "
                f"{independent.left_raw[id_type]} vs {generated.left_raw[id_type]}",
            )
        )
    for name, scores in (("independent corpus", independent), ("generator", generated)):
        labelled = sum(scores.labelled.values())
        results.append(
            Result(
                "accuracy",
                f"{UNRECOGNISED} reported, {name} ({labelled:,} labels)",
                scores.predicted[UNRECOGNISED],
                "cells",
                note="values of sensitive columns no detector could type: anonymized all the same",
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows per file of each corpus")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} rows per file")
    add_results_argument(parser)
    args = parser.parse_args()
    rows = QUICK_ROWS if args.quick else args.rows
    with tempfile.TemporaryDirectory(prefix="sdp-accuracy-") as scratch:
        independent = score(corpus_files(Path(scratch), rows))
        generated = score(generator_files(Path(scratch), rows), as_of=GENERATOR_AS_OF)
    publish(rows_of(independent, generated), args.results)


if __name__ == "__main__":
    main()

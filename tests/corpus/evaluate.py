"""Per-type accuracy of the compliance core on labelled files: the independent corpus of this
folder, or the generator's data (compliance/generator.py). Shared by tests/unit/test_accuracy.py
and benchmarks/accuracy_bench.py (`make bench` prints both tables).

A prediction is a violation (row, field, type) of an identifier type; it is right when the labels
hold the same key. Policy types (missing consent, retention) are left out: the corpus does not
label them. UNRECOGNISED_SENSITIVE has no label either: its count is reported (values the detectors
could not type and anonymized all the same); a labelled identifier reported only under it counts
as a miss of its type, but it is not left raw.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from compliance.generator import write_dataset
from compliance.io import FileReader
from compliance.pipeline import CompliancePipeline
from compliance.vocabulary import POLICY_TYPES, Domain, IdType

Key = tuple[int, str, str]
UNRECOGNISED = IdType.UNRECOGNISED_SENSITIVE.value
GENERATOR_AS_OF = dt.date(2025, 6, 1)


@dataclass(frozen=True)
class LabelledFile:
    name: str
    path: Path
    domain: str
    labels: pa.Table  # row, field, type (other columns are ignored)


@dataclass
class Scores:
    """Counts per type over every file scored, and a few (file, field) examples of each error."""

    labelled: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)
    # Labelled cells (row, field) that got no finding of any type: raw in the output.
    left_raw: Counter = field(default_factory=Counter)
    misses: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    spurious: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)

    def recall(self, id_type: str) -> float:
        return self.correct[id_type] / self.labelled[id_type] if self.labelled[id_type] else 1.0

    def precision(self, id_type: str) -> float:
        return self.correct[id_type] / self.predicted[id_type] if self.predicted[id_type] else 1.0

    def types(self) -> list[str]:
        return sorted((set(self.labelled) | set(self.predicted)) - {UNRECOGNISED})

    def table(self) -> list[dict[str, object]]:
        """One row per type: labels, predictions, recall, precision, labelled cells left raw."""
        rows = [
            {
                "type": t,
                "labels": self.labelled[t],
                "predicted": self.predicted[t],
                "recall": round(self.recall(t), 4),
                "precision": round(self.precision(t), 4),
                "left_raw": self.left_raw[t],
            }
            for t in self.types()
        ]
        rows.append({"type": UNRECOGNISED, "labels": 0, "predicted": self.predicted[UNRECOGNISED]})
        return rows


def _keys(table: pa.Table) -> set[Key]:
    rows, fields, types = (table.column(name).to_pylist() for name in ("row", "field", "type"))
    return set(zip(rows, fields, types, strict=True))


def score(files: Iterable[LabelledFile], *, as_of: dt.date | None = None, examples: int = 5) -> Scores:
    """Run the core (detection + rules, no anonymization) over each file and score it."""
    scores = Scores()
    for item in files:
        pipeline = CompliancePipeline(domain=item.domain, anonymize="none", as_of=as_of)
        found = [pipeline.process(chunk.batch, chunk.rows).violations for chunk in FileReader(item.path)]
        predicted = {k for k in _keys(pa.concat_tables(found)) if k[2] not in POLICY_TYPES}
        expected = {k for k in _keys(item.labels) if k[2] not in POLICY_TYPES}
        flagged_cells = {(row, name) for row, name, _ in predicted}
        for key in expected:
            scores.labelled[key[2]] += 1
            if key in predicted:
                scores.correct[key[2]] += 1
                continue
            scores.misses.setdefault(key[2], []).append((item.name, key[1], key[0]))
            if key[:2] not in flagged_cells:
                scores.left_raw[key[2]] += 1
        for key in predicted:
            scores.predicted[key[2]] += 1
            if key not in expected and key[2] != UNRECOGNISED:
                scores.spurious.setdefault(key[2], []).append((item.name, key[1], key[0]))
    for found in (scores.misses, scores.spurious):
        for id_type in found:
            found[id_type] = sorted(found[id_type])[:examples]
    return scores


def generator_files(out_dir: Path, rows: int, seed: int = 2024) -> list[LabelledFile]:
    """The generator's data of every domain, written with its labels."""
    files = []
    for domain in Domain:
        path, labels = out_dir / f"generated-{domain}.csv", out_dir / f"generated-{domain}.labels.parquet"
        write_dataset(domain, rows, path, labels_out=labels, seed=seed, as_of=GENERATOR_AS_OF)
        files.append(LabelledFile(f"generated-{domain}", path, domain, pq.read_table(labels)))
    return files


def corpus_files(out_dir: Path, rows: int, seed: int = 7) -> list[LabelledFile]:
    """The independent corpus (built here) and its hand-written fixtures."""
    from tests.corpus.build import build_corpus, fixture_files

    built = build_corpus(out_dir, rows=rows, seed=seed) + fixture_files()
    return [LabelledFile(f.name, f.path, f.domain, f.labels) for f in built]


def main() -> None:  # pragma: no cover - a developer's look at both tables
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for name, files, as_of in (
            ("independent corpus", corpus_files(Path(scratch), args.rows), None),
            ("generator", generator_files(Path(scratch), args.rows), GENERATOR_AS_OF),
        ):
            scores = score(files, as_of=as_of)
            print(f"== {name}")
            for row in scores.table():
                print("  ", row)
            print("   misses:", scores.misses)
            print("   spurious:", scores.spurious)


if __name__ == "__main__":
    main()

"""End-to-end accuracy of the core: Detector + RuleEngine against labels, per type, on
(row, field, type), on two corpora: the generator's data (compliance/generator.py), and the
independent corpus of tests/corpus, which the detectors were not shaped on. Decoys (invalid SSNs,
Luhn-failing cards, broken IBANs, order numbers, coarse GPS, ...) count against precision; embedded
identifiers count for recall.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pyarrow as pa
import pytest

from compliance import detection, rules
from compliance.generator import generate
from compliance.vocabulary import Domain
from tests.corpus.evaluate import Scores, corpus_files, score

pytestmark = pytest.mark.slow

AS_OF = date(2025, 6, 1)
ROWS = 20_000
BATCH = 5_000  # several batches: row_offset and the first-batch classification are exercised
MIN_SCORE = 0.995

Key = tuple[int, str, str]


def _keys(table: pa.Table) -> dict[Key, tuple[str, str, str]]:
    columns = [
        table.column(name).to_pylist() for name in ("row", "field", "type", "regulation", "severity", "rule")
    ]
    return {(r, f, t): (reg, sev, rule) for r, f, t, reg, sev, rule in zip(*columns, strict=True)}


@pytest.fixture(scope="module", params=list(Domain))
def outcome(request: pytest.FixtureRequest) -> tuple[str, dict, dict, pa.Table]:
    domain = request.param
    detector = detection.Detector()
    engine = rules.RuleEngine.for_domain(domain)
    expected: dict[Key, tuple[str, str, str]] = {}
    predicted: dict[Key, tuple[str, str, str]] = {}
    classes = None
    tables = []
    for offset, data in zip(
        range(0, ROWS, BATCH), generate(domain, ROWS, seed=2024, as_of=AS_OF, batch_size=BATCH), strict=True
    ):
        batch = data.table.combine_chunks().to_batches()[0]
        classes = classes if classes is not None else detector.classify(batch)
        findings = detector.detect(batch, classes)
        violations = engine.evaluate(batch, findings, classes, row_offset=offset, as_of=AS_OF)
        assert violations.column_names == data.labels.column_names
        expected |= _keys(data.labels)
        predicted |= _keys(violations)
        tables.append(data.table)
    return domain, expected, predicted, pa.concat_tables(tables)


def test_recall_and_precision_per_type(outcome) -> None:
    domain, expected, predicted, table = outcome
    true_positive = Counter(key[2] for key in expected.keys() & predicted.keys())
    in_labels = Counter(key[2] for key in expected)
    in_output = Counter(key[2] for key in predicted)
    report = []
    for id_type in sorted(in_labels.keys() | in_output.keys()):
        recall = true_positive[id_type] / in_labels[id_type] if in_labels[id_type] else 0.0
        precision = true_positive[id_type] / in_output[id_type] if in_output[id_type] else 0.0
        if min(recall, precision) < MIN_SCORE:
            missed = sorted(k for k in expected.keys() - predicted.keys() if k[2] == id_type)[:3]
            spurious = sorted(k for k in predicted.keys() - expected.keys() if k[2] == id_type)[:3]
            examples = [(k, table.column(k[1])[k[0]].as_py()) for k in missed + spurious]
            report.append(f"{id_type}: recall {recall:.4f} precision {precision:.4f} e.g. {examples}")
    assert not report, f"{domain}:\n" + "\n".join(report)


def test_regulation_severity_and_rule_agree(outcome) -> None:
    _, expected, predicted, _ = outcome
    matched = expected.keys() & predicted.keys()
    disagreements = [
        (key, expected[key], predicted[key]) for key in matched if expected[key] != predicted[key]
    ]
    assert matched and not disagreements[:5]


# --- the independent corpus (tests/corpus): data this project's generator did not write -----------


@pytest.fixture(scope="module")
def independent(tmp_path_factory: pytest.TempPathFactory) -> Scores:
    return score(corpus_files(tmp_path_factory.mktemp("corpus"), rows=2000, seed=7))


def test_independent_corpus_recall_and_precision_per_type(independent: Scores) -> None:
    report = [
        f"{t}: recall {independent.recall(t):.4f} precision {independent.precision(t):.4f} "
        f"misses {independent.misses.get(t, [])} spurious {independent.spurious.get(t, [])}"
        for t in independent.types()
        if min(independent.recall(t), independent.precision(t)) < MIN_SCORE
    ]
    assert not report, "\n".join(report)
    # Every type the corpus labels is there: the table measures them all.
    assert len(independent.types()) >= 20


def test_independent_corpus_leaves_no_labelled_identifier_unreported(independent: Scores) -> None:
    """Fail closed: a labelled identifier may at worst be reported under another type, never not at
    all (which would load it raw)."""
    assert sum(independent.left_raw.values()) == 0, dict(independent.left_raw)

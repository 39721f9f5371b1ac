"""Microsoft Presidio (pattern recognizers only) vs our scan on the same rows: throughput and recall /
precision on their labels, for the identifier types Presidio has: the generator's rows of one domain,
or the independent corpus of tests/corpus (`--corpus independent`: its four files, CSV, JSON Lines
and Parquet, read as the core reads them).

Presidio gets one text per row: the row's non-null values joined with " | "; a finding belongs to
the column whose value its span starts in. No English spaCy model is on PyPI, so Presidio runs with
a blank spaCy pipeline and without its NER recognizer (PERSON is then unavailable: reported n/a).
Run with the bench venv:

    .venv-bench/bin/python benchmarks/presidio_bench.py [--domain healthcare | --corpus independent] [--rows 2000]
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from common import ROOT, Result, add_results_argument, best_of, dataset, publish

from compliance.scan import scan_file
from compliance.vocabulary import IdType

SEPARATOR = " | "
# Presidio entity -> our type. DATE_TIME is any date, so it only counts in the date-of-birth column.
PRESIDIO_TYPES = {
    "US_SSN": IdType.SSN,
    "CREDIT_CARD": IdType.CREDIT_CARD,
    "EMAIL_ADDRESS": IdType.EMAIL,
    "PHONE_NUMBER": IdType.PHONE,
    "IP_ADDRESS": IdType.IP_ADDRESS,
    "IBAN_CODE": IdType.IBAN,
    "URL": IdType.URL,
    "US_DRIVER_LICENSE": IdType.DRIVER_LICENSE,
    "US_PASSPORT": IdType.PASSPORT,
    "DATE_TIME": IdType.DATE_OF_BIRTH,
    "PERSON": IdType.PERSON_NAME,
    # Presidio's national ids of other countries (most recognizers are registered for English).
    "UK_NHS": IdType.NATIONAL_ID,
    "UK_NINO": IdType.NATIONAL_ID,
    "IT_FISCAL_CODE": IdType.NATIONAL_ID,
    "ES_NIF": IdType.NATIONAL_ID,
    "ES_NIE": IdType.NATIONAL_ID,
    "IN_AADHAAR": IdType.NATIONAL_ID,
    "AU_TFN": IdType.NATIONAL_ID,
}
DATE_OF_BIRTH_FIELDS = frozenset({"dob", "date_of_birth", "birth_date"})

Finding = tuple[int, str, str]  # (row, field, type)


def pattern_only_analyzer():
    """Presidio's AnalyzerEngine with every predefined recognizer except the spaCy NER one."""
    # An empty URL list makes tldextract (used by the e-mail recognizer) read its bundled suffix list
    # instead of trying to download one; it is read when tldextract is imported.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    class BlankSpacyEngine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=engine)
    registry.remove_recognizer("SpacyRecognizer")
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def row_texts(table: pa.Table) -> list[tuple[str, list[int], list[str]]]:
    """Per row: the joined text, the start offset of each value in it and that value's column."""
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    texts = []
    for i in range(table.num_rows):
        parts, starts, fields, offset = [], [], [], 0
        for name, values in columns.items():
            value = values[i]
            if value is None or value == "":
                continue
            parts.append(value)
            starts.append(offset)
            fields.append(name)
            offset += len(value) + len(SEPARATOR)
        texts.append((SEPARATOR.join(parts), starts, fields))
    return texts


def presidio_findings(analyzer, texts: list[tuple[str, list[int], list[str]]]) -> set[Finding]:
    found: set[Finding] = set()
    for row, (text, starts, fields) in enumerate(texts):
        for hit in analyzer.analyze(text=text, language="en"):
            id_type = PRESIDIO_TYPES.get(hit.entity_type)
            if id_type is not None:
                found.add((row, fields[bisect.bisect_right(starts, hit.start) - 1], id_type.value))
    return found


def comparable(findings: set[tuple], types: set[str]) -> set[tuple]:
    """Findings (file, row, field, type) of the compared types; dates of birth only in a
    date-of-birth column."""
    return {
        f
        for f in findings
        if f[3] in types and (f[3] != IdType.DATE_OF_BIRTH or f[2].lower() in DATE_OF_BIRTH_FIELDS)
    }


def percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _as_strings(path: Path) -> pa.Table:
    """A file of any format the core reads, every column as a string, as the core sees it."""
    from compliance.io import FileReader

    batches = [chunk.batch for chunk in FileReader(path)]
    table = pa.Table.from_batches(batches)
    return table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))


def run(files: list[tuple[str, Path, pa.Table]], sample: str, repeat: int) -> list[Result]:
    """Both tools on the same files (name, path, labels): speed and per-type accuracy."""
    analyzer = pattern_only_analyzer()
    supported = {PRESIDIO_TYPES[e].value for e in analyzer.get_supported_entities() if e in PRESIDIO_TYPES}
    tables = {name: _as_strings(path) for name, path, _ in files}
    texts = {name: row_texts(table) for name, table in tables.items()}
    rows = sum(table.num_rows for table in tables.values())
    label_set = {
        (name, r["row"], r["field"], r["type"])
        for name, _, labels in files
        for r in labels.select(["row", "field", "type"]).to_pylist()
    }

    def presidio() -> set:
        return {(name, *f) for name in texts for f in presidio_findings(analyzer, texts[name])}

    presidio_s, presidio_found = best_of(repeat, presidio)

    with tempfile.TemporaryDirectory(prefix="sdp-bench-") as scratch:

        def ours() -> set:
            found = set()
            for name, path, _ in files:
                violations = Path(scratch) / f"{name}.violations.jsonl"
                scan_file(path, violations_out=violations, output=None)
                with violations.open(encoding="utf-8") as handle:
                    found |= {(name, v["row"], v["field"], v["type"]) for v in map(json.loads, handle)}
            return found

        ours_s, ours_found = best_of(repeat, ours)
    return _results(texts, rows, sample, supported, label_set, presidio_s, presidio_found, ours_s, ours_found)


def _results(
    texts: dict, rows: int, sample: str, supported: set[str], label_set: set, presidio_s: float,
    presidio_found: set, ours_s: float, ours_found: set,
) -> list[Result]:  # fmt: skip
    texts = [t for per_file in texts.values() for t in per_file]
    mean_chars = sum(len(t) for t, _, _ in texts) / max(len(texts), 1)
    presidio_speed, ours_speed = rows / presidio_s, rows / ours_s
    results = [
        Result(
            "presidio",
            f"Presidio 2.2 pattern-only, one text per row, {sample}",
            presidio_speed,
            "rows/s",
            note=f"~{mean_chars:.0f} chars/text",
        ),
        Result(
            "presidio",
            f"our scan_file (CSV of the same rows), {sample}",
            ours_speed,
            "rows/s",
            "Presidio",
            ours_speed / presidio_speed,
        ),
    ]

    all_types = {t.value for t in PRESIDIO_TYPES.values()}
    wanted = comparable(label_set, all_types)
    per_type = Counter(f[3] for f in wanted)
    both = supported - {IdType.PERSON_NAME.value}
    totals = {"ours": [0, 0, 0, 0], "presidio": [0, 0, 0, 0]}  # hits, labels, true findings, findings
    for id_type in sorted(per_type):
        truth = {f for f in wanted if f[3] == id_type}
        scores = {}
        for name, found in (("ours", ours_found), ("presidio", presidio_found)):
            if name == "presidio" and id_type not in supported:
                scores[name] = None
                continue
            mine = {f for f in comparable(found, {id_type})}
            hits = len(truth & mine)
            scores[name] = (percent(hits, len(truth)), percent(len(mine & label_set), len(mine)))
            if id_type in both:
                for i, count in enumerate((hits, len(truth), len(mine & label_set), len(mine))):
                    totals[name][i] += count
        results.append(_recall_row(f"recall {id_type} ({len(truth)} labels), {sample}", scores))
    results.append(
        _recall_row(
            f"recall, all types both have ({totals['ours'][1]} labels), {sample}",
            {n: (percent(t[0], t[1]), percent(t[2], t[3])) for n, t in totals.items()},
        )
    )
    return results


def _recall_row(measurement: str, scores: dict[str, tuple[float | None, float | None] | None]) -> Result:
    ours_recall, ours_precision = scores["ours"] or (None, None)
    if scores["presidio"] is None:
        return Result(
            "presidio",
            measurement,
            ours_recall,
            "%",
            "Presidio n/a",
            None,
            f"precision {_pct(ours_precision)}; Presidio has no pattern recognizer for it",
        )
    presidio_recall, presidio_precision = scores["presidio"]
    return Result(
        "presidio",
        measurement,
        ours_recall,
        "%",
        f"Presidio {_pct(presidio_recall)}",
        ours_recall / presidio_recall if ours_recall is not None and presidio_recall else None,
        f"precision {_pct(ours_precision)} vs Presidio {_pct(presidio_precision)}",
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--domain", default="healthcare", choices=["healthcare", "financial", "location", "mixed"]
    )
    parser.add_argument(
        "--corpus",
        default="generator",
        choices=["generator", "independent"],
        help="the generator's rows of --domain, or the independent corpus of tests/corpus (its four "
        "files, --rows in all)",
    )
    parser.add_argument("--rows", type=int, default=2000, help="rows of the sample (Presidio is slow)")
    parser.add_argument("--repeat", type=int, default=2, help="timings are the best of this many runs")
    add_results_argument(parser)
    args = parser.parse_args()
    if args.corpus == "generator":
        path, labels = dataset(args.domain, args.rows, labels=True)
        files = [(args.domain, path, pq.read_table(labels))]
        sample = f"{args.rows:,} {args.domain} rows"
        publish(run(files, sample, args.repeat), args.results)
        return
    sys.path.insert(0, str(ROOT))
    from tests.corpus.build import build_corpus

    per_file = max(args.rows // 4, 1)
    with tempfile.TemporaryDirectory(prefix="sdp-corpus-") as scratch:
        built = build_corpus(Path(scratch), rows=per_file)
        files = [(f.name, f.path, f.labels) for f in built]
        sample = f"{len(built) * per_file:,} independent-corpus rows ({len(built)} files)"
        publish(run(files, sample, args.repeat), args.results)


if __name__ == "__main__":
    main()

"""What the detectors find in output that should hold none (the validation's residual-identifier
check), and the fault-injection switch that proves the check works."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc

from compliance.detection import Detector
from compliance.vocabulary import IdType

DISABLE_ENV = "SDP_DISABLE_RECOGNIZERS"


def disabled_recognizers() -> frozenset[IdType]:
    """Identifier types named in SDP_DISABLE_RECOGNIZERS (comma-separated): recognizers left out of
    the pipeline's detection, to prove that validation's residual check catches what they miss.
    A fault-injection setting for tests; never set in production."""
    raw = os.environ.get(DISABLE_ENV, "")
    names = {name.strip().upper() for name in raw.split(",") if name.strip()}
    unknown = sorted(names - {t.value for t in IdType})
    if unknown:
        raise ValueError(f"{DISABLE_ENV} names unknown identifier type(s): {', '.join(unknown)}")
    return frozenset(IdType(name) for name in names)


def residual_identifiers(
    table: pa.Table, *, gps_precision: int = 3, batch_rows: int = 65_536, threads: int = 1
) -> dict[tuple[str, str], int]:
    """(column, type) -> how many cells of an anonymized table still hold an identifier, by every
    detector (none disabled) in the same fail-closed mode as the pipeline: classification of the
    table itself (from its first batch), then detection batch by batch, on `threads` worker threads
    (a Detector each: one keeps per-batch state). Tokens, masks, placeholders and published forms
    (a ZIP3, a year, a coarse position) hold none, so a correctly anonymized table gives {}."""
    batches = table.combine_chunks().to_batches(max_chunksize=batch_rows)
    if not batches:
        return {}
    first = Detector(gps_precision=gps_precision)
    classes = first.classify(batches[0])
    local = threading.local()
    local.detector = first  # the calling thread's; workers make their own

    def findings(batch: pa.RecordBatch) -> pa.Table:
        detector = getattr(local, "detector", None)
        if detector is None:
            detector = local.detector = Detector(gps_precision=gps_precision)
        return detector.detect(batch, classes)

    if threads <= 1 or len(batches) == 1:
        found_per_batch = map(findings, batches)
    else:
        pool = ThreadPoolExecutor(max_workers=min(threads, len(batches)), thread_name_prefix="sdp-residual")
        with pool:
            found_per_batch = list(pool.map(findings, batches))
    counts: dict[tuple[str, str], int] = {}
    for found in found_per_batch:
        if found.num_rows == 0:
            continue
        pairs = pc.binary_join_element_wise(found.column("field"), found.column("type"), "\x1f")
        for entry in pc.value_counts(pairs.combine_chunks()).to_pylist():
            field, id_type = entry["values"].split("\x1f")
            counts[(field, id_type)] = counts.get((field, id_type), 0) + entry["counts"]
    return counts

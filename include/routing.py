"""Classify a landed file and decide its route. Pure functions over a small sample: the file is
never read whole here (that is the engine's job)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from compliance.io import FileReader, InputError
from include.settings import Settings

ROUTES = ("batch", "stream", "hybrid")
ENGINE_OF_ROUTE = {"batch": "spark", "stream": "stream", "hybrid": "flink"}
# Default anonymization per route (docs/architecture.md). k-anonymity needs the whole file at once, which
# only the batch engine has; the stream consumer sees micro-batches, the hybrid job per-record lanes.
DEFAULT_ANONYMIZE = {"batch": "k_anonymity", "stream": "tokenize", "hybrid": "tokenize"}
WHOLE_FILE_METHODS = ("k_anonymity",)
SAMPLE_ROWS = 2_000
# include/triggers.claim prefixes claimed files with a timestamp and a random tag.
CLAIM_PREFIX = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{8}-")
_URGENT_NAME = re.compile(r"(^|[._-])(urgent|priority|realtime|rt)([._-]|$)", re.IGNORECASE)


@dataclass
class FileProfile:
    path: str
    format: str
    size_bytes: int
    sample_rows: int
    row_estimate: int
    columns: int
    domain: str
    pii_density: float  # share of sampled cells holding a detected identifier
    urgent: bool
    urgent_reason: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RouteDecision:
    route: str
    engine: str
    reason: str


def profile_file(path: str | Path) -> FileProfile:
    """Format, size, row estimate, domain, PII density and urgency from a sample of the file.
    Raises compliance.io.InputError for files that cannot be read."""
    from compliance.detection import Detector
    from compliance.rules import detect_domain

    path = Path(path)
    reader = FileReader(path, batch_rows=SAMPLE_ROWS)
    chunk = next(iter(reader), None)
    if chunk is None:
        raise InputError(f"{path.name}: no readable data rows in the first {SAMPLE_ROWS} rows")
    batch = chunk.batch
    detector = Detector()
    classes = detector.classify(batch)
    findings = detector.detect(batch, classes)
    size = path.stat().st_size
    cells = max(1, batch.num_rows * batch.num_columns)
    sample_rows = batch.num_rows
    # Parquet knows its row count; text formats are estimated from the sampled bytes per row.
    if reader.format == "parquet":
        import pyarrow.parquet as pq

        row_estimate = pq.ParquetFile(path).metadata.num_rows
    else:
        row_estimate = _estimate_rows(path, sample_rows)
    urgent, urgent_reason = _urgency(path)
    return FileProfile(
        path=str(path),
        format=reader.format,
        size_bytes=size,
        sample_rows=sample_rows,
        row_estimate=row_estimate,
        columns=batch.num_columns,
        domain=detect_domain(classes),
        pii_density=round(findings.num_rows / cells, 4),
        urgent=urgent,
        urgent_reason=urgent_reason,
    )


def _estimate_rows(path: Path, sample_rows: int) -> int:
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(1 << 20)
    lines = max(1, head.count(b"\n"))
    if len(head) >= size:
        return max(sample_rows, lines - 1)
    return int(size / (len(head) / lines))


def _urgency(path: Path) -> tuple[bool, str]:
    """Urgent when the name says so (orders_urgent.csv) or a sidecar `<file>.urgent` exists."""
    original = CLAIM_PREFIX.sub("", path.name)
    if _URGENT_NAME.search(Path(original).stem):
        return True, "file name marks it urgent"
    if path.with_name(path.name + ".urgent").exists():
        return True, "sidecar .urgent file"
    return False, ""


def decide_route(
    profile: FileProfile,
    settings: Settings,
    override: str = "auto",
    *,
    anonymize: str | None = None,
    dry_run: bool = False,
) -> RouteDecision:
    """The route and a reason a person can read. Thresholds come from settings (README table).

    Raises ValueError for a combination no route can honour (an override to stream or hybrid
    with k-anonymity)."""
    if override not in ("auto", *ROUTES):
        raise ValueError(f"route override must be auto or one of {', '.join(ROUTES)}, got {override!r}")
    if anonymize in WHOLE_FILE_METHODS and override in ("stream", "hybrid"):
        raise ValueError(
            f"{anonymize} needs the whole file at once: only the batch route does it, not {override}"
        )
    if override != "auto":
        route, why = override, f"route override={override} requested by the run"
    elif anonymize in WHOLE_FILE_METHODS:
        route, why = "batch", f"{anonymize} requested: it needs the whole file at once"
    elif profile.size_bytes >= settings.batch_min_bytes:
        route, why = "batch", f"size {profile.size_bytes} B >= SDP_BATCH_MIN_BYTES {settings.batch_min_bytes}"
    elif profile.urgent and profile.size_bytes <= settings.urgent_max_bytes:
        route, why = "stream", f"urgent ({profile.urgent_reason}) and size <= SDP_URGENT_MAX_BYTES"
    elif profile.size_bytes <= settings.stream_max_bytes:
        route, why = (
            "stream",
            f"size {profile.size_bytes} B <= SDP_STREAM_MAX_BYTES {settings.stream_max_bytes}",
        )
    else:
        route, why = (
            "hybrid",
            f"size {profile.size_bytes} B between SDP_STREAM_MAX_BYTES and SDP_BATCH_MIN_BYTES",
        )
    if dry_run and route == "stream":
        # The stream consumer loads as it goes; a dry run must load nothing.
        route, why = (
            "hybrid",
            f"{why}; dry run: the hybrid engine scans instead of the loading stream consumer",
        )
    return RouteDecision(route, ENGINE_OF_ROUTE[route], why)

"""Read-side answers of the portal, as plain dicts ready for JSON.

Aggregates over the largest table (violations by day/regulation/type) are counted per file and
cached with the file's *version* (its latest job, finished jobs and stream progress, read from the
jobs table only): a dashboard that refreshes every few seconds recounts only the files whose
results changed, so its cost follows new results, not the size of the history.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from include.db.sql import load_sql
from include.portal.db import ReaderConnections

REGULATIONS = ("HIPAA", "GDPR", "PCI-DSS", "LOCATION")
ENGINE_OF_PIPELINE = {"batch": "spark", "stream": "stream", "hybrid": "flink"}
PIPELINE_OF_ENGINE = {engine: pipeline for pipeline, engine in ENGINE_OF_PIPELINE.items()}
MAX_PAGE = 1000


@dataclass(frozen=True)
class ViolationCount:
    day: dt.date
    regulation: str
    violation_type: str
    severity: str
    count: int
    files: int


def _display_name(path: str) -> str:
    """The file's name as the user gave it: the landing trigger prefixes claimed files with a
    timestamp and a tag (include/routing.CLAIM_PREFIX)."""
    from include.routing import CLAIM_PREFIX

    return CLAIM_PREFIX.sub("", PurePath(path).name)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _iso(value) for key, value in row.items()}


class PortalQueries:
    def __init__(self, connections: ReaderConnections) -> None:
        self._connections = connections
        self._cache_lock = threading.Lock()
        # file id -> its version, and its violation counts (day, regulation, type, severity, n)
        self._file_versions: dict[int, tuple] = {}
        self._file_counts: dict[int, list[tuple]] = {}

    def _rows(self, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._connections.connection() as conn:
            return conn.execute(load_sql(name), params or {}).fetchall()

    # -- cached aggregates ---------------------------------------------------------------------
    def violation_counts(self) -> list[ViolationCount]:
        """Violations by day, regulation, type and severity over all files. Counted per file and
        cached with the file's version (include/sql/portal_file_versions.sql): a refresh recounts
        only the files whose results changed since the last one."""
        with self._connections.connection() as conn:
            versions = {
                r["file_id"]: (r["last_job"], r["finished_jobs"], r["stream_progress"])
                for r in conn.execute(load_sql("portal_file_versions")).fetchall()
            }
            with self._cache_lock:
                stale = [f for f, version in versions.items() if self._file_versions.get(f) != version]
            fresh: dict[int, list[tuple]] = {file_id: [] for file_id in stale}
            if stale:
                for r in conn.execute(load_sql("portal_violation_counts"), {"file_ids": stale}).fetchall():
                    fresh[r["file_id"]].append(
                        (r["day"], r["regulation"], r["violation_type"], r["severity"], r["n"])
                    )
        with self._cache_lock:
            for file_id in stale:
                self._file_counts[file_id] = fresh[file_id]
                self._file_versions[file_id] = versions[file_id]
            for gone in set(self._file_counts) - set(versions):
                del self._file_counts[gone], self._file_versions[gone]
            totals: dict[tuple, list[int]] = {}
            for rows in self._file_counts.values():
                for day, regulation, violation_type, severity, n in rows:
                    entry = totals.setdefault((day, regulation, violation_type, severity), [0, 0])
                    entry[0] += n
                    entry[1] += 1
        return [ViolationCount(*key, count, files) for key, (count, files) in sorted(totals.items())]

    # -- endpoints -----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        files: dict[str, int] = {}
        jobs: dict[str, int] = {}
        for row in self._rows("portal_status"):
            (files if row["kind"] == "file" else jobs)[row["status"]] = row["n"]
        return {
            "files": files,
            "jobs": jobs,
            "files_total": sum(files.values()),
            "jobs_total": sum(jobs.values()),
        }

    def jobs(self, *, limit: int = 50, pipeline: str | None = None) -> list[dict[str, Any]]:
        engine = ENGINE_OF_PIPELINE[pipeline] if pipeline else None
        out = []
        for row in self._rows("portal_jobs", {"limit": min(max(limit, 1), MAX_PAGE), "engine": engine}):
            done = (row["records_loaded"] or 0) + (row["records_quarantined"] or 0)
            expected = row["records_expected"]
            if row["status"] != "running":
                progress = 1.0
            elif expected:
                progress = min(done / expected, 1.0)
            else:
                progress = 0.0
            out.append(
                {
                    **_jsonable(row),
                    "file_name": _display_name(row["path"]),
                    "pipeline": PIPELINE_OF_ENGINE.get(row["engine"], row["engine"]),
                    "progress": round(progress, 4),
                }
            )
            del out[-1]["path"]  # absolute server paths are not the user's business
        return out

    def pipeline_metrics(self, pipeline: str | None = None) -> dict[str, Any]:
        engine = ENGINE_OF_PIPELINE[pipeline] if pipeline else None
        engines = []
        for row in self._rows("portal_engine_totals", {"engine": engine}):
            engines.append({**row, "pipeline": PIPELINE_OF_ENGINE.get(row["engine"], row["engine"])})
        return {"pipeline_type": pipeline or "all", "engines": engines}

    def files(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        rows = self._rows("portal_files", {"limit": min(max(limit, 1), MAX_PAGE), "offset": max(offset, 0)})
        out = []
        for row in rows:
            item = _jsonable(row)
            item["file_name"] = _display_name(item.pop("path"))
            item["pipeline"] = PIPELINE_OF_ENGINE.get(row["engine"], row["engine"])
            out.append(item)
        return out

    def records(self, file_id: int, *, after: int = -1, limit: int = 100) -> dict[str, Any] | None:
        """One page of a file's anonymized rows, or None for an unknown file. `next_after` is the
        cursor of the next page (None at the end)."""
        limit = min(max(limit, 1), MAX_PAGE)
        with self._connections.connection() as conn:
            file_row = conn.execute(load_sql("portal_file_exists"), {"file_id": file_id}).fetchone()
            if file_row is None:
                return None
            rows = conn.execute(
                load_sql("portal_records"), {"file_id": file_id, "after": after, "limit": limit}
            ).fetchall()
        return {
            "file_id": file_id,
            "file_name": _display_name(file_row["path"]),
            "status": file_row["status"],
            "records": rows,
            "next_after": rows[-1]["row_number"] if len(rows) == limit else None,
        }

    def quarantine(self, *, limit: int = 50) -> list[dict[str, Any]]:
        out = []
        for row in self._rows("portal_quarantine", {"limit": min(max(limit, 1), MAX_PAGE)}):
            item = _jsonable(row)
            path = item.pop("path")
            item["file_name"] = _display_name(path) if path else None
            out.append(item)
        return out

    def statistics(self) -> dict[str, Any]:
        tables = self._rows("portal_statistics")
        status = self.status()
        engines = self.pipeline_metrics()["engines"]
        return {
            "tables": tables,
            "files": status["files_total"],
            "jobs": status["jobs_total"],
            "records_loaded": sum(e["records_loaded"] for e in engines),
            "records_quarantined": sum(e["records_quarantined"] for e in engines),
            "violations": sum(e["violations"] for e in engines),
        }

    def violations(self, *, days: int = 30) -> dict[str, Any]:
        """Violations per day by regulation and by type (the trends), over the last `days` days."""
        counts = self.violation_counts()
        since = dt.date.today() - dt.timedelta(days=max(days, 1) - 1)
        by_regulation: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        by_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for c in counts:
            if c.day >= since:
                by_regulation[c.day.isoformat()][c.regulation] += c.count
                by_type[c.day.isoformat()][c.violation_type] += c.count
        return {
            "since": since.isoformat(),
            "by_regulation": [{"day": d, "counts": dict(v)} for d, v in sorted(by_regulation.items())],
            "by_type": [{"day": d, "counts": dict(v)} for d, v in sorted(by_type.items())],
        }

    def compliance_summary(self) -> list[dict[str, Any]]:
        totals: dict[str, dict[str, Any]] = {
            reg: {
                "regulation": reg,
                "violations": 0,
                "by_severity": defaultdict(int),
                "by_type": defaultdict(int),
            }
            for reg in REGULATIONS
        }
        for c in self.violation_counts():
            entry = totals.setdefault(
                c.regulation,
                {
                    "regulation": c.regulation,
                    "violations": 0,
                    "by_severity": defaultdict(int),
                    "by_type": defaultdict(int),
                },
            )
            entry["violations"] += c.count
            entry["by_severity"][c.severity] += c.count
            entry["by_type"][c.violation_type] += c.count
        return [
            {**entry, "by_severity": dict(entry["by_severity"]), "by_type": dict(entry["by_type"])}
            for entry in totals.values()
        ]

    def summary(self, *, recent: int = 10, days: int = 30) -> dict[str, Any]:
        return {
            "generated_at": dt.datetime.now(dt.UTC).isoformat(),
            "system": self.statistics(),
            "recent_jobs": self.jobs(limit=recent),
            "violation_trends": self.violations(days=days),
            "compliance": self.compliance_summary(),
        }

    # -- metrics -------------------------------------------------------------------------------
    def quarantine_totals(self) -> dict[str, int]:
        return self._rows("portal_quarantine_totals")[0]

    def stream_lag(self) -> dict[str, int]:
        return self._rows("portal_stream_lag")[0]

    def job_durations(self) -> list[dict[str, Any]]:
        return [
            {**row, "job_seconds": float(row["job_seconds"]), "landed_to_loaded_seconds": None
             if row["landed_to_loaded_seconds"] is None else float(row["landed_to_loaded_seconds"])}
            for row in self._rows("portal_job_durations")
        ]  # fmt: skip

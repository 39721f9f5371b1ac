"""Prometheus metrics computed from PostgreSQL at scrape time.

The pipeline runs in many processes (Airflow task workers, the stream consumer, Spark, Flink), and
all of them record their results in the results database; a collector that reads it there gives
one consistent view without a multi-process registry or a push gateway. Counters are totals since
the database was created, so they survive restarts of every process."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from include.portal.queries import PIPELINE_OF_ENGINE, PortalQueries

# Seconds: from a few (small stream files) to an hour (large batch files).
LANDED_TO_LOADED_BUCKETS = (1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)
JOB_SECONDS_BUCKETS = (1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)


def histogram_buckets(
    values: Sequence[float], bounds: Sequence[float]
) -> tuple[list[tuple[str, float]], float]:
    """Cumulative Prometheus buckets (`le` label, count) and the sum of `values`."""
    counts = [0] * (len(bounds) + 1)
    for value in values:
        counts[bisect.bisect_left(bounds, value)] += 1
    cumulative, buckets = 0, []
    for bound, count in zip([*map(str, bounds), "+Inf"], counts, strict=True):
        cumulative += count
        buckets.append((bound, cumulative))
    return buckets, float(sum(values))


class PipelineCollector(Collector):
    def __init__(self, queries: PortalQueries) -> None:
        self._queries = queries

    def describe(self) -> list:
        # Nothing up front: describing would otherwise query the database at registration.
        return []

    def collect(self) -> Iterator:
        q = self._queries
        status = q.status()
        files = GaugeMetricFamily("sdp_files", "Files known to the platform, by status", labels=["status"])
        for name, n in status["files"].items():
            files.add_metric([name], n)
        yield files

        jobs = CounterMetricFamily(
            "sdp_jobs", "Processing jobs, by route and outcome", labels=["pipeline", "status"]
        )
        records = CounterMetricFamily(
            "sdp_records", "Records processed, by route and outcome", labels=["pipeline", "outcome"]
        )
        routed = CounterMetricFamily("sdp_files_routed", "Files routed to each pipeline", labels=["pipeline"])
        for engine in q.pipeline_metrics()["engines"]:
            pipeline = engine["pipeline"]
            routed.add_metric([pipeline], engine["jobs"])
            for outcome in ("running", "succeeded", "failed"):
                jobs.add_metric([pipeline, outcome], engine[outcome])
            records.add_metric([pipeline, "in"], engine["records_in"])
            records.add_metric([pipeline, "loaded"], engine["records_loaded"])
            records.add_metric([pipeline, "quarantined"], engine["records_quarantined"])
        yield jobs
        yield records
        yield routed

        violations = CounterMetricFamily(
            "sdp_violations",
            "Compliance violations found, by regulation and type",
            labels=["regulation", "type"],
        )
        totals: dict[tuple[str, str], int] = {}
        for count in q.violation_counts():
            key = (count.regulation, count.violation_type)
            totals[key] = totals.get(key, 0) + count.count
        for (regulation, violation_type), n in sorted(totals.items()):
            violations.add_metric([regulation, violation_type], n)
        yield violations

        quarantine = q.quarantine_totals()
        quarantined = CounterMetricFamily(
            "sdp_quarantined", "Quarantine entries: whole files and single rows", labels=["kind"]
        )
        quarantined.add_metric(["file"], quarantine["files"])
        quarantined.add_metric(["row"], quarantine["rows"])
        yield quarantined

        lag = q.stream_lag()
        yield GaugeMetricFamily(
            "sdp_stream_consumer_lag_rows",
            "Rows announced to the stream consumer and not committed yet",
            value=lag["rows_behind"],
        )
        yield GaugeMetricFamily(
            "sdp_stream_open_jobs", "Stream jobs the consumer has not completed", value=lag["jobs_open"]
        )

        durations = q.job_durations()
        landed = [
            d["landed_to_loaded_seconds"] for d in durations if d["landed_to_loaded_seconds"] is not None
        ]
        buckets, total = histogram_buckets(landed, LANDED_TO_LOADED_BUCKETS)
        landed_hist = HistogramMetricFamily(
            "sdp_landed_to_loaded_seconds", "From a file landing to its rows being loaded"
        )
        landed_hist.add_metric([], buckets, total)
        yield landed_hist

        job_hist = HistogramMetricFamily(
            "sdp_job_seconds", "Processing job duration (start to finish), by route", labels=["pipeline"]
        )
        by_pipeline: dict[str, list[float]] = {}
        for d in durations:
            by_pipeline.setdefault(PIPELINE_OF_ENGINE.get(d["engine"], d["engine"]), []).append(
                d["job_seconds"]
            )
        for pipeline, values in sorted(by_pipeline.items()):
            buckets, total = histogram_buckets(values, JOB_SECONDS_BUCKETS)
            job_hist.add_metric([pipeline], buckets, total)
        yield job_hist

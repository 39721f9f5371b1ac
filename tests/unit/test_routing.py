"""The router: which route a file takes and why (README's route table), and the run options it
refuses. Pure logic over a FileProfile; profile_file itself runs on real generated files."""

from __future__ import annotations

from pathlib import Path

import pytest

from include.ingest import check_options
from include.routing import FileProfile, decide_route, profile_file
from include.settings import load_settings

MIB = 1024 * 1024
SETTINGS = load_settings({})  # defaults: stream <= 5 MiB, urgent <= 1 MiB, batch >= 50 MiB


def _profile(size: int, *, urgent: bool = False) -> FileProfile:
    return FileProfile(
        path="/x/f.csv", format="csv", size_bytes=size, sample_rows=10, row_estimate=10, columns=5,
        domain="healthcare", pii_density=0.3, urgent=urgent, urgent_reason="file name marks it urgent" if urgent else "",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("size", "urgent", "route", "engine", "reason_part"),
    [
        (10 * 1024, False, "stream", "stream", "SDP_STREAM_MAX_BYTES"),
        (5 * MIB, False, "stream", "stream", "<= SDP_STREAM_MAX_BYTES"),
        (5 * MIB + 1, False, "hybrid", "flink", "between SDP_STREAM_MAX_BYTES and SDP_BATCH_MIN_BYTES"),
        (50 * MIB - 1, False, "hybrid", "flink", "between"),
        (50 * MIB, False, "batch", "spark", ">= SDP_BATCH_MIN_BYTES"),
        (512 * 1024, True, "stream", "stream", "urgent"),
        (60 * MIB, True, "batch", "spark", ">= SDP_BATCH_MIN_BYTES"),  # too big for the stream
    ],
)
def test_route_table(size: int, urgent: bool, route: str, engine: str, reason_part: str) -> None:
    decision = decide_route(_profile(size, urgent=urgent), SETTINGS)
    assert (decision.route, decision.engine) == (route, engine)
    assert reason_part in decision.reason


def test_thresholds_come_from_settings() -> None:
    small_batch = load_settings({"SDP_BATCH_MIN_BYTES": "1000", "SDP_STREAM_MAX_BYTES": "10"})
    assert decide_route(_profile(2000), small_batch).route == "batch"
    assert decide_route(_profile(500), small_batch).route == "hybrid"


def test_override_and_k_anonymity() -> None:
    assert decide_route(_profile(100), SETTINGS, "hybrid").route == "hybrid"
    assert "override=hybrid" in decide_route(_profile(100), SETTINGS, "hybrid").reason
    # k-anonymity needs the whole file: auto picks batch whatever the size.
    decision = decide_route(_profile(100), SETTINGS, anonymize="k_anonymity")
    assert decision.route == "batch" and "whole file" in decision.reason
    with pytest.raises(ValueError, match="only the batch route"):
        decide_route(_profile(100), SETTINGS, "stream", anonymize="k_anonymity")
    with pytest.raises(ValueError, match="route override"):
        decide_route(_profile(100), SETTINGS, "kafka")


def test_dry_run_never_takes_the_loading_stream() -> None:
    decision = decide_route(_profile(100), SETTINGS, dry_run=True)
    assert decision.route == "hybrid" and "dry run" in decision.reason
    assert decide_route(_profile(100), SETTINGS, "stream", dry_run=True).route == "hybrid"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"route": "stream", "anonymize": "k_anonymity"}, "only the batch route"),
        ({"route": "hybrid", "anonymize": "k_anonymity"}, "only the batch route"),
        ({"route": "spark"}, "route must be"),
        ({"anonymize": "mask"}, "anonymize must be"),
        ({"domain": "retail"}, "domain must be"),
        ({"k": 1}, "k must be"),
    ],
)
def test_contradictory_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_options(options)


def test_default_options_pass() -> None:
    from include.ingest_dag import DEFAULT_OPTIONS

    check_options(DEFAULT_OPTIONS)
    check_options({**DEFAULT_OPTIONS, "route": "batch", "anonymize": "k_anonymity", "k": 5})


def test_profile_of_a_generated_file(tmp_path: Path) -> None:
    from compliance.generator import write_dataset

    source = tmp_path / "claims_urgent.csv"
    write_dataset("healthcare", 3000, source, seed=3)
    profile = profile_file(source)
    assert profile.format == "csv" and profile.domain == "healthcare"
    assert profile.urgent and 0 < profile.sample_rows <= 2000  # a sample, never the whole file
    assert 2500 <= profile.row_estimate <= 3500
    assert 0 < profile.pii_density <= 1
    assert decide_route(profile, SETTINGS).route == "stream"

"""One stack for all the portal's tests (API and page): PostgreSQL, broker, stream consumer and
Airflow with the portal mounted in its api-server, on free ports in a state folder of its own,
with one sample file processed by the pipeline before the first test. Started once for the
package (an Airflow stack takes about a minute to start and half a minute to stop); stopped at
the end."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from compliance.generator import write_dataset
from include.db.files import sha256_of
from include.settings import Settings, load_settings
from include.stack.manager import Stack
from tests.conftest import isolated_stack_env
from tests.integration.portal.landing import drop, wait_files

UPLOAD_MAX_BYTES = 400_000
# Deletes records of the shared sample that the other portal tests read.
ERASURE_TEST = "test_admin_reveals_and_erases_a_subject"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The erasure runs after every other portal test, whatever the order of the modules."""
    here = Path(__file__).parent
    places = [i for i, item in enumerate(items) if here in item.path.parents]
    portal = [items[i] for i in places]
    ordered = [t for t in portal if t.name != ERASURE_TEST] + [t for t in portal if t.name == ERASURE_TEST]
    for place, item in zip(places, ordered, strict=True):
        items[place] = item


@pytest.fixture(scope="package")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("portal-samples")
    files = {
        "patients.csv": ("healthcare", 400, 11),
        "payments.jsonl": ("financial", 300, 12),
        "places.csv": ("location", 300, 13),
        "clinic.csv": ("healthcare", 250, 14),
        "big.csv": ("healthcare", 3000, 15),
        "upload_clinic.csv": ("healthcare", 220, 22),
    }
    out = {}
    for name, (domain, rows, seed) in files.items():
        out[name] = folder / name
        write_dataset(domain, rows, out[name], seed=seed)
    assert out["big.csv"].stat().st_size > UPLOAD_MAX_BYTES > out["patients.csv"].stat().st_size
    return out


@pytest.fixture(scope="package")
def portal_stack(samples: dict[str, Path]) -> Iterator[tuple[Settings, Stack]]:
    env = isolated_stack_env(
        "portal-",
        SDP_FILE_STABLE_SECONDS="1",
        SDP_LANDING_POLL_SECONDS="1",
        SDP_PORTAL_UPLOAD_MAX_BYTES=str(UPLOAD_MAX_BYTES),
    )
    settings = load_settings(env)
    stack = Stack(settings)
    stack.up(log=lambda _m: None)
    try:
        # Real data: a file dropped into the landing zone, processed by the pipeline.
        drop(settings, samples["patients.csv"])
        assert wait_files(settings, [sha256_of(samples["patients.csv"])]) == {
            sha256_of(samples["patients.csv"]): "loaded"
        }
        yield settings, stack
    finally:
        stack.down(log=lambda _m: None)
    if not os.environ.get("SDP_TEST_KEEP_STATE"):
        shutil.rmtree(settings.state_dir, ignore_errors=True)

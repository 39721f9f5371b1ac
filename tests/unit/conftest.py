"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from compliance.detection import Detector


@pytest.fixture(scope="session")
def detector() -> Detector:
    """One detector for every detection test: it keeps no state between batches that a test could
    see (each detect() starts afresh)."""
    return Detector()

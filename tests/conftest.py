"""Shared fixtures: project paths, the seeds and their expectations, a Prefect test server."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support import RAW, SEED_NAMES

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_server():
    """One embedded Prefect server for every flow test (starting one costs seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def seed_raw(tmp_path: Path) -> Path:
    """A raw folder holding a copy of the five seed files."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in SEED_NAMES:
        shutil.copy(RAW / name, raw / name)
    return raw

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def notebook_run(tmp_path_factory, testrun_uid) -> Path:
    """The folder this test run's notebooks execute into, shared by all xdist workers (whose
    own temporary folders sit side by side in one folder of the run)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / \
        f"notebooks-{testrun_uid}"


@pytest.fixture(scope="session")
def executed_notebooks(notebook_run):
    """Every lesson and exercise notebook, executed once in this run (see support.notebooks)."""
    from support.notebooks import execute_once

    return execute_once(notebook_run)

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import shutil
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


# Debian's chromium by default; KFUNC_CHROMIUM points elsewhere (GitHub's Ubuntu runners ship
# Google Chrome, and Ubuntu's apt "chromium" is only a snap shim).
CHROMIUM = os.environ.get("KFUNC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, driven by Playwright (started once per worker, where a test asks)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no browser at {CHROMIUM}: apt-get install chromium (make test installs "
                    "it), or set KFUNC_CHROMIUM to a Chromium or Chrome binary")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()

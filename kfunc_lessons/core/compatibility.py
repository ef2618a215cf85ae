"""The oldest Keras and TensorFlow this package is proven on, checked before Keras loads.

`pyproject.toml` declares the same minimums (a test keeps them equal) and
`make compat PROFILE=oldest` runs the grader suites and every notebook at exactly these
releases. An older install gets one line that says what to run, instead of a failure deep
inside Keras that would look like the grader's fault.
"""

from __future__ import annotations

import os
import re
from importlib import metadata

# Keras's floor is where no published advisory touches the path the grader takes with a
# learner's saved model (keras.models.load_model with safe_mode=True): CVE-2025-9906 (fixed in
# 3.11.0), the HDF5 safe_mode bypass CVE-2025-9905 (3.11.3), CVE-2025-12058 and
# CVE-2025-12060 (3.12.0), CVE-2026-1462 (TFSMLayer) and CVE-2026-0897 (3.12.1, and again in
# 3.13.2: 3.13.0 and 3.13.1 shipped without the fixes, so they are excluded).
MINIMUM_VERSIONS = {"keras": "3.12.1", "tensorflow": "2.16.1"}
EXCLUDED_VERSIONS = {"keras": ("3.13.0", "3.13.1")}
_UPGRADE_TO = {"keras": "3.13.2"}  # the next safe release after an excluded one


class UnsupportedVersion(ImportError):
    """An installed Keras or TensorFlow is older than this package supports."""


def _release(version: str) -> tuple[int, ...]:
    """(3, 10, 0) for "3.10.0", "3.10.0rc1" or "3.10.0.dev2025": a pre-release counts as its
    release, which is close enough to tell a supported install from an old one."""
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def version_problem() -> str | None:
    """One line naming the first too-old package, the version needed and the fix; else None.

    TensorFlow is only checked when it is the backend (the default), so a JAX or PyTorch
    install without TensorFlow is fine.
    """
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    for package, minimum in MINIMUM_VERSIONS.items():
        if package == "tensorflow" and backend != "tensorflow":
            continue
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue  # not installed: importing it gives Python's own clear error
        if _release(installed) < _release(minimum):
            return (f"kfunc-lessons needs {package} >= {minimum}, but {package} {installed} "
                    f'is installed. Run: pip install --upgrade "{package}>={minimum}"')
        excluded = EXCLUDED_VERSIONS.get(package, ())
        if _release(installed) in {_release(v) for v in excluded}:
            target = _UPGRADE_TO[package]
            return (f"kfunc-lessons needs {package} >= {minimum} but not "
                    f"{' or '.join(excluded)} (they load saved models unsafely: "
                    f"CVE-2026-1462, CVE-2026-0897), and {package} {installed} is installed. "
                    f'Run: pip install --upgrade "{package}>={target}"')
    return None


def require_supported_versions() -> None:
    """Raise `UnsupportedVersion` (one line) when Keras or TensorFlow is too old."""
    problem = version_problem()
    if problem:
        raise UnsupportedVersion(problem)

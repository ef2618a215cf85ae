"""The package's stored data: ``data/<name>.npz`` arrays, checksummed and pickle-free.

``data/manifest.json`` holds each file's SHA-256 sum, verified on every load. Reference
outputs (`references`) and trained starters (`starters`) both
read their arrays through `load_npz`.
"""

from __future__ import annotations

import hashlib
import io
import json
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

MANIFEST = "manifest.json"


class ReferenceDataError(RuntimeError):
    """The package's stored data is missing or does not match its checksum."""


def data_dir() -> Path:
    """The folder that holds the package's data files."""
    return Path(str(resources.files("kfunc_lessons.course") / "data"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def load_npz(name: str) -> dict[str, np.ndarray]:
    """Arrays of ``data/<name>.npz`` after verifying its checksum against the manifest."""
    directory = data_dir()
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        raw = (directory / f"{name}.npz").read_bytes()
    except (OSError, ValueError) as exc:
        raise ReferenceDataError(f"reference data '{name}' cannot be read: {exc}") from exc
    if manifest.get(f"{name}.npz") != sha256(raw):
        raise ReferenceDataError(f"reference data '{name}.npz' does not match its checksum")
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}

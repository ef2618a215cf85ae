"""Where things live on the web, all derived from pyproject's one repository URL."""

from __future__ import annotations

import importlib.metadata

_FALLBACK_REPOSITORY = "https://github.com/kfunc-lessons/kfunc-lessons"


def repository_url() -> str:
    """The repository, from the installed package's metadata ([project.urls] Repository)."""
    try:
        entries = importlib.metadata.metadata("kfunc-lessons").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        entries = []
    for entry in entries:
        label, _, url = entry.partition(", ")
        if label == "Repository":
            return url.rstrip("/")
    return _FALLBACK_REPOSITORY


def issues_url() -> str:
    """The issue tracker."""
    return repository_url() + "/issues"


def site_url() -> str:
    """The course site: the repository's GitHub Pages address, ending in '/'."""
    owner, _, name = repository_url().removeprefix("https://github.com/").partition("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def lesson_url(notebook: str, anchor: str = "") -> str:
    """A lesson page (``notebook`` is its file stem, '03_residual_add'), at a section."""
    return f"{site_url()}lessons/{notebook}/" + (f"#{anchor}" if anchor else "")

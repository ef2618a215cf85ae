"""Where things live on the web, all derived from pyproject's one repository URL (as the
installed package's metadata carries it)."""

from __future__ import annotations

import importlib.metadata
import re

RELEASE = re.compile(r"\d+\.\d+\.\d+")  # a release; anything else is a development version


def repository_url() -> str | None:
    """The repository ([project.urls] Repository), or None where the package's metadata is
    missing (code run from a checkout that was never installed)."""
    try:
        entries = importlib.metadata.metadata("kfunc-lessons").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        entries = []
    for entry in entries:
        label, _, url = entry.partition(", ")
        if label == "Repository":
            return url.rstrip("/")
    return None


def issues_url() -> str:
    """The issue tracker."""
    repository = repository_url()
    return f"{repository}/issues" if repository else "the kfunc-lessons issue tracker"


def install_requirement(version: str, repository: str, extras: tuple[str, ...] = ()) -> str:
    """What every set-up installs (Colab's install cell, Gradescope's setup.sh, the Actions
    workflow): the release itself on a release, so a notebook or an autograder never meets
    another package than it was written for; the repository for a development version.
    ``extras`` names optional dependency groups (the notebooks ask for "lessons")."""
    name = "kfunc-lessons" + (f"[{','.join(extras)}]" if extras else "")
    if RELEASE.fullmatch(version):
        return f"{name}=={version}"
    return f"{name} @ git+{repository}"


def site_url() -> str | None:
    """The course site: the repository's GitHub Pages address, ending in '/'."""
    repository = repository_url()
    if repository is None:
        return None
    owner, _, name = repository.removeprefix("https://github.com/").partition("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def lesson_url(notebook: str, anchor: str = "") -> str:
    """A lesson page (``notebook`` is its file stem, '03_residual_add'), at a section; the
    notebook's path in the repository where the site's address is unknown."""
    site = site_url()
    page = f"{site}lessons/{notebook}/" if site else f"lessons/{notebook}.ipynb"
    return page + (f"#{anchor}" if anchor else "")

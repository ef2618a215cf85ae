"""The notebook cache: only `make serve` uses it, and it is keyed by what notebooks run with."""

import importlib.util

from mkdocs.config import load_config

from tests.conftest import ROOT


def _hooks():
    spec = importlib.util.spec_from_file_location("hooks", ROOT / "scripts" / "mkdocs_hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_make_serve_caches_executed_notebooks(monkeypatch):
    monkeypatch.delenv("KFUNC_SITE_CACHE", raising=False)
    plain = load_config(str(ROOT / "mkdocs.yml"))
    assert plain["plugins"]["mkdocs-jupyter"].config["cache"] is False
    monkeypatch.setenv("KFUNC_SITE_CACHE", "true")
    serving = load_config(str(ROOT / "mkdocs.yml"))
    assert serving["plugins"]["mkdocs-jupyter"].config["cache"] is True
    assert "KFUNC_SITE_CACHE=true" in (ROOT / "Makefile").read_text()
    watched = {str(p) for p in serving["watch"]}
    assert {str(ROOT / d) for d in ("lessons", "exercises", "kfunc_lessons")} <= watched


def test_the_cache_key_changes_with_the_package_and_the_ipython_profile(tmp_path, monkeypatch):
    hooks = _hooks()
    (tmp_path / "kfunc_lessons").mkdir()
    (tmp_path / "scripts" / "ipython").mkdir(parents=True)
    source = tmp_path / "kfunc_lessons" / "engine.py"
    profile = tmp_path / "scripts" / "ipython" / "startup.py"
    source.write_text("ATOL = 1e-5\n")
    profile.write_text("xmode = 'Minimal'\n")
    monkeypatch.setattr(hooks, "ROOT", tmp_path)
    first = hooks.execution_fingerprint()
    assert hooks.execution_fingerprint() == first
    source.write_text("ATOL = 1e-3\n")
    second = hooks.execution_fingerprint()
    profile.write_text("xmode = 'Verbose'\n")
    assert len({first, second, hooks.execution_fingerprint()}) == 3
    monkeypatch.setattr(hooks, "VERSIONED", (*hooks.VERSIONED, "pytest"))
    assert hooks.execution_fingerprint() not in {first, second}

"""The package's architecture, held by tests: the folders show its parts, imports point one
way between them, every condition the catalogue words is detected once, and the newcomers'
map names modules that exist."""

import ast
import importlib.util
import re

from kfunc_lessons.course import catalogue
from tests.conftest import ROOT

PACKAGE = ROOT / "kfunc_lessons"
# A part may import itself and the parts below it: core < course < classroom < face.
ORDER = {"core": 0, "course": 1, "classroom": 2, "face": 3}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ORDER else "face"


def _imports(path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            if node.module == "kfunc_lessons":
                found += [f"kfunc_lessons.{a.name}" for a in node.names
                          if not a.name.startswith("__")]  # the version is everyone's
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return [m for m in found if m.startswith("kfunc_lessons")]


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def test_imports_point_one_way_between_the_parts():
    upward = [f"{module} -> {imported}" for module, path in _modules()
              for imported in _imports(path)
              if imported != "kfunc_lessons" and ORDER[_part(imported)] > ORDER[_part(module)]]
    assert upward == []


def test_the_top_level_holds_only_the_face():
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "api", "cli", "rebuild", "result", "starters", "surgery"]


def test_support_code_imports_no_test():
    for path in sorted((ROOT / "support").glob("*.py")):
        assert not [m for m in _imports_any(path) if m.startswith("tests")], path


def _imports_any(path) -> list[str]:
    return [n.module for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.ImportFrom) and n.module] + [
        a.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Import)
        for a in n.names]


def _named_by_the_pipeline() -> set[str]:
    found = set()
    for path in (PACKAGE / "core").glob("*.py"):
        found |= set(re.findall(r'cause="([a-z0-9-]+)"', path.read_text()))
        found |= {f"{kind}-names" for kind in ("input", "output")
                  if 'cause=f"{kind}-names"' in path.read_text()}
    return found


def test_each_catalogued_condition_is_detected_in_one_place():
    named = _named_by_the_pipeline()
    entries = {m.id: m for m in catalogue.CATALOGUE}
    assert named <= set(entries), named - set(entries)
    spotted = {m.id for m in catalogue.CATALOGUE if m.spot is not None}
    assert named & spotted == set()  # the pipeline found it: no detector finds it again
    unreachable = [m.id for m in catalogue.CATALOGUE
                   if m.spot is None and m.error is None and m.id not in named]
    assert unreachable == []
    assert {"subclassed-model", "unbuilt-sequential", "input-names", "output-names",
            "fresh-layer", "unfrozen-backbone", "frozen-head"} <= named


def test_the_newcomers_map_names_every_module_of_the_parts_and_only_modules_that_exist():
    text = (ROOT / "docs" / "how-the-grader-works.md").read_text()
    named = set(re.findall(r"`(kfunc_lessons(?:\.[a-z_]+)+)", text))
    assert [m for m in sorted(named) if importlib.util.find_spec(m) is None] == []
    parts = {m for m, _ in _modules() if _part(m) != "face" and not m.endswith("__init__")
             and ".solutions." not in m}
    assert sorted(parts - named) == []

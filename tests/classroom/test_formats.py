"""Grading formats: each validates against a schema written from its platform's
specification (tests/schemas), and each schema rejects what the platform would reject."""

import base64
import copy
import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import xmlschema
import yaml

from kfunc_lessons.classroom.formats import (
    render,
    to_classroom,
    to_gradescope,
    to_junit,
)
from kfunc_lessons.cli import main
from kfunc_lessons.core.result import CheckResult
from kfunc_lessons.course.exercises import EXERCISES
from scripts.solved_exercises import write_solved

RESULTS = [
    CheckResult("sequential_baseline", "passed", "your model computes what the exercise asks"),
    CheckResult("residual_add", "failed", "your layer 'dense' has 32 units; the exercise's "
                "has 64", step="structure", details=["largest difference: 0.4"]),
    CheckResult("shared_layers", "not_attempted", "`model` is still `...`", step="attempted"),
    CheckResult("branch_merge", "error", "your code called os._exit(0) before defining "
                "`model`", step="run"),
    CheckResult("multi_input_output", "error", "KeyError: 'x'", step="grader"),
]


def _schema(root, name):
    return json.loads((root / "tests" / "schemas" / name).read_text())


def _junit_schema(root):
    return xmlschema.XMLSchema(str(root / "tests" / "schemas" / "junit.xsd"))


def test_gradescope_results_validate_and_keep_every_outcome_visible(root):
    report = json.loads(to_gradescope(RESULTS, points={"residual_add": 3}))
    jsonschema.validate(report, _schema(root, "gradescope.schema.json"))
    tests = {t["name"]: t for t in report["tests"]}
    assert [t["name"] for t in report["tests"]] == [r.exercise for r in RESULTS]
    assert report["score"] == 1.0 and sum(t["max_score"] for t in tests.values()) == 7.0
    assert tests["residual_add"] == {**tests["residual_add"], "status": "failed", "score": 0.0,
                                     "max_score": 3.0}
    assert "largest difference: 0.4" in tests["residual_add"]["output"]
    assert tests["shared_layers"]["status"] == "failed"
    assert tests["shared_layers"]["output"].startswith("Not attempted")
    assert tests["multi_input_output"]["output"].startswith("Grader error")
    assert all(t["visibility"] == "visible" for t in tests.values())


def test_classroom_results_validate_and_total_as_the_reporter_sums_them(root):
    results = to_classroom(RESULTS, points=2)
    jsonschema.validate(results, _schema(root, "classroom.schema.json"))
    assert results["status"] == "error"  # an error outranks a failure
    # Both ways the grading reporter totals a runner: NotifyClassroom sums the tests' score;
    # the console table scales max_score by the share of tests with status "pass".
    recorded = sum(t["score"] for t in results["tests"])
    passed = sum(t["status"] == "pass" for t in results["tests"])
    table = passed / len(results["tests"]) * results["max_score"]
    assert recorded == table == 2.0 and results["max_score"] == 10.0
    assert [t["status"] for t in results["tests"]] == ["pass", "fail", "fail", "error", "error"]
    all_passed = to_classroom([RESULTS[0], CheckResult("residual_add", "passed", "right")])
    assert all_passed["status"] == "pass" and all_passed["max_score"] == 2.0


def test_junit_validates_and_counts_failures_and_errors(root):
    text = to_junit(RESULTS)
    _junit_schema(root).validate(text)
    suite = ET.fromstring(text).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "2", "2")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases["sequential_baseline"]) == []
    assert cases["residual_add"].find("failure").get("message") == "Incorrect"
    assert "has 32 units" in cases["residual_add"].find("failure").text
    assert cases["branch_merge"].find("error").get("message") == "Error"


def test_feedback_with_markup_characters_stays_data(root):
    nasty = [CheckResult("residual_add", "failed", 'layer "<b>x</b>" & </testcase> ]]>')]
    text = to_junit(nasty)
    _junit_schema(root).validate(text)
    assert ET.fromstring(text).find("testsuite/testcase/failure").text == nasty[0].message
    assert json.loads(to_gradescope(nasty))["tests"][0]["output"].endswith(nasty[0].message)


@pytest.mark.parametrize("break_it, schema", [
    (lambda r: r["tests"][0].update(status="error"), "gradescope.schema.json"),
    (lambda r: r["tests"][0].pop("max_score"), "gradescope.schema.json"),
    (lambda r: r.update(version=2), "classroom.schema.json"),
    (lambda r: r["tests"][0].update(status="passed"), "classroom.schema.json"),
    (lambda r: r.pop("max_score"), "classroom.schema.json"),
])
def test_the_json_schemas_reject_what_the_platforms_would(root, break_it, schema):
    report = (json.loads(to_gradescope(RESULTS)) if schema.startswith("gradescope")
              else to_classroom(RESULTS))
    broken = copy.deepcopy(report)
    break_it(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _schema(root, schema))


@pytest.mark.parametrize("edit", [
    lambda s: s.set("tests", "five"),
    lambda s: s.attrib.pop("failures"),
    lambda s: s.find("testcase").attrib.pop("name"),
    lambda s: ET.SubElement(s.find("testcase"), "verdict"),
])
def test_the_junit_schema_rejects_what_ci_systems_would(root, edit):
    tree = ET.fromstring(to_junit(RESULTS))
    edit(tree.find("testsuite"))
    assert not _junit_schema(root).is_valid(ET.tostring(tree, encoding="unicode"))


def test_the_command_line_writes_every_format(root, tmp_path, capsys):
    """A real class folder: two exercises solved, one that crashes, the rest missing."""
    write_solved(tmp_path, [e for e in EXERCISES if e.id in ("sequential_baseline",
                                                               "residual_add")])
    (tmp_path / "08_branch_merge.py").write_text("import os\nos._exit(3)\n")
    out = tmp_path / "results.json"
    code = main(["grade", str(tmp_path), "--format", "gradescope", "--points",
                 "residual_add=4", "--output", str(out)])
    assert code == 1 and capsys.readouterr().out == ""
    report = json.loads(out.read_text())
    jsonschema.validate(report, _schema(root, "gradescope.schema.json"))
    statuses = {t["name"]: t["status"] for t in report["tests"]}
    assert statuses == {e.id: "passed" if e.id in ("sequential_baseline", "residual_add")
                        else "failed" for e in EXERCISES}
    assert report["score"] == 5.0
    crashed = next(t for t in report["tests"] if t["name"] == "branch_merge")["output"]
    assert crashed.startswith("Error: the Python process running your code ended by itself")

    assert main(["grade", str(tmp_path), "--format", "classroom", "--base64"]) == 1
    decoded = json.loads(base64.b64decode(capsys.readouterr().out.strip()))
    jsonschema.validate(decoded, _schema(root, "classroom.schema.json"))
    assert decoded["status"] == "error" and decoded["max_score"] == len(EXERCISES)

    assert main(["grade", str(tmp_path), "--format", "junit"]) == 1
    _junit_schema(root).validate(capsys.readouterr().out)

    assert main(["grade", str(tmp_path), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["passed"] == 2


def test_bad_points_are_refused_with_the_valid_ids(capsys):
    assert main(["grade", "exercises", "--points", "residual=2"]) == 2
    assert "No exercise 'residual'. Valid ids: sequential_baseline" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["grade", "exercises", "--points", "residual_add=-1"])
    assert stop.value.code == 2 and "points cannot be negative" in capsys.readouterr().err


def test_render_names_the_formats_for_an_unknown_one():
    with pytest.raises(ValueError, match="the formats are: json, gradescope"):
        render("csv", RESULTS)


def test_the_documented_examples_are_real_outputs_that_validate(root):
    examples = root / "docs" / "examples" / "formats"
    gradescope = json.loads((examples / "results.json").read_text())
    jsonschema.validate(gradescope, _schema(root, "gradescope.schema.json"))
    classroom = json.loads((examples / "classroom.json").read_text())
    jsonschema.validate(classroom, _schema(root, "classroom.schema.json"))
    _junit_schema(root).validate(str(examples / "junit.xml"))
    for report in (gradescope, classroom):
        assert [t["name"] for t in report["tests"]] == [e.id for e in EXERCISES]
    workflow = yaml.safe_load((examples / "classroom.yml").read_text())
    assert workflow["jobs"]["autograding"]["steps"][-1]["with"] == {"runners": "kfunc"}
    page = (root / "docs" / "course.md").read_text()
    for name in ("results.json", "classroom.json", "junit.xml", "classroom.yml"):
        assert f'--8<-- "docs/examples/formats/{name}"' in page

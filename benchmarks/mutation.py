"""A sampled mutation score for the grader's core (see `make mutation`).

mutmut 3 has no sampling (boxed/mutmut#278), so this script samples its list itself:

1. `mutmut run` with a name that matches nothing generates every mutant of the files
   `[tool.mutmut] only_mutate` names and records which fast test reaches which function;
2. a `random.Random(SEED)` sample of SAMPLE mutant names is drawn from the sorted list;
3. `mutmut run NAMES` runs the fast tests that reach each sampled mutant (mutmut's per-mutant
   test selection), two at a time.

Score = killed / (sample - equivalent): a timeout counts as killed (the tests noticed), a
mutant that no selected test reaches counts as survived. The 95 % interval is Wilson's.
Every survivor is classified: *equivalent* (listed in EQUIVALENT with the reason no test can
tell it apart), *wording* (only the text inside a string literal changed: a sentence that the
tests do not pin word for word), or a *real gap*, which fails this script until a test kills
it.

    python benchmarks/mutation.py run [--sample N] [--seed S]   # then summarises
    python benchmarks/mutation.py rerun      # the sample's survivors, against today's tests
    python benchmarks/mutation.py summary    # from benchmarks/results/mutation_sample.json

`rerun` is for the step after a run: each real gap gets a test, and the survivors run again
(every other mutant keeps its verdict: a test that is added cannot let a killed mutant live).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import re
import subprocess
import sys
import time
import tokenize
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import write  # noqa: E402

GOAL = 0.85  # the lower end of the 95 % interval
SAMPLE = 400  # above the 385 that estimate a proportion to +-5 % at 95 % confidence
SEED = 20261202
NOTHING = "kfunc_lessons.no_such_function__mutmut_0"
RUN = ROOT / "benchmarks" / "results" / "mutation_sample.json"  # the sample and its verdicts

# mutant name -> why no test can tell it from the original
EQUIVALENT: dict[str, str] = {
    "kfunc_lessons.core.engine.x_output_label__mutmut_6":
        "matched_by_name reads the output names for any kind but 'input': 'OUTPUT' asks the "
        "same question",
    "kfunc_lessons.core.matching.xǁMatcherǁ_chain_covered__mutmut_8":
        "an input node has no inputs, so the next test (len(node.inputs) != 1) ends the chain "
        "there as well",
    "kfunc_lessons.core.matching.x_subgraph_hashes__mutmut_10":
        "every input of both graphs has a token (the io step pairs them all first), so the "
        "default is never read",
    "kfunc_lessons.core.graph.x__activation_name__mutmut_3":
        "a Keras layer always holds an activation function (activations.get(None) is linear), "
        "so fn is never None",
    "kfunc_lessons.core.graph.x__activation_name__mutmut_7":
        "a Keras layer always holds an activation function, so the 'linear' default is never "
        "read",
    "kfunc_lessons.core.graph.x__describe_call__mutmut_70":
        "both kinds of concatenate (the layer and the keras.ops operation) carry an axis, so "
        "the default is never read",
    "kfunc_lessons.core.graph.x__describe_call__mutmut_76":
        "both kinds of concatenate carry an axis, so the default is never read",
    "kfunc_lessons.core.engine.x__explained__mutmut_56":
        "the picture reads badges only through `if badges and node.id in badges`, so '' and "
        "None draw the same picture",
    "kfunc_lessons.core.graph.x__describe_call__mutmut_50":
        "Keras 3 has no operation class named ReLU that is not a layer (keras.ops' class is "
        "Relu, recognised as a raw activation two lines above), so the branch is never taken",
    "kfunc_lessons.core.execute.x__copy_layer__mutmut_7":
        "every Keras 3 layer has a dtype_policy with a name, so the default is never read",
}


def _mutmut(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "mutmut"), *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if check and done.returncode:
        sys.exit(f"mutmut {args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def all_mutants() -> list[str]:
    """Every mutant's name, from the .meta files mutmut writes beside each mutated file."""
    names = [name for meta in sorted((ROOT / "mutants").rglob("*.py.meta"))
             for name in json.loads(meta.read_text())["exit_code_by_key"]]
    return sorted(names)


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


_LITERAL = re.compile(r"""[rbfuRBFU]{0,2}("([^"\\]|\\.)*"|'([^'\\]|\\.)*')""")


def _shape(line: str) -> list[tuple[int, str]]:
    """The line's tokens with the text of every string literal blanked out."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # A line of a longer call (an unclosed bracket): blank the literals by pattern.
        return [(-1, _LITERAL.sub('""', line.strip()))]
    blank = {tokenize.STRING, *(getattr(tokenize, t) for t in ("FSTRING_MIDDLE",)
                                if hasattr(tokenize, t))}
    return [(t.type, "" if t.type in blank else t.string) for t in tokens]


def is_wording(name: str) -> bool:
    diff = _mutmut("show", name).stdout.splitlines()
    old = [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")]
    new = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    return bool(old) and len(old) == len(new) and all(
        _shape(a) == _shape(b) for a, b in zip(old, new))


def _statuses() -> dict[str, str]:
    found = {}
    for line in _mutmut("results", "--all", "true").stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        found[name] = status
    return found


def _generate() -> list[str]:
    listing = _mutmut("run", NOTHING)
    names = all_mutants()
    if not names:
        sys.exit(f"mutmut generated no mutants:\n{listing.stdout[-3000:]}{listing.stderr[-3000:]}")
    return names


def run(sample_size: int, seed: int) -> None:
    start = time.perf_counter()
    names = _generate()
    sample = random.Random(seed).sample(names, min(sample_size, len(names)))
    _mutmut("run", "--max-children", "2", *sample)
    statuses = _statuses()
    RUN.write_text(json.dumps({
        "seed": seed, "population": len(names), "sample": sample,
        "seconds": round(time.perf_counter() - start),
        "statuses": {n: statuses.get(n, "not checked") for n in sample}}, indent=1) + "\n")


def rerun() -> None:
    drawn = json.loads(RUN.read_text())
    survivors = [n for n, s in drawn["statuses"].items() if s in ("survived", "no tests")]
    start = time.perf_counter()
    _generate()
    _mutmut("run", "--max-children", "2", *survivors)
    now = _statuses()
    drawn["statuses"].update({n: now.get(n, "not checked") for n in survivors})
    drawn["rerun"] = {"mutants": len(survivors), "seconds": round(time.perf_counter() - start)}
    RUN.write_text(json.dumps(drawn, indent=1) + "\n")


def summary() -> int:
    drawn = json.loads(RUN.read_text())
    statuses = drawn["statuses"]
    sample = drawn["sample"]
    # An equivalent mutant is left out whatever its status: under a loaded machine one can
    # run past its timeout, which is not the tests noticing anything.
    equivalent = [n for n in sample if n in EQUIVALENT]
    counts = Counter(statuses.get(n, "missing") for n in sample if n not in EQUIVALENT)
    unchecked = [n for n in sample if statuses.get(n) in (None, "not checked")]
    survivors = [n for n in sample if statuses.get(n) in ("survived", "no tests")]
    wording = [n for n in survivors if n not in EQUIVALENT and is_wording(n)]
    gaps = [n for n in survivors if n not in EQUIVALENT and n not in wording]
    killed = counts["killed"] + counts["timeout"]
    judged = len(sample) - len(equivalent) - len([n for n in unchecked if n not in EQUIVALENT])
    low, high = wilson(killed, judged)
    score = killed / max(1, judged)
    rows = [
        {"measure": "mutants of the grader core (engine, matching, graph, execute)",
         "median": drawn["population"], "result": "population", "goal": ""},
        {"measure": "sample drawn (random.Random(seed).sample of the sorted names)",
         "median": len(sample), "result": f"seed {drawn['seed']}", "goal": ">= 385"},
        {"measure": "killed / (sample - equivalent)", "median": f"{killed} / {judged}",
         "result": f"{score:.1%}", "goal": ""},
        {"measure": "95 % interval (Wilson)", "median": f"{low:.1%} to {high:.1%}",
         "result": "lower bound", "goal": f">= {GOAL:.0%}"},
        {"measure": "run time (generate, record, run the sample; 2 workers)",
         "median": f"{drawn['seconds'] / 60:.1f} min", "result": "", "goal": "< 45 min"},
        *([{"measure": "survivors run again after the tests for real gaps were added",
            "median": f"{drawn['rerun']['mutants']} in {drawn['rerun']['seconds'] / 60:.1f} min",
            "result": "", "goal": ""}] if "rerun" in drawn else []),
        {"measure": "survivors: equivalent (no test can tell them apart)",
         "median": len(equivalent), "result": "left out of the score", "goal": ""},
        {"measure": "survivors: message wording (a sentence's text, not its facts)",
         "median": len(wording), "result": "counted as survived", "goal": ""},
        {"measure": "survivors: real gaps", "median": len(gaps), "result": "", "goal": "0"},
        *({"measure": f"equivalent: {n}", "median": "", "result": "", "goal": EQUIVALENT[n]}
          for n in equivalent),
        *({"measure": f"wording: {n}", "median": "", "result": "", "goal": ""}
          for n in wording),
        *({"measure": f"real gap: {n}", "median": "", "result": "needs a test", "goal": ""}
          for n in gaps),
        *([{"measure": "sampled mutants not checked", "median": len(unchecked),
            "result": "incomplete run", "goal": "0"}] if unchecked else []),
    ]
    print(dict(counts), f"score {score:.1%} [{low:.1%}, {high:.1%}], equivalent "
          f"{len(equivalent)}, wording {len(wording)}, gaps {len(gaps)}")
    print("\n".join(gaps))
    print("wrote", write("mutation", {"Mutation testing (sampled)": rows}))
    return 0 if low >= GOAL and not gaps and not unchecked else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["run", "rerun", "summary"])
    parser.add_argument("--sample", type=int, default=SAMPLE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    if args.step == "run":
        run(args.sample, args.seed)
    elif args.step == "rerun":
        rerun()
    return summary()


if __name__ == "__main__":
    sys.exit(main())

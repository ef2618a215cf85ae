"""Summarise a `mutmut run` (see `make mutation`) into benchmarks/results/mutation.json.

Score = killed / all mutants (a timeout counts as killed: the tests noticed; a mutant that no
selected test reaches counts as survived). Every survivor is classified from its diff:

- *wording*: only the text inside a string literal changed (the learner-facing sentence
  around the words the tests check, such as layer names and settings);
- otherwise it must be listed in ACCEPTED with the reason it is harmless, or the script
  fails, so that each one gets looked at.
"""

import io
import subprocess
import sys
import tokenize
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import write  # noqa: E402

GOAL = 0.85
# mutant name prefix -> why survivors there are harmless
ACCEPTED: dict[str, str] = {}


def _mutmut(*args: str) -> str:
    command = [str(Path(sys.executable).parent / "mutmut"), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout


def _shape(line: str) -> list[tuple[int, str]]:
    """The line's tokens with every string literal blanked out."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [(-1, line)]
    return [(t.type, "" if t.type == tokenize.STRING else t.string) for t in tokens]


def is_wording(name: str) -> bool:
    diff = _mutmut("show", name).splitlines()
    old = [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")]
    new = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    return bool(old) and len(old) == len(new) and all(
        _shape(a) == _shape(b) for a, b in zip(old, new))


def main() -> int:
    statuses: dict[str, str] = {}
    for line in _mutmut("results", "--all", "true").splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            statuses[name] = status
    counts = Counter(statuses.values())
    killed = counts["killed"] + counts["timeout"]
    unchecked = counts["not checked"]
    total = len(statuses) - unchecked  # a run stopped early leaves mutants not checked
    survivors = sorted(n for n, s in statuses.items() if s in ("survived", "no tests"))
    wording = [n for n in survivors if is_wording(n)]
    explained = {n: next((why for p, why in ACCEPTED.items() if n.startswith(p)), None)
                 for n in survivors if n not in wording}
    unexplained = [n for n, why in explained.items() if why is None]
    score = killed / max(1, total)
    rows = [
        {"measure": "mutants killed (engine, matching, graph, execute)",
         "median": f"{killed} / {total}", "result": f"{score:.1%}", "goal": f">= {GOAL:.0%}"},
        *([{"measure": "mutants not yet checked (the run was stopped early)",
            "median": f"{unchecked} / {unchecked + total}", "result": "incomplete run",
            "goal": "0"}] if unchecked else []),
        {"measure": "survivors that only change a message's wording", "median": len(wording),
         "result": "accepted", "goal": "the tests check the words that carry meaning"},
        *({"measure": f"survivor {n}", "median": "", "result": "accepted", "goal": why}
          for n, why in explained.items() if why),
        *({"measure": f"survivor {n}", "median": "", "result": "not yet explained",
           "goal": ""} for n in unexplained),
    ]
    print(dict(counts), f"score {score:.1%}, wording {len(wording)}, "
          f"unexplained {len(unexplained)}")
    print("\n".join(unexplained))
    print("wrote", write("mutation", {"Mutation testing": rows}))
    return 0 if score >= GOAL and not unexplained and not unchecked else 1


if __name__ == "__main__":
    sys.exit(main())

"""Summarise a `mutmut run` (see `make mutation`) into benchmarks/results/mutation.json.

The score is killed / (killed + survived); mutants that time out count as killed (the tests
noticed), and mutants no selected test reaches count as survived. Survivors are listed with
the reason they were accepted, from ACCEPTED below; a survivor without a reason fails this
script, so that each one is looked at.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.common import write  # noqa: E402

GOAL = 0.85
# mutant name prefix (module.function) -> why a surviving mutant there is acceptable
ACCEPTED: dict[str, str] = {}


def main() -> int:
    mutmut = str(Path(sys.executable).parent / "mutmut")
    subprocess.run([mutmut, "export-cicd-stats"], cwd=ROOT, check=True, capture_output=True)
    stats = json.loads((ROOT / "mutants" / "mutmut-cicd-stats.json").read_text())
    results = subprocess.run([mutmut, "results"], cwd=ROOT, capture_output=True, text=True)
    survivors = [line.split(":")[0].strip() for line in results.stdout.splitlines()
                 if line.strip().endswith(("survived", "no tests"))]
    killed = stats["killed"] + stats.get("timeout", 0)
    survived = stats["survived"] + stats.get("no_tests", 0)
    score = killed / max(1, killed + survived)
    unexplained = [s for s in survivors if not any(s.startswith(p) for p in ACCEPTED)]
    rows = [{"measure": "mutants killed (engine, matching, graph, execute)",
             "median": f"{killed} / {killed + survived}", "result": f"{score:.1%}",
             "goal": f">= {GOAL:.0%}"}]
    rows += [{"measure": f"survivor {name}", "median": "", "result": "accepted",
              "goal": next(why for p, why in ACCEPTED.items() if name.startswith(p))}
             for name in survivors if name not in unexplained]
    print(json.dumps(stats), f"score {score:.1%}")
    print("\n".join(f"unexplained survivor: {s}" for s in unexplained))
    print("wrote", write("mutation", {"Mutation testing": rows}))
    return 0 if score >= GOAL and not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())

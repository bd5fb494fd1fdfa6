"""Two checkouts of the grader measured in turns: a test's and a call's overhead in each.

This VM's speed drifts by more within an hour than most changes save, so a change is
measured against the commit before it in turns: each round runs, for each checkout, the
same N trivial tests and the same N tests that each make one sandboxed call (the sessions
of ``benchmarks/overhead.py``), with that checkout first on ``PYTHONPATH``. It prints the
medians over the rounds: the session of trivial tests, and a call on top of a test (wall
time, CPU time and page faults of the session and every process it waited for; a trivial
test's faults are the session's divided by its tests).

    git worktree add ../before HEAD~1
    python benchmarks/in_turns.py ../before [--tests 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from overhead import GRADER, Cost, bench_folder, session

HERE = Path(__file__).resolve().parent.parent  # this checkout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (e.g. a git worktree)")
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    checkouts = {"this": HERE, "other": opts.other.resolve()}
    for name, folder in checkouts.items():
        if not (folder / "grader" / "plugin.py").is_file():
            parser.error(f"{name} checkout {folder} has no grader/plugin.py")
    costs: dict[tuple[str, str], list[Cost]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        specs = dict(zip(("many", "calls"), bench_folder(root, opts.tests), strict=True))
        for _ in range(opts.rounds):
            for name, folder in checkouts.items():
                env = dict(os.environ, PYTHONPATH=str(folder))
                for kind, spec in specs.items():
                    cost = session([*GRADER, spec], root, env)
                    costs.setdefault((name, kind), []).append(cost)
    print(f"{opts.tests} tests, medians of {opts.rounds} rounds in turns")
    for name, folder in checkouts.items():
        many, calls = (_median(costs[(name, kind)]) for kind in ("many", "calls"))
        call = calls - many
        per = 1000 / opts.tests
        print(
            f"  {name:<5} {folder}: trivial tests {many.wall:6.3f} s (CPU {many.cpu:6.3f} s, "
            f"{many.faults / opts.tests:5.0f} faults a test); a call on top "
            f"{call.wall * per:+6.2f} ms, CPU {call.cpu * per:+6.2f} ms, "
            f"{call.faults / opts.tests:+5.0f} faults"
        )


def _median(costs: list[Cost]) -> Cost:
    return Cost(
        statistics.median(c.wall for c in costs),
        statistics.median(c.cpu for c in costs),
        int(statistics.median(c.faults for c in costs)),
    )


if __name__ == "__main__":
    main()

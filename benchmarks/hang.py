"""What one infinite loop costs: `grader check` (pays for a hang once) against `grader grade`
(runs every test, as instructors need).

By default the fixture exercise 06_hang (timeout 3 s) is graded with a student module whose
bump() loops forever and whose other functions return at once: four tests call bump(). With
``--exercise NAME --function FN`` a real exercise is used instead: its reference solution,
with FN's body replaced by ``while True: pass``. Prints the median wall time of each command
and how many tests timed out or were not run.

    python benchmarks/hang.py [--repeats 3]
    python benchmarks/hang.py --exercise 07_pool_map --function parallel_map
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "repo"


def looping(solution: Path, function: str) -> str:
    """The solution's source with ``function``'s body replaced by an infinite loop."""
    tree = ast.parse(solution.read_text(encoding="utf-8"))
    found = False
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            node.body = [ast.While(test=ast.Constant(True), body=[ast.Pass()], orelse=[])]
            found = True
    if not found:
        raise SystemExit(f"--function {function}: no such function in {solution}")
    return ast.unparse(tree) + "\n"


def measure(cmd: list[str], results: Path) -> tuple[float, Counter[str]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    tests = json.loads(results.read_text())["exercises"][0]["tests"]
    return elapsed, Counter(t["status"] for t in tests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", default=None, help="a real exercise (default: fixture)")
    parser.add_argument("--function", default="bump", help="the function that loops")
    parser.add_argument("--repeats", type=int, default=1)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "target"
        if opts.exercise is None:
            root, name = FIXTURES, "06_hang"
            module = target / name / "hang.py"
            module.parent.mkdir(parents=True)
            source = (FIXTURES / "solutions" / name / "hang.py").read_text(encoding="utf-8")
            module.write_text(
                source.replace("    return n + 1\n", "    while True:\n        n += 1\n")
            )
        else:
            root, name = REPO, opts.exercise
            solution = next((REPO / "solutions" / name).glob("*.py"))
            module = target / name / solution.name
            module.parent.mkdir(parents=True)
            module.write_text(looping(solution, opts.function), encoding="utf-8")
        results = Path(tmp) / "results.json"
        base = [sys.executable, "-m", "grader", "--root", str(root)]
        tail = ["--target", str(target), "--json", str(results)]
        commands = {
            "check": [*base, "check", name, *tail],
            "grade": [*base, "grade", "--exercise", name, *tail],
        }
        print(f"{name} with {opts.function}() looping forever, median of {opts.repeats}:")
        for verb, cmd in commands.items():
            runs = [measure(cmd, results) for _ in range(opts.repeats)]
            seconds = statistics.median(r[0] for r in runs)
            counts = ", ".join(f"{n} {status}" for status, n in sorted(runs[-1][1].items()))
            print(f"  grader {verb:<6} {seconds:7.1f} s   ({counts})")
        shutil.rmtree(target, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What a grading session costs before its first test: executed afresh, or forked by a zygote.

Grades a one-test exercise (``assert True``) N times in one process, alternately with every
session executed (``python -I -m pytest``, the interpreter and pytest started each time) and
inside ``session.warm_sessions()`` (each session forked from a zygote that has pytest and the
grader imported). Prints, per session, the median wall time and the CPU time of all the
processes involved (user + system, from the children's resource usage), over R rounds.

    python benchmarks/session_start.py [--sessions 20] [--rounds 5]

Wall times need a quiet machine; CPU times hold roughly on a busy one.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from grader import catalog, session

TOML = (
    'title = { en = "bench", zh = "bench" }\ntopics = []\nseed_section = "none"\ntimeout = 10\n'
    '[[hints]]\nen = "-"\nzh = "-"\n'
)
SPEC = "def test_one():\n    assert True\n"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(grade_once: Callable[[], None], sessions: int) -> tuple[float, float]:
    """(wall, CPU) seconds per session over ``sessions`` sessions."""
    cpu, started = _children_cpu(), time.perf_counter()
    for _ in range(sessions):
        grade_once()
    return (time.perf_counter() - started) / sessions, (_children_cpu() - cpu) / sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "exercises" / "01_bench"
        folder.mkdir(parents=True)
        (folder / "exercise.toml").write_text(TOML)
        (folder / "test_bench.py").write_text(SPEC)
        (folder / "bench.py").write_text("")
        exercise = catalog.load_exercise(folder)
        target = session.Target(root / "exercises", root)

        def grade_once() -> None:
            result = session.run_exercise(exercise, target)
            if result.error or [t.status for t in result.tests] != ["passed"]:
                raise SystemExit(f"the benchmark's session failed: {result.error}")

        def warm() -> tuple[float, float]:
            with session.warm_sessions():
                grade_once()  # the zygote's own start is paid once per command: not counted
                return measure(grade_once, opts.sessions)

        rows: dict[str, list[tuple[float, float]]] = {"executed": [], "forked by a zygote": []}
        for _ in range(opts.rounds):
            rows["executed"].append(measure(grade_once, opts.sessions))
            rows["forked by a zygote"].append(warm())
    print(f"one-test sessions, {opts.sessions} per round, median of {opts.rounds} rounds")
    for label, runs in rows.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"  {label:<20} {wall * 1000:7.1f} ms wall   {cpu * 1000:7.1f} ms CPU per session")


if __name__ == "__main__":
    main()

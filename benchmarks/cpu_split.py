"""Whose CPU a grading session spends: the student's code, the spec's own code, or the grader.

Runs the spec of each exercise named against the reference solutions, one pytest session
each (the grader's plugin, as a grading session runs it, without the zygote), with a small
plugin that, at the end of every test's teardown, in the test process, reads the CPU time
(user + system) of that process and of everything it reaped: its sandboxes and what ran
below them. It prints per exercise the session's wall time, all the CPU it and its
processes spent, and how that splits:

* student code: the sandboxes and everything below them (the reference solution here);
* spec code: the test processes themselves (the spec's clients, checks and waits, and the
  grader's judging of each call, which runs there too);
* the rest: the session, its launcher and the test processes' starts and exits before and
  after the count.

    python benchmarks/cpu_split.py [04 07 12 21 23] [--repeats 3]

With one grading job the CPU of a class is what two jobs must share: where the student's
and the spec's own code take most of it, a second job on a 2-core machine finds little of
the second core free, whatever the grader saves.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
from pathlib import Path

import pytest
from overhead import session

from grader import catalog

ROOT = Path(__file__).resolve().parent.parent
CLASS_OF_FIVE = ("04", "07", "12", "21", "23")  # the exercises of benchmarks/class_batch.py
LOG_VARIABLE = "CPU_SPLIT_LOG"


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> object:
    """In the test process, once the test's fixtures are torn down (its sandboxes reaped)."""
    yield
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.environ[LOG_VARIABLE], "a", encoding="utf-8") as log:
        log.write(
            f"{own.ru_utime + own.ru_stime} {reaped.ru_utime + reaped.ru_stime} {item.nodeid}\n"
        )


def split(spec: Path, log: Path) -> tuple[float, float, float, float]:
    """One session of ``spec`` against the solutions: (wall, all CPU, student CPU, spec CPU)."""
    log.write_text("")
    path = [str(Path(__file__).parent), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    env[LOG_VARIABLE] = str(log)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as in a grading session: the named ones only
    args = [
        "-s", "--noconftest", "-p", "grader.plugin", "-p", "pytest_timeout", "-p", "cpu_split",
        "--grader-target", str(ROOT / "solutions"), str(spec),
    ]  # fmt: skip
    cost = session(args, spec.parent, env)
    rows = [line.split(maxsplit=2) for line in log.read_text(encoding="utf-8").splitlines()]
    return (
        cost.wall,
        cost.cpu,
        sum(float(row[1]) for row in rows),
        sum(float(row[0]) for row in rows),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*", default=list(CLASS_OF_FIVE))
    parser.add_argument("--repeats", type=int, default=3, help="sessions each (medians)")
    opts = parser.parse_args()
    if opts.repeats < 1:
        parser.error(f"--repeats must be at least 1, not {opts.repeats}")
    known = catalog.load_catalog(ROOT / "exercises")
    try:
        chosen = [catalog.find(known, name) for name in opts.exercises]
    except catalog.UnknownExercise as exc:
        parser.error(str(exc))
    print(f"Python {sys.version.split()[0]}, medians of {opts.repeats} sessions, seconds")
    print(f"  {'exercise':<26} {'wall':>6} {'CPU':>6} {'student':>14} {'spec':>14} {'rest':>14}")
    totals = [0.0] * 5
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cpu.log"
        for exercise in chosen:
            spec = ROOT / "exercises" / exercise.name / exercise.spec_file
            runs = [split(spec, log) for _ in range(opts.repeats)]
            wall, cpu, student, own = (statistics.median(run[i] for run in runs) for i in range(4))
            row = (wall, cpu, student, own, cpu - student - own)
            totals = [total + part for total, part in zip(totals, row, strict=True)]
            print(_line(exercise.name, row))
    if len(chosen) > 1:
        print(_line("all", tuple(totals)))


def _line(name: str, row: tuple[float, ...]) -> str:
    wall, cpu, *parts = row
    shares = "".join(f" {part:6.2f} ({part / cpu:4.0%})" for part in parts)
    return f"  {name:<26} {wall:6.2f} {cpu:6.2f}{shares}"


if __name__ == "__main__":
    main()

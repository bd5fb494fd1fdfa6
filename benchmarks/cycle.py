"""Where one test's cycle goes: clock marks in the session and in each test process.

Runs N trivial tests under the grader's plugin once, with a ``conftest.py`` (written next to
the tests; pytest run directly reads it, a grading session never does) that wraps the steps
of a test on both sides and notes ``time.monotonic_ns()`` after each: in the session, from
pytest's protocol for the test to the handover of the test to its prepared process, the
report's arrival, its check and reading, and pytest's logging of it; in the test process,
from the handover's arrival to its test run (pytest's protocol) and its report sent. Both
sides read the same clock, so the steps line up into one chain. It prints each step's median
and the median cycle from one test's start in the session to the next one's, and, to
compare with the test process's run of pytest's protocol, the same three phases (their
logging included) in plain pytest's one process.

    python benchmarks/cycle.py [--tests 300]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import tempfile
from pathlib import Path

from overhead import PLUGINS, bench_folder, session, through_launcher

MARKS = "GRADER_BENCH_MARKS"  # the folder each process writes its marks to

CONFTEST = f'''
"""Written by benchmarks/cycle.py: clock marks along a test's path."""
import atexit
import json
import os
import socket
import time

import pytest

import grader.forked
import grader.judge
import grader.launcher
from grader import isolation, secret, wire

FOLDER = os.environ["{MARKS}"]
SESSION = os.getpid()
marks = []  # (step, ns): the session's, or in a test process that process's own
os.register_at_fork(after_in_child=marks.clear)  # a child notes only its own steps


def mark(step):
    marks.append((step, time.monotonic_ns()))


def after(module, name, step, only_session=False):
    original = getattr(module, name)

    def wrapped(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            if not only_session or os.getpid() == SESSION:
                mark(step)

    setattr(module, name, wrapped)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    mark("test")
    result = yield
    mark("logged")
    return result


after(grader.launcher.Launcher, "_next_prepared", "prepared process taken")
after(socket, "send_fds", "handover sent", only_session=True)
after(grader.launcher, "_taken", "taken")
after(grader.launcher, "_receive_into", "[tp] handover received")
after(wire, "await_frame", "report arrived", only_session=True)
after(secret, "open_signed", "signature checked", only_session=True)
after(grader.judge, "_load_reports", "reports read")
after(grader.judge, "run_forked", "judged")
after(grader.forked, "runtestprotocol", "[tp] test run")

_write_frame = wire.write_frame


def save():
    with open(os.path.join(FOLDER, f"tp.{{os.getpid()}}"), "w") as f:
        json.dump(marks, f)


def write_frame(*args, **kwargs):
    if os.getpid() != SESSION:
        mark("[tp] report signed")  # before it is written: the session may read it at once
        if marks[0][0] == "[tp] handover received":  # a test process, not the launcher
            # Saved now too: once the last report is in, the session may end and sweep
            # this process before it reaches its exit.
            save()
    return _write_frame(*args, **kwargs)


wire.write_frame = write_frame

_test_process = grader.forked.run
_exit = isolation.flush_and_exit


def test_process(*args, **kwargs):
    mark("[tp] test process starts")

    def flush_and_exit(code):
        save()
        _exit(code)

    isolation.flush_and_exit = flush_and_exit
    return _test_process(*args, **kwargs)


grader.forked.run = test_process

_runtestprotocol = grader.forked.runtestprotocol


def runtestprotocol(*args, **kwargs):
    mark("[tp] test run starts")
    return _runtestprotocol(*args, **kwargs)


grader.forked.runtestprotocol = runtestprotocol


@atexit.register
def _write():
    if os.getpid() == SESSION:
        with open(os.path.join(FOLDER, "session"), "w") as f:
            json.dump(marks, f)
'''


PLAIN_CONFTEST = f'''
"""Written by benchmarks/cycle.py: plain pytest's time in each test's three phases."""
import atexit
import json
import os
import time

import _pytest.runner

FOLDER = os.environ["{MARKS}"]
spans = []
_call_and_report = _pytest.runner.call_and_report


def call_and_report(*args, **kwargs):
    started = time.monotonic_ns()
    try:
        return _call_and_report(*args, **kwargs)
    finally:
        spans.append(time.monotonic_ns() - started)


_pytest.runner.call_and_report = call_and_report


@atexit.register
def _write():
    with open(os.path.join(FOLDER, "plain"), "w") as f:
        json.dump(spans, f)
'''


def chains(folder: Path) -> list[list[tuple[str, int]]]:
    """Each test's steps in time order: the session's marks of the test with the marks of
    the test process that ran it (the one whose first mark falls within them)."""
    session_marks = json.loads((folder / "session").read_text())
    processes = [json.loads(p.read_text()) for p in folder.glob("tp.*")]
    tests: list[list[tuple[str, int]]] = []
    for step, ns in session_marks:
        if step == "test":
            tests.append([])
        if tests:
            tests[-1].append((step, ns))
    found = []
    for marks in tests:
        start, end = marks[0][1], marks[-1][1]
        mine = [p for p in processes if p and start <= p[0][1] <= end]
        if len(mine) == 1:
            found.append(sorted(marks + [(s, n) for s, n in mine[0]], key=lambda m: m[1]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        many, _ = bench_folder(root, opts.tests)
        marks = root / "marks"
        marks.mkdir()
        wall = through_launcher(many, root, CONFTEST, {MARKS: str(marks)}).wall
        tests = chains(marks)
        (root / "conftest.py").write_text(PLAIN_CONFTEST)
        session([*PLUGINS, many], root, dict(os.environ, **{MARKS: str(marks)}))
        spans = json.loads((marks / "plain").read_text())
    plain = [sum(spans[i : i + 3]) / 1000 for i in range(0, len(spans), 3)]
    # The steps every chain has, in the order of their median time since the test's start.
    names = {step for step, _ in tests[0]}
    common = sorted(
        (step for step in names if all(step in dict(t) for t in tests)),
        key=lambda step: statistics.median(dict(t)[step] - t[0][1] for t in tests),
    )
    steps: dict[str, list[float]] = {step: [] for step in common}
    for chain in tests:
        times = dict(chain)
        previous = times[common[0]]
        for step in common[1:]:
            steps[step].append((times[step] - previous) / 1000)
            previous = times[step]
    print(f"{opts.tests} trivial tests in {wall:.3f} s; {len(tests)} chains, medians in µs")
    print("  ([tp]: in the test process; each step's time since the step before it)")
    for step in common[1:]:
        print(f"  {statistics.median(steps[step]):7.0f}  {step}")
    cycles = [(b[0][1] - a[0][1]) / 1000 for a, b in itertools.pairwise(tests)]
    print(f"  {statistics.median(cycles):7.0f}  a cycle: one test's start to the next one's")
    print(f"  {statistics.median(plain):7.0f}  plain pytest: a test's three phases, logged")


if __name__ == "__main__":
    main()

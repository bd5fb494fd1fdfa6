"""Per-test isolation overhead: the grader's fork-per-test plugin against plain pytest.

Runs the same N trivial tests (``assert True``) under plain pytest and under the grader's
plugin (one process per test, deadline, signed report over a pipe, leftover sweep), each R
times, and prints the median wall time and the per-test overhead. The plugin's test
processes are forked one test ahead by its launcher; the row "session forks each test"
runs them as before the launcher (``--grader-no-launcher``). The rows "+ the test fails"
run N tests that fail instead (``assert n == -1``): what a failure's report adds, under
plain pytest and under the grader. With ``--forked`` it also runs
pytest-forked, if it is installed (it needs pytest < 9.2: use `tox -e bench-forked`).

A session's own start is spread over its tests in the first rows; the rows "after the first
test" take it out: each session is run a second time with only its first test (all of them
collected), and the difference is what the other N - 1 tests cost, next to what the start
cost. The grader's launcher warms up (learns, rehearses, freezes its heap) while the session
forks its first tests itself, so its warm-up falls on the early tests of the N - 1 too: a
session of one test ends before its launcher is ready.

Every session loads only the plugins it names, as a grading session does (pytest-timeout in
every row, and the grader's or pytest-forked's where measured): not whatever else the
virtualenv holds (anyio's plugin, say, which imports asyncio and makes every forked process
a third larger). Measurements before 2026-12-05 loaded every installed plugin.

    python benchmarks/overhead.py [--tests 300] [--repeats 5] [--forked]
    python benchmarks/overhead.py --write-only DIR [--tests 300]  # the specs alone
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader import users

SPEC = (
    "import pytest\n\n\n@pytest.mark.parametrize('n', range({n}))\n"
    "def test_trivial(n):\n    assert True\n"
)
FAILING_SPEC = (
    "import pytest\n\n\n@pytest.mark.parametrize('n', range({n}))\n"
    "def test_failing(n):\n    assert n == -1\n"
)
SANDBOX_SPEC = (
    "import pytest\n\n\n@pytest.mark.parametrize('n', range({n}))\n"
    "def test_call(student, n):\n    assert student.call('answer') == 42\n"
)


@dataclass(frozen=True)
class Cost:
    """What one session cost: wall time, and CPU time and minor page faults of the session
    and every process it waited for (on a busy machine the CPU columns stay comparable)."""

    wall: float
    cpu: float
    faults: int

    def __sub__(self, other: Cost) -> Cost:
        """What this session cost beyond ``other``."""
        return Cost(self.wall - other.wall, self.cpu - other.cpu, self.faults - other.faults)


PLUGINS = ["-p", "pytest_timeout"]  # loaded by every grading session, so by every row here


def session(
    args: list[str], folder: Path, env: dict[str, str] | None = None, failed: bool = False
) -> Cost:
    """One pytest session with ``args`` in ``folder``, loading no plugin it does not name;
    ``failed``: its tests are meant to fail (pytest's exit status 1)."""
    env = dict(os.environ if env is None else env, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        *args,
    ]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=folder, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        if proc.returncode != (1 if failed else 0):
            out.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{out.read()[-4000:].decode()}")
    return Cost(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_minflt)


GRADER = [*PLUGINS, "-p", "grader.plugin"]
PLAIN, LAUNCHED, FORKED = "plain pytest", "grader plugin (launcher)", "pytest-forked"


def through_launcher(spec: str, root: Path, conftest: str, variables: dict[str, str]) -> Cost:
    """One grading session of ``spec`` with ``conftest`` written in ``root`` (pytest run
    directly reads it; a grading session never does) and ``variables`` added to the
    environment; every test process the launcher's (none forked by the session while the
    launcher warms up)."""
    from grader.judge import AWAIT_LAUNCHER  # imports pytest: only the benchmarks that mark

    (root / "conftest.py").write_text(conftest)
    env = dict(os.environ, **variables, **{AWAIT_LAUNCHER: "1"})
    return session([*GRADER, spec], root, env)


def median_cost(args: list[str], folder: Path, repeats: int, failed: bool = False) -> Cost:
    costs = [session(args, folder, failed=failed) for _ in range(repeats)]
    return Cost(
        statistics.median(c.wall for c in costs),
        statistics.median(c.cpu for c in costs),
        int(statistics.median(c.faults for c in costs)),
    )


def _row(label: str, cost: Cost, base: Cost, tests: int, what: str) -> str:
    wall = (cost.wall - base.wall) / tests * 1000
    cpu = (cost.cpu - base.cpu) / tests * 1000
    faults = (cost.faults - base.faults) / tests
    return (
        f"  {label:<32} {cost.wall:7.3f} s  {wall:+6.2f} ms/{what}  "
        f"CPU {cost.cpu:6.3f} s  {cpu:+6.2f} ms/{what}  {faults:+6.0f} faults/{what}"
    )


def _after_the_first(
    label: str, runs: tuple[Cost, Cost], base: tuple[Cost, Cost], tests: int
) -> str:
    """A row of what each test after the first cost over plain pytest's, and the session's
    start over plain pytest's; ``runs`` and ``base``: (all tests, the first test alone)."""
    (every, first), (base_every, base_first) = runs, base
    row = _row(label, every - first, base_every - base_first, tests - 1, "test")
    return f"{row}  (start {(first.wall - base_first.wall) * 1000:+5.0f} ms)"


def _against(mine: Cost, theirs: Cost, base: Cost) -> float:
    """The grader's overhead over ``base`` as a fraction of pytest-forked's."""
    return (mine.wall - base.wall) / (theirs.wall - base.wall)


def bench_folder(root: Path, tests: int) -> tuple[str, str]:
    """Write the benchmark's exercise under ``root``: (trivial tests, one-call tests)."""
    ex = root / "exercises" / "01_bench"
    ex.mkdir(parents=True)
    (ex / "test_many.py").write_text(SPEC.format(n=tests))
    (ex / "test_calls.py").write_text(SANDBOX_SPEC.format(n=tests))
    (ex / "test_failing.py").write_text(FAILING_SPEC.format(n=tests))
    (ex / "bench.py").write_text("def answer():\n    return 42\n")
    return str(ex / "test_many.py"), str(ex / "test_calls.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--forked", action="store_true", help="also measure pytest-forked")
    parser.add_argument(
        "--write-only",
        type=Path,
        metavar="DIR",
        help="write the benchmark's specs under DIR (to run or profile by hand) and stop",
    )
    opts = parser.parse_args()
    if opts.write_only is not None:
        if (opts.write_only / "exercises").exists():
            parser.error(f"--write-only {opts.write_only}: it holds an exercises folder already")
        for spec in bench_folder(opts.write_only, opts.tests):
            print(spec)
        print(Path(spec).with_name("test_failing.py"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        many, calls = bench_folder(root, opts.tests)
        empty = ["--collect-only"]
        first = f"{many}::test_trivial[0]"  # all collected, one run
        kinds = [
            (PLAIN, PLUGINS),
            (LAUNCHED, GRADER),
            ("grader, session forks each test", [*GRADER, "--grader-no-launcher"]),
        ]
        if opts.forked:
            kinds.append((FORKED, [*PLUGINS, "-p", "pytest_forked", "--forked"]))
        runs = {
            label: (
                median_cost([*args, many], root, opts.repeats),
                median_cost([*args, first], root, opts.repeats),
            )
            for label, args in kinds
        }
        rows = [(label, every) for label, (every, _) in runs.items()]
        collect = median_cost([*PLUGINS, *empty, many], root, opts.repeats)
        sandbox = median_cost([*GRADER, calls], root, opts.repeats)
        failing = str(Path(many).with_name("test_failing.py"))
        fails = {  # plain pytest's and the grader's
            label: median_cost([*args, failing], root, opts.repeats, failed=True)
            for label, args in kinds[:2]
        }
        as_uid = None
        if users.separate_uid_applies():  # root: what the separate uid and its sweeps add
            root.chmod(0o755)  # the sandbox uid reads the module in place (no staging here)
            with users.lease() as uid:
                flags = [*GRADER, "--grader-isolate", *users.session_options(uid)]
                as_uid = (
                    median_cost([*flags, many], root, opts.repeats),
                    median_cost([*flags, calls], root, opts.repeats),
                )
    base = rows[0][1]
    print(
        f"{opts.tests} trivial tests, median of {opts.repeats} sessions "
        f"(collection alone: {collect.wall:.3f} s); per test or call, over the row named"
    )
    for label, cost in rows:
        print(_row(label, cost, base, opts.tests, "test") + "  (over plain pytest)")
    print(_row("+ one sandboxed student call", sandbox, rows[1][1], opts.tests, "call"))
    for label, cost in fails.items():
        short = "grader" if label == LAUNCHED else label
        print(_row(f"+ the test fails, {short}", cost, runs[label][0], opts.tests, "failure"))
    if as_uid is not None:
        many_uid, calls_uid = as_uid
        print(_row("as root: own uid, view, sweeps", many_uid, base, opts.tests, "test"))
        print(_row("+ one call as the sandbox uid", calls_uid, many_uid, opts.tests, "call"))
    print("after the first test (the session's start left out), over plain pytest's:")
    for label, pair in runs.items():
        print(_after_the_first(label, pair, runs[PLAIN], opts.tests))
    if FORKED in runs:
        grader, forked, plain = (runs[k] for k in (LAUNCHED, FORKED, PLAIN))
        rest = [every - first for every, first in (grader, forked, plain)]
        print(
            f"grader against pytest-forked: {_against(grader[0], forked[0], plain[0]):.2f}x "
            f"over all tests, {_against(*rest):.2f}x after the first"
        )


if __name__ == "__main__":
    main()

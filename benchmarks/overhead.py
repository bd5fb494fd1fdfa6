"""Per-test isolation overhead: the grader's fork-per-test plugin against plain pytest.

Runs the same N trivial tests (``assert True``) under plain pytest and under the grader's
plugin (one process per test, deadline, signed report over a pipe, leftover sweep), each R
times, and prints the median wall time and the per-test overhead. The plugin's test
processes are forked one test ahead by its launcher; the row "session forks each test"
runs them as before the launcher (``--grader-no-launcher``). With ``--forked`` it also runs
pytest-forked, if it is installed (it needs pytest < 9.2: use `tox -e bench-forked`).

Every session loads only the plugins it names, as a grading session does (pytest-timeout in
every row, and the grader's or pytest-forked's where measured): not whatever else the
virtualenv holds (anyio's plugin, say, which imports asyncio and makes every forked process
a third larger). Measurements before 2026-12-05 loaded every installed plugin.

    python benchmarks/overhead.py [--tests 300] [--repeats 5] [--forked]
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


PLUGINS = ["-p", "pytest_timeout"]  # loaded by every grading session, so by every row here


def session(args: list[str], folder: Path, env: dict[str, str] | None = None) -> Cost:
    """One pytest session with ``args`` in ``folder``, loading no plugin it does not name."""
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
        if proc.returncode != 0:
            out.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{out.read()[-4000:].decode()}")
    return Cost(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_minflt)


GRADER = [*PLUGINS, "-p", "grader.plugin"]


def median_cost(args: list[str], folder: Path, repeats: int) -> Cost:
    costs = [session(args, folder) for _ in range(repeats)]
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


def bench_folder(root: Path, tests: int) -> tuple[str, str]:
    """Write the benchmark's exercise under ``root``: (trivial tests, one-call tests)."""
    ex = root / "exercises" / "01_bench"
    ex.mkdir(parents=True)
    (ex / "test_many.py").write_text(SPEC.format(n=tests))
    (ex / "test_calls.py").write_text(SANDBOX_SPEC.format(n=tests))
    (ex / "bench.py").write_text("def answer():\n    return 42\n")
    return str(ex / "test_many.py"), str(ex / "test_calls.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--forked", action="store_true", help="also measure pytest-forked")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        many, calls = bench_folder(root, opts.tests)
        empty = ["--collect-only"]
        rows = [
            ("plain pytest", median_cost([*PLUGINS, many], root, opts.repeats)),
            (
                "grader plugin (launcher)",
                median_cost([*GRADER, many], root, opts.repeats),
            ),
            (
                "grader, session forks each test",
                median_cost([*GRADER, "--grader-no-launcher", many], root, opts.repeats),
            ),
        ]
        if opts.forked:
            rows.append(
                (
                    "pytest-forked",
                    median_cost(
                        [*PLUGINS, "-p", "pytest_forked", "--forked", many], root, opts.repeats
                    ),
                )
            )
        collect = median_cost([*PLUGINS, *empty, many], root, opts.repeats)
        sandbox = median_cost([*GRADER, calls], root, opts.repeats)
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
    if as_uid is not None:
        many_uid, calls_uid = as_uid
        print(_row("as root: own uid, view, sweeps", many_uid, base, opts.tests, "test"))
        print(_row("+ one call as the sandbox uid", calls_uid, many_uid, opts.tests, "call"))


if __name__ == "__main__":
    main()

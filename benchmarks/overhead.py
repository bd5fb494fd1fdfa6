"""Per-test isolation overhead: the grader's fork-per-test plugin against plain pytest.

Runs the same N trivial tests (``assert True``) under plain pytest and under the grader's
plugin (one fork per test, deadline, report over a pipe, leftover sweep), each R times,
and prints the median wall time and the per-test overhead. With ``--forked`` it also runs
pytest-forked, if it is installed (it needs pytest < 9.2: use `tox -e bench-forked`).

    python benchmarks/overhead.py [--tests 300] [--repeats 5] [--forked]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
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


def session(args: list[str], folder: Path) -> float:
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
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def median_time(args: list[str], folder: Path, repeats: int) -> float:
    return statistics.median(session(args, folder) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--forked", action="store_true", help="also measure pytest-forked")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ex = root / "exercises" / "01_bench"
        ex.mkdir(parents=True)
        (ex / "test_many.py").write_text(SPEC.format(n=opts.tests))
        (ex / "test_calls.py").write_text(SANDBOX_SPEC.format(n=opts.tests))
        (ex / "bench.py").write_text("def answer():\n    return 42\n")
        many, calls = str(ex / "test_many.py"), str(ex / "test_calls.py")
        empty = ["--collect-only"]
        rows = [
            ("plain pytest", median_time([many], root, opts.repeats)),
            (
                "grader plugin (fork per test)",
                median_time(["-p", "grader.plugin", many], root, opts.repeats),
            ),
        ]
        if opts.forked:
            rows.append(
                (
                    "pytest-forked",
                    median_time(["--forked", many], root, opts.repeats),
                )
            )
        collect = median_time([*empty, many], root, opts.repeats)
        sandbox = median_time(["-p", "grader.plugin", calls], root, opts.repeats)
        as_uid = None
        if users.separate_uid_applies():  # root: what the separate uid and its sweeps add
            root.chmod(0o755)  # the sandbox uid reads the module in place (no staging here)
            with users.lease() as uid:
                flags = ["-p", "grader.plugin", "--grader-isolate", f"--grader-sandbox-uid={uid}"]
                as_uid = (
                    median_time([*flags, many], root, opts.repeats),
                    median_time([*flags, calls], root, opts.repeats),
                )
    base = rows[0][1]
    print(
        f"{opts.tests} trivial tests, median of {opts.repeats} sessions "
        f"(collection alone: {collect:.3f} s)"
    )
    for label, seconds in rows:
        extra = (seconds - base) / opts.tests * 1000
        print(f"  {label:<32} {seconds:7.3f} s   {extra:+6.2f} ms/test vs plain")
    per_call = (sandbox - rows[1][1]) / opts.tests * 1000
    print(
        f"  {'+ one sandboxed student call':<32} {sandbox:7.3f} s   {per_call:+6.2f} ms/call on top"
    )
    if as_uid is not None:
        many_uid, calls_uid = as_uid
        extra = (many_uid - base) / opts.tests * 1000
        label = "as root: own uid, view, sweeps"
        print(f"  {label:<32} {many_uid:7.3f} s   {extra:+6.2f} ms/test vs plain")
        per_call = (calls_uid - many_uid) / opts.tests * 1000
        print(
            f"  {'+ one call as the sandbox uid':<32} {calls_uid:7.3f} s   "
            f"{per_call:+6.2f} ms/call on top"
        )


if __name__ == "__main__":
    main()

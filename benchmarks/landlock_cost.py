"""What Landlock costs a sandbox: the session's ruleset, once, and each sandbox's restrict.

A session makes one ruleset (grader.landlock.ruleset) in the process its sandboxes are forked
from; each sandbox, a fresh fork, applies it (grader.landlock.restrict: no-new-privs, then
landlock_restrict_self) before anything of its job. This times both as the grader does them,
in a process that has pytest and the grader's plugin imported (the size of a test process,
whose pages a fresh fork copies as it writes), for each ABI version it is asked to use:
the kernel's own, and the same capped below ABI 6, where signals are not scoped (a first
ruleset, not timed, makes the C library's handle and finds the interpreter's folders, as a
session's first does). Each child times its restrict alone, sends the microseconds back on a
pipe, and exits.

    python benchmarks/landlock_cost.py [--forks 300]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

import pytest  # noqa: F401

import grader.plugin  # noqa: F401  (imported for its size: a test process has it)
from grader import landlock


def restrict_in_children(fd: int, forks: int) -> list[float]:
    """Fork ``forks`` children that each time ``landlock.restrict(fd)``; their µs."""
    times = []
    for _ in range(forks):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child times one restrict and exits
            started = time.perf_counter()
            landlock.restrict(fd)
            took = time.perf_counter() - started
            os.write(write_end, f"{took * 1e6:.1f}".encode())
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as got:
            times.append(float(got.read()))
        os.waitpid(pid, 0)
    return times


def measure(version: int, forks: int) -> str:
    """One line: the ruleset's time and the restricts' median and 90th percentile."""
    os.environ[landlock.CEILING_ENV] = str(version)
    started = time.perf_counter()
    fd = landlock.ruleset([tempfile.gettempdir()])
    made_us = (time.perf_counter() - started) * 1e6
    assert fd is not None
    try:
        times = sorted(restrict_in_children(fd, forks))
    finally:
        os.close(fd)
    p90 = times[int(len(times) * 0.9)]
    scoped = "files and signals" if landlock.scoped() else "files only"
    return (
        f"ABI {version} ({scoped}): ruleset {made_us:.0f} µs once; restrict in a fresh fork "
        f"median {statistics.median(times):.0f} µs, p90 {p90:.0f} µs ({forks} forks)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--forks", type=int, default=300, help="sandboxes to fork (300)")
    args = parser.parse_args()
    kernel = landlock.kernel_abi()
    if kernel < landlock.LEAST_ABI:
        print(f"no Landlock the grader uses here (kernel ABI {kernel})", file=sys.stderr)
        return 1
    first = landlock.ruleset([])  # the C library's handle and the interpreter's folders
    if first is not None:
        os.close(first)
    gc.freeze()  # as the grader does before it forks
    print(f"Python {sys.version.split()[0]}, kernel Landlock ABI {kernel}")
    versions = [kernel]
    if kernel >= landlock.SCOPES_ABI:
        versions.append(landlock.SCOPES_ABI - 1)
    for version in versions:
        print(measure(version, args.forks))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU-bound load beside the specs: ``grader verify --load K``.

CI runners and students' laptops are busy; a spec whose verdicts change when the machine is
loaded is a flaky spec. :func:`busy_load` starts K processes that spin on the CPU for as long
as the ``with`` block lasts.

Ownership and bounds: the grader owns the busy processes and kills and reaps them when the
block ends, however it ends. They are registered with :mod:`grader.session` as helpers, so
the sweep after each grading session spares them. Each one also ends by itself when the
process that started it is gone (its parent changes: it was re-parented to a subreaper or
init, e.g. after the grader was SIGKILLed) and after ``limit_s`` seconds in any case.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from grader import cpus, session

MAX_PER_CPU = 4
DEFAULT_LIMIT_S = 4 * 3600.0

# The busy loop: checks its parent and its clock every ~10^5 iterations (a few milliseconds).
BUSY_LOOP = """\
import os, sys, time
parent, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while os.getppid() == parent and time.monotonic() < end:
    for _ in range(100_000):
        pass
"""


def max_load() -> int:
    """The most busy processes ``--load`` accepts on this machine."""
    return MAX_PER_CPU * cpus.usable()


@contextmanager
def busy_load(count: int, limit_s: float = DEFAULT_LIMIT_S) -> Iterator[list[int]]:
    """Run ``count`` CPU-bound processes for the duration of the block; yields their pids."""
    if not 0 <= count <= max_load():
        raise ValueError(f"load must be between 0 and {max_load()} busy processes")
    command = [sys.executable, "-I", "-S", "-c", BUSY_LOOP, str(os.getpid()), str(limit_s)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            procs.append(session.start_helper(command))
        yield [p.pid for p in procs]
    finally:
        for proc in procs:
            session.stop_helper(proc)

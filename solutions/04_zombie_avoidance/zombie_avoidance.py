"""Exercise 04 — zombie avoidance: reference solution.

A child that has exited stays in the process table as a zombie (state Z) until its parent
collects its exit status with ``wait``/``waitpid``. Three ways to make sure that happens:
wait for every child (Part 1), poll with ``WNOHANG`` between slices of other work (Part 2),
or let a short-lived middle child die at once, reap it, and leave the real worker to its
new parent (Part 3, the double fork).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable

# -- Part 1: reap every child -----------------------------------------------------------------


def _child_exits_with(code: int) -> None:
    """In the child: end with exit code ``code``, or, if it is negative, by signal ``-code``."""
    try:
        if code < 0:
            os.kill(os.getpid(), -code)  # default disposition: the signal ends the process
    finally:
        os._exit(code if code >= 0 else 1)  # never fall back into the parent's code


def reap_all(codes: list[int]) -> list[int]:
    pids: list[int] = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            _child_exits_with(code)
        pids.append(pid)
    results: list[int] = []
    for pid in pids:
        # One waitpid per child: each call reaps exactly one. Waiting by pid keeps the
        # results in the order the codes were asked for.
        _, status = os.waitpid(pid, 0)
        # The status is not the exit code: exit 2 is 512 (2 << 8); a signal sets the low bits.
        # waitstatus_to_exitcode decodes both: 2 for exit 2, -9 for a SIGKILL.
        results.append(os.waitstatus_to_exitcode(status))
    return results


# -- Part 2: a poller that keeps working ------------------------------------------------------


def _run_in_child(task: Callable[[], object]) -> None:
    """In a child: run ``task`` and end the process, whatever happens.

    A task that raises must not take the child out of this function: the exception would
    climb into the caller's code, and the child would go on running it (a second copy of the
    program). Show the traceback, as Python would, and end with exit code 1.
    """
    code = 1
    try:
        task()
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)  # never return into the caller's code in the child


def reap_while_working(tasks: list[Callable[[], object]], work: Callable[[], object]) -> list[int]:
    index_of: dict[int, int] = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _run_in_child(task)
        index_of[pid] = index
    finished: list[int] = []
    while len(finished) < len(tasks):
        # WNOHANG: return at once. (0, 0) means "children exist, none has ended yet".
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            work()  # nothing to collect: do a slice of the other work, then look again
            continue
        # Decide on the pid, never on the status: a child that exits 0 has status 0 too.
        finished.append(index_of[pid])
    return finished


# -- Part 3: the double fork ------------------------------------------------------------------


def spawn_detached(task: Callable[[], object]) -> int:
    read_end, write_end = os.pipe()  # the middle child tells us the grandchild's pid
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        grandchild = os.fork()
        if grandchild == 0:
            os.close(write_end)  # do not hold the pipe open while the task runs
            _run_in_child(task)
        os.write(write_end, str(grandchild).encode())
        os._exit(0)  # the middle child ends at once; the grandchild becomes an orphan
    os.close(write_end)
    # Reap the middle child: it has done its job, and without this it stays a zombie.
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read()  # EOF: the middle child has exited, the grandchild closed its copy
    return int(answer)

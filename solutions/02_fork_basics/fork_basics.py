"""Exercise 02 — fork basics: reference solution.

``os.fork()`` is called once and returns twice: 0 in the child, the child's pid in the
parent. The child gets a *copy* of the parent's memory (its changes never reach the parent;
a file can carry them back), must end with ``os._exit`` so that it never runs the caller's
code, and its exit code comes back to the parent through ``os.waitpid``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

# -- Part 1: one call, two returns ------------------------------------------------------------


def fork_and_greet() -> int:
    me = os.getpid()
    print(f"parent {me}: forking")
    # Flush before forking: text still in the buffer would be copied into the child and
    # written twice, once by each process (stdout to a pipe or a file is block-buffered).
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # the child: fork returned 0 here
        try:
            print(f"child {os.getpid()}: fork returned 0, my parent is {os.getppid()}")
            sys.stdout.flush()  # os._exit does not flush: without this the line is lost
        finally:
            os._exit(0)  # never return into the caller's code
    os.waitpid(pid, 0)  # the parent: fork returned the child's pid
    print(f"parent {me}: fork returned {pid}")
    return pid


# -- Part 2: the child has a copy -------------------------------------------------------------


def change_in_child(
    items: list[int], change: Callable[[list[int]], object], path: str
) -> tuple[list[int], list[int]]:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            change(items)  # changes the child's copy of the list, never the parent's
            with open(path, "w") as f:  # the file is shared: it carries the change back
                f.write("".join(f"{n}\n" for n in items))
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)  # read only once the child has written (and closed) the file
    with open(path) as f:
        from_child = [int(line) for line in f if line.strip()]
    return items, from_child


# -- Part 3: many children, one parent ---------------------------------------------------------


def fork_children(codes: list[int]) -> list[tuple[int, int]]:
    pids: list[int] = []
    for code in codes:  # only the parent loops: every child ends inside the if
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        pids.append(pid)
    results: list[tuple[int, int]] = []
    for pid in pids:
        # Wait for each pid in turn: the results stay in the order of codes whichever child
        # ends first. The status is not the exit code: exit 3 gives status 768 (3 << 8).
        _, status = os.waitpid(pid, 0)
        results.append((pid, os.waitstatus_to_exitcode(status)))
    return results

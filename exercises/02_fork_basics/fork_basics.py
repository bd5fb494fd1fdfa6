"""Exercise 02 — fork basics: one call, two returns.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check fork_basics

In every child you fork, end with ``os._exit(...)``, in a ``finally``: a child that returns
from your function, raises, or calls ``sys.exit()`` would go on running the caller's code.
Call ``sys.stdout.flush()`` before ``os.fork()``, and in a child before ``os._exit()``.
Each function may be called many times in one process: keep no state between calls.
"""

from __future__ import annotations

import os  # noqa: F401 - you will need it
import sys  # noqa: F401 - you will need it
from collections.abc import Callable

# -- Part 1: one call, two returns ------------------------------------------------------------


def fork_and_greet() -> int:
    """Fork one child; both processes say what ``os.fork()`` returned to them.

    Before forking, the caller prints ``parent <its pid>: forking``. The child prints
    ``child <its pid>: fork returned 0, my parent is <its parent's pid>`` and ends with
    ``os._exit(0)``. The parent waits for the child, then prints
    ``parent <its pid>: fork returned <the child's pid>`` and returns the child's pid.

    Every line must come out exactly once, also when the output goes to a pipe: flush before
    the fork, and in the child before ``os._exit``.
    """
    # TODO: print, flush, fork; the child prints, flushes, os._exit(0); the parent waits.
    raise NotImplementedError


# -- Part 2: the child has a copy -------------------------------------------------------------


def change_in_child(
    items: list[int], change: Callable[[list[int]], object], path: str
) -> tuple[list[int], list[int]]:
    """Let a child change its copy of ``items``; bring the child's list back through a file.

    Fork one child. The child calls ``change(items)`` (it changes the list in place), writes
    the list to the file at ``path``, one number per line, and ends with ``os._exit(0)``.
    The parent waits for the child, reads the numbers back from the file, and returns
    ``(items, numbers_from_the_file)``: its own list, which the child's change never reaches,
    and the child's list.
    """
    # TODO: fork; in the child change, write, os._exit(0); in the parent waitpid, then read.
    raise NotImplementedError


# -- Part 3: many children, one parent ---------------------------------------------------------


def fork_children(codes: list[int]) -> list[tuple[int, int]]:
    """Fork one child per code, all from the caller; return ``(pid, exit code)`` per child.

    Child ``i`` ends at once with ``os._exit(codes[i])`` (0 to 255). Fork every child first,
    then wait for each one. Return one ``(pid, exit_code)`` pair per child, in the order of
    ``codes``: the pid ``os.fork()`` returned, and the exit code ``os.waitpid`` reported
    (decoded, not the raw status). ``fork_children([])`` returns ``[]``.

    When it returns, no child may be left: not running, not a zombie.
    """
    # TODO: fork all the children (keep their pids), then waitpid each and decode the status.
    raise NotImplementedError

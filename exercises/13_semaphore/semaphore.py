"""Exercise 13 — a semaphore: at most N workers in the critical section at once.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the names and parameters. Check your work with::

    grader check semaphore

Use ``multiprocessing`` (processes, never threads) everywhere here.
"""

from __future__ import annotations

from collections.abc import Callable

# -- Part 1: at most `limit` at once -----------------------------------------------------------


def run_limited(task: Callable[[str], object], items: list[str], limit: int) -> list[int]:
    """Call ``task(item)`` for every item, each in a process of its own, all started at once.

    ``task(item)`` is the critical section: at most ``limit`` processes may be inside it at
    the same moment, and as many as ``limit`` must be when enough are waiting. A task that
    raises must still give its place back. Join every process, then return their exit codes
    in the order of ``items``.
    """
    # TODO: one Semaphore(limit) created here and passed to every Process; each process
    #       holds it only around task(item); start all, then join all; return exitcodes.
    raise NotImplementedError


# -- Part 2: a semaphore that catches an extra release ----------------------------------------


def permits(limit: int):
    """A semaphore shared by processes, for at most ``limit`` holders at once.

    A ``release()`` with no matching ``acquire()`` must raise ``ValueError`` instead of
    quietly making room for one more.
    """
    # TODO: which multiprocessing class refuses to go above its initial value?
    raise NotImplementedError

"""Exercise 03 — orphans: a child that outlives its parent.

Read README.md (or README.zh-CN.md) first. Replace the ``raise NotImplementedError`` with
your code; keep the function name and parameter. Check your work with::

    grader check orphan

The process that calls ``make_orphan`` is the parent that leaves: after the fork it ends
with ``os._exit(0)``. End the child with ``os._exit(...)`` too, in a ``finally``: a child that
returns from your function, raises, or calls ``sys.exit()`` would go on running the caller's
code.
"""

from __future__ import annotations

import os  # noqa: F401 - you will need it
import time  # noqa: F401 - you will need it
from collections.abc import Callable


def make_orphan(report: Callable[[int, int], object]) -> None:
    """Fork a child that outlives its parent; never return in the parent.

    The parent (the process that calls ``make_orphan``) forks one child and then ends at once
    with ``os._exit(0)``, without waiting for it.

    The child waits until its parent has gone: until ``os.getppid()`` is no longer the pid of
    the process that forked it (take that pid with ``os.getpid()`` before the fork). Then it
    calls ``report(old_ppid, new_ppid)`` — the parent it had, and the one that adopted it —
    and ends with ``os._exit(0)``. Never test ``os.getppid() == 1``: the new parent is not
    always init.
    """
    # TODO: remember your pid, fork; the parent: os._exit(0);
    # TODO: the child: poll os.getppid() until it changes, report(old, new), os._exit(0).
    raise NotImplementedError

"""Exercise 12 — shared counter: the lost update, and a Lock that prevents it.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check shared_counter
"""

from __future__ import annotations

import multiprocessing  # noqa: F401 - you will need it
import threading  # noqa: F401 - you will need it
import time

# -- Part 1: processes ------------------------------------------------------------------------


def count_with_lock(workers: int, increments: int) -> int:
    """Count to ``workers * increments`` with ``workers`` processes sharing one counter.

    Create the counter with ``multiprocessing.Value("i", 0)`` and one
    ``multiprocessing.Lock()``. Start ``workers`` ``multiprocessing.Process`` es; each adds 1
    to the counter ``increments`` times. Join every worker, then return the counter's value.
    The result must be exact every time.
    """
    # TODO: start the workers, join them, return the total.
    raise NotImplementedError


# -- Part 2: threads --------------------------------------------------------------------------

total = 0  # the counter that the threads share


def bump() -> None:
    """Add 1 to ``total`` in three steps, as ``total += 1`` does. Do not change this function.

    ``time.sleep(0)`` lets another thread run between the read and the write, the moment
    where an update can be lost.
    """
    global total
    value = total
    time.sleep(0)  # a switch point: another thread may run here
    total = value + 1


def count_with_threads(workers: int, increments: int) -> int:
    """Count to ``workers * increments`` with ``workers`` threads that each call ``bump()``.

    Reset ``total`` to 0, start ``workers`` ``threading.Thread`` s that each call ``bump()``
    ``increments`` times, join them, and return ``total`` as ``bump()`` left it (the grader
    swaps in its own ``bump()``, which may add another amount than 1). Exact every time.
    """
    # TODO: protect bump() with one threading.Lock shared by every thread.
    raise NotImplementedError


# -- Part 3: a transfer that nobody sees half-done ---------------------------------------------


def audited_transfers(workers: int, transfers: int) -> dict[str, object]:
    """Move money between two shared accounts while an auditor checks the books.

    Accounts ``a`` and ``b`` start with 1000 each (``multiprocessing.Value("i", 1000)``).
    ``workers`` processes each make ``transfers`` transfers of 1: workers with an even index
    move from ``a`` to ``b``, odd ones from ``b`` to ``a``. A transfer takes 1 from one
    account and adds 1 to the other.

    At the same time one auditor process keeps reading ``a + b`` until every worker has
    finished (then it audits once more and stops). It records every distinct total it saw.

    Return ``{"a": final a, "b": final b, "totals": sorted list of distinct totals seen,
    "audits": how many audits were made}``. Money must never appear or vanish: the auditor
    must only ever see 2000.
    """
    # TODO: workers, an auditor, one Lock, an Event (or similar) to tell the auditor to stop,
    # and a Queue (or Pipe) to bring the auditor's findings back.
    raise NotImplementedError

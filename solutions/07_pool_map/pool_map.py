"""Exercise 07 — pool map: reference solution.

The idea: a Pool starts ``workers`` processes once and feeds them items from a task queue, so
you pay for ``workers`` forks, not one per item. Every item's result (or its exception) comes
back to the caller, which puts it in the item's place. The pool is closed and joined on every
path, so no worker outlives the call.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from typing import Any


def parallel_map(func: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    pool = multiprocessing.Pool(processes=workers)  # exactly `workers` processes, started once
    try:
        # map() blocks until every item is done and returns the results in input order; if
        # func raised for an item, map() re-raises that exception (same type, same message) here.
        return pool.map(func, items)
    finally:
        pool.close()  # no more tasks: each worker exits once the queue is empty
        pool.join()  # wait for every worker and reap it - also when map() raised


def async_map(
    func: Callable[[Any], Any], items: Sequence[Any], workers: int
) -> list[tuple[Any, ...]]:
    pool = multiprocessing.Pool(processes=workers)
    try:
        # Submit everything first: apply_async returns at once, so the tasks run side by side.
        # The list keeps the AsyncResult objects in input order, whatever order they finish in.
        pending = [pool.apply_async(func, (item,)) for item in items]
    finally:
        pool.close()
        pool.join()  # once the workers are gone, every task has finished
    outcomes: list[tuple[Any, ...]] = []
    for result in pending:
        try:
            outcomes.append(("ok", result.get()))  # get() re-raises the task's exception here
        except Exception as exc:
            outcomes.append(("error", type(exc).__name__, str(exc)))
    return outcomes


def slow_square(x: int) -> tuple[int, int]:
    """A task for trying the functions by hand: ``(x * x, pid of the process that ran it)``."""
    time.sleep(0.2)  # simulated work
    return x * x, os.getpid()


if __name__ == "__main__":
    print("caller", os.getpid())
    print(parallel_map(slow_square, range(8), 3))
    print(async_map(slow_square, range(4), 2))

"""Exercise 08 — a process pool of your own: reference solution.

The idea: ``workers`` processes are started once and each one loops on a shared task queue,
so you pay for ``workers`` forks however many items there are. Every task carries its index;
every result comes back with it, so the caller can put it in its place whatever order the
tasks finish in. One sentinel per worker ends them all. The caller reads every result
*before* joining: a process that has put data on a Queue cannot end until that data has been
written into the pipe, which only happens as somebody reads it.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

STOP = None  # the sentinel: "no more tasks" (a real task is always an (index, item) pair)


def worker(func: Callable[[Any], Any], tasks: Any, results: Any) -> None:
    while True:
        task = tasks.get()
        if task is STOP:  # this worker's own sentinel: it takes it out of the queue and ends
            return
        index, item = task
        try:
            results.put((index, True, func(item)))
        except Exception as exc:  # the task's error travels back as data; the worker goes on
            results.put((index, False, exc))


def pool_map(func: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    tasks: Any = multiprocessing.Queue()
    results: Any = multiprocessing.Queue()
    pool = [
        multiprocessing.Process(target=worker, args=(func, tasks, results)) for _ in range(workers)
    ]
    for process in pool:  # started once, reused for every item
        process.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    for _ in pool:  # one sentinel PER WORKER: each worker consumes exactly one
        tasks.put(STOP)

    values: list[Any] = [None] * len(items)
    errors: dict[int, BaseException] = {}
    for _ in range(len(items)):  # exactly one result per task, in the order they finish...
        index, ok, value = results.get()
        if ok:
            values[index] = value  # ...each put back at its task's index
        else:
            errors[index] = value

    for process in pool:  # only now: every result has been read, so every worker can end
        process.join()

    if errors:
        raise errors[min(errors)]  # the first failing item's own exception, type and message
    return values


# -- for trying pool_map by hand (the grader uses its own tasks) -----------------------------


def slow_square(x: int) -> tuple[int, int]:
    """A task for experiments: ``(x * x, pid of the process that ran it)``, after 0.2 s."""
    time.sleep(0.2)  # simulated work
    return x * x, os.getpid()


if __name__ == "__main__":
    print("caller", os.getpid())
    print(pool_map(slow_square, range(8), 3))

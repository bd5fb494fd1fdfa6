"""Correct, written another way than the reference: every process and the semaphore come
from multiprocessing.get_context("forkserver"), a start method that needs the task to be
picklable, as the README promises it is (the grader starts them by fork all the same, as
the README says); each worker holds its permit in a with block; all are started, then all
joined, and the exit codes read from the processes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

ctx = multiprocessing.get_context("forkserver")


def worker(seats: Any, task: Callable[[str], object], item: str) -> None:
    with seats:
        task(item)


def run_limited(task: Callable[[str], object], items: list[str], limit: int) -> list[int]:
    seats = ctx.BoundedSemaphore(limit)
    workers = [ctx.Process(target=worker, args=(seats, task, item)) for item in items]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return [w.exitcode for w in workers]


def permits(limit: int) -> Any:
    return ctx.BoundedSemaphore(limit)

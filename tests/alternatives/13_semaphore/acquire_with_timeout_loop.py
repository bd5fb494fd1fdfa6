"""Correct, written another way than the reference: each worker asks for its permit with
acquire(timeout=0.5) in a loop (a worker that waits wakes twice a second, then waits on the
same semaphore again), and gives it back in finally; the semaphore comes from the default
context, the workers are started with a comprehension and joined last to first. permits()
builds a BoundedSemaphore the same way.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable


def _worker(seats, task: Callable[[str], object], item: str) -> None:
    while not seats.acquire(timeout=0.5):
        pass  # no permit yet: wait again
    try:
        task(item)
    finally:
        seats.release()


def run_limited(task: Callable[[str], object], items: list[str], limit: int) -> list[int]:
    ctx = multiprocessing.get_context()
    seats = ctx.BoundedSemaphore(limit)
    workers = [ctx.Process(target=_worker, args=(seats, task, item)) for item in items]
    for worker in workers:
        worker.start()
    for worker in reversed(workers):
        worker.join()
    return [worker.exitcode for worker in workers]


def permits(limit: int):
    return multiprocessing.get_context().BoundedSemaphore(limit)

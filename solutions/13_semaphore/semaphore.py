"""Exercise 13 — a semaphore: at most N workers in the critical section at once (solution)."""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import BoundedSemaphore, Process

# -- Part 1: at most `limit` at once -----------------------------------------------------------


def _worker(seats, task: Callable[[str], object], item: str) -> None:
    # The semaphore is held around the task and nothing else: `with` takes one permit
    # (waiting while there is none) and gives it back however the block ends, even when
    # task(item) raises. Without it a failing task would keep its permit for ever and the
    # section would hold one worker fewer from then on.
    with seats:
        task(item)


def run_limited(task: Callable[[str], object], items: list[str], limit: int) -> list[int]:
    # ONE semaphore, created before the processes and handed to each of them: every child
    # shares the same counter. A Semaphore created inside each worker is a different one per
    # worker and limits nothing.
    seats = BoundedSemaphore(limit)
    workers = [Process(target=_worker, args=(seats, task, item)) for item in items]
    # Start them all first: the semaphore, not the order of start() and join(), decides who
    # waits. A join() inside this loop would let only one worker run at a time.
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [worker.exitcode for worker in workers]


# -- Part 2: a semaphore that catches an extra release ----------------------------------------


def permits(limit: int):
    # A BoundedSemaphore never goes above its initial value: a release() without a matching
    # acquire() raises ValueError. A plain Semaphore would count up to limit + 1 and let one
    # process too many into the section from then on.
    return BoundedSemaphore(limit)

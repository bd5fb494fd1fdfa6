"""Correct, written another way than the reference: Part 1's semaphore lives in a Manager's
server process (one more child of the caller, started before the workers), and the workers
take it with acquire() and give it back in finally; the caller joins them last to first.
permits() is multiprocessing.BoundedSemaphore, as it must be shared without a server.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable


def _worker(seats, task: Callable[[str], object], item: str) -> None:
    seats.acquire()
    try:
        task(item)
    finally:
        seats.release()


def run_limited(task: Callable[[str], object], items: list[str], limit: int) -> list[int]:
    with multiprocessing.Manager() as manager:
        seats = manager.BoundedSemaphore(limit)
        workers = [
            multiprocessing.Process(target=_worker, args=(seats, task, item)) for item in items
        ]
        for worker in workers:
            worker.start()
        for worker in reversed(workers):
            worker.join()
    return [worker.exitcode for worker in workers]


def permits(limit: int):
    return multiprocessing.BoundedSemaphore(limit)

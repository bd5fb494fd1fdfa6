"""Correct, written another way than the reference: a Process subclass that takes its permit
with acquire() and gives it back in finally; processes from an explicit fork context; the
caller waits on the processes' sentinels with multiprocessing.connection.wait, then joins
them; permits() comes from the context too.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import wait

ctx = multiprocessing.get_context("fork")


class Worker(ctx.Process):  # type: ignore[name-defined,misc]
    def __init__(self, seats, task: Callable[[str], object], item: str) -> None:
        super().__init__()
        self.seats, self.task, self.item = seats, task, item

    def run(self) -> None:
        self.seats.acquire()
        try:
            self.task(self.item)
        finally:
            self.seats.release()


def run_limited(task: Callable[[str], object], items: list[str], limit: int) -> list[int]:
    seats = ctx.Semaphore(limit)
    workers = [Worker(seats, task, item) for item in items]
    for worker in workers:
        worker.start()
    pending = {worker.sentinel: worker for worker in workers}
    while pending:
        for ready in wait(list(pending)):
            pending.pop(ready).join()
    return [int(worker.exitcode) for worker in workers]


def permits(limit: int):
    return ctx.BoundedSemaphore(limit)

"""Correct, written another way than the reference: written to run the same on macOS, the
module asks for the spawn start method at import (set_start_method("spawn"), as the
multiprocessing docs show once per program) and takes Countdown's base class from
get_context("spawn"); the grader starts every process by fork all the same, as the README
says. Part 2 joins with the timeout, then terminates and joins again only while the child is
alive; main passes daemon=True to the constructor.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

multiprocessing.set_start_method("spawn")
ctx = multiprocessing.get_context("spawn")


def run_all(
    target: Callable[..., object], items: list[str], options: dict[str, object], prefix: str
) -> list[tuple[str, int, int]]:
    workers = []
    for index, item in enumerate(items):
        name = f"{prefix}-{index}"
        workers.append(
            multiprocessing.Process(target=target, args=(item,), kwargs=options, name=name)
        )
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [(w.name, w.pid, w.exitcode) for w in workers]  # type: ignore[misc]


def run_with_timeout(target: Callable[[], object], timeout: float) -> tuple[bool, int | None]:
    worker = ctx.Process(target=target)
    worker.start()
    worker.join(timeout)
    if not worker.is_alive():
        return False, worker.exitcode
    worker.terminate()
    worker.join()
    return True, worker.exitcode


class Countdown(ctx.Process):  # type: ignore[name-defined,misc]
    def __init__(
        self, start_at: int, report: Callable[[int], object], name: str | None = None
    ) -> None:
        super().__init__(name=name)
        self.start_at = start_at
        self.report = report

    def run(self) -> None:
        n = self.start_at
        while n > 0:
            self.report(n)
            n -= 1


def main(heartbeat: Callable[[], object], work: Callable[[], object]) -> None:
    ctx.Process(target=heartbeat, daemon=True).start()
    worker = ctx.Process(target=work)
    worker.start()
    worker.join()

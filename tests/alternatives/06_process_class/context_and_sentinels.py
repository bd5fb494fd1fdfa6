"""Correct, written another way than the reference: processes from a fork context with
daemon= as a keyword; Part 1 waits on the processes' sentinels with
multiprocessing.connection.wait before joining; Part 2 checks exitcode instead of
is_alive() and uses kill() only if terminate() did not work; Countdown sets its attributes
before calling Process.__init__ by name; main joins with a loop over a list.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import wait

ctx = multiprocessing.get_context("fork")


def run_all(
    target: Callable[..., object], items: list[str], options: dict[str, object], prefix: str
) -> list[tuple[str, int, int]]:
    workers = {}
    for index, item in enumerate(items):
        worker = ctx.Process(
            target=target, args=tuple([item]), kwargs=dict(options), name=f"{prefix}-{index}"
        )
        worker.start()
        workers[worker.sentinel] = worker
    pending = list(workers)
    while pending:
        for ready in wait(pending):
            pending.remove(ready)
    results = []
    for worker in workers.values():
        worker.join()
        results.append((worker.name, worker.pid, worker.exitcode))
    return results  # type: ignore[return-value]


def run_with_timeout(target: Callable[[], object], timeout: float) -> tuple[bool, int | None]:
    worker = ctx.Process(target=target, name="timed")
    worker.start()
    worker.join(timeout=timeout)
    if worker.exitcode is not None:
        return False, worker.exitcode
    worker.terminate()
    worker.join(timeout=5)
    if worker.exitcode is None:
        worker.kill()
        worker.join()
    return True, worker.exitcode


class Countdown(multiprocessing.Process):
    def __init__(
        self, start_at: int, report: Callable[[int], object], name: str | None = None
    ) -> None:
        self.start_at = start_at
        self.report = report
        multiprocessing.Process.__init__(self, name=name)

    def run(self) -> None:
        n = self.start_at
        while n > 0:
            self.report(n)
            n -= 1


def main(heartbeat: Callable[[], object], work: Callable[[], object]) -> None:
    ctx.Process(target=heartbeat, daemon=True).start()
    others = [ctx.Process(target=work)]
    for process in others:
        process.start()
    for process in others:
        process.join()

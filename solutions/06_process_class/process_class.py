"""Exercise 06 — the Process class: reference solution.

Read README.md for the task. The ideas live in the comments.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import Process

# -- Part 1: one process per item -------------------------------------------------------------


def run_all(
    target: Callable[..., object], items: list[str], options: dict[str, object], prefix: str
) -> list[tuple[str, int, int]]:
    """One process per item, all at once; [(name, pid, exitcode)] in the order of ``items``."""
    workers = [
        # args is a TUPLE: (item,) with the comma. (item) is just the string, and each of
        # its letters would become an argument of its own.
        Process(target=target, args=(item,), kwargs=options, name=f"{prefix}-{index}")
        for index, item in enumerate(items)
    ]
    for worker in workers:
        worker.start()  # start(), never run(): run() would do the work here, in this process
    for worker in workers:
        worker.join()  # only once every worker has started: they run at the same time
    # exitcode is known only after join(): None while the child runs, 0 when the target
    # returned, the code of sys.exit(code), 1 for an exception, -N for signal N.
    return [(w.name, w.pid, w.exitcode) for w in workers]  # type: ignore[misc]


# -- Part 2: a join with a timeout --------------------------------------------------------------


def run_with_timeout(target: Callable[[], object], timeout: float) -> tuple[bool, int | None]:
    """Run ``target`` in a child; give it ``timeout`` seconds; (timed_out, exitcode)."""
    worker = Process(target=target)
    worker.start()
    worker.join(timeout)  # returns when the child ends, or after timeout seconds at most
    timed_out = worker.is_alive()  # join(timeout) does not say which: ask
    if timed_out:
        worker.terminate()  # SIGTERM
        worker.join()  # reap it: now exitcode is -15
    return timed_out, worker.exitcode


# -- Part 3: a Process subclass ---------------------------------------------------------------


class Countdown(Process):
    """A process that calls ``report(n)`` for n = start_at, ..., 1, in the child."""

    def __init__(
        self, start_at: int, report: Callable[[int], object], name: str | None = None
    ) -> None:
        super().__init__(name=name)  # first: Process sets up its own state here
        self.start_at = start_at
        self.report = report

    def run(self) -> None:
        # start() forks and calls run() in the child. Override run(), never start().
        for n in range(self.start_at, 0, -1):
            self.report(n)


# -- Part 4: a daemon that ends with the main program ----------------------------------------


def main(heartbeat: Callable[[], object], work: Callable[[], object]) -> None:
    """Run ``heartbeat`` in a daemon process and ``work`` in a normal one; wait for the work."""
    beat = Process(target=heartbeat)
    beat.daemon = True  # before start(): a daemon is terminated when the main program ends
    beat.start()
    worker = Process(target=work)
    worker.start()
    worker.join()  # wait for the work only; never join the daemon: it never ends by itself

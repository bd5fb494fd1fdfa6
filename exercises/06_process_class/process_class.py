"""Exercise 06 — the Process class: target, args, kwargs, join(timeout), a subclass, daemon.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the names and parameters. Check your work with::

    grader check process_class

Use ``multiprocessing.Process`` everywhere: never ``os.fork`` or threads here.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import Process

# -- Part 1: one process per item -------------------------------------------------------------


def run_all(
    target: Callable[..., object], items: list[str], options: dict[str, object], prefix: str
) -> list[tuple[str, int, int]]:
    """Run ``target(item, **options)`` in a process of its own for each item, all at once.

    Process ``index`` is named ``f"{prefix}-{index}"``. Start every process, then join every
    process. Return one ``(name, pid, exitcode)`` tuple per item, in the order of ``items``.
    """
    # TODO: Process(target=..., args=(item,), kwargs=..., name=...); start all; join all.
    raise NotImplementedError


# -- Part 2: a join with a timeout --------------------------------------------------------------


def run_with_timeout(target: Callable[[], object], timeout: float) -> tuple[bool, int | None]:
    """Run ``target()`` in a child process and wait for it at most ``timeout`` seconds.

    If it is still running then, terminate it (SIGTERM) and join it. Return
    ``(timed_out, exitcode)``: ``(False, code)`` when it ended in time, ``(True, -15)`` when
    it had to be terminated.
    """
    # TODO: start, join(timeout), is_alive(), terminate(), join(), exitcode.
    raise NotImplementedError


# -- Part 3: a Process subclass ---------------------------------------------------------------


class Countdown(Process):
    """A process that, in the child, calls ``report(n)`` for n = start_at, start_at - 1, ..., 1.

    ``name`` is the process's name (None: the default name that Process gives).
    """

    def __init__(
        self, start_at: int, report: Callable[[int], object], name: str | None = None
    ) -> None:
        # TODO: let Process set itself up first (with the name), then keep your attributes.
        raise NotImplementedError

    def run(self) -> None:
        # TODO: the countdown; start() calls this in the new process.
        raise NotImplementedError


# -- Part 4: a daemon that ends with the main program ----------------------------------------


def main(heartbeat: Callable[[], object], work: Callable[[], object]) -> None:
    """Run ``heartbeat()`` in a daemon process and ``work()`` in a normal one, at the same time.

    Wait for the work only, then return. ``heartbeat`` never ends by itself: the daemon is
    ended when the main program ends.
    """
    # TODO: a daemon Process for heartbeat (daemon before start!), a Process for work; join work.
    raise NotImplementedError

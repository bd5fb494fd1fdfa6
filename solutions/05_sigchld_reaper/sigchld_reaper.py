"""Exercise 05 — a SIGCHLD reaper: reference solution.

The kernel sends SIGCHLD to a parent when one of its children ends. A handler for it reaps
the children as they end, while the program goes on with its own work: no zombie stays, and
nobody waits in the main loop. Two things make it right: the handler loops (one signal may
stand for many children), and it never blocks (WNOHANG).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable


def _reap_every_ended_child(statuses: dict[int, int]) -> None:
    """Collect every child that has ended by now, without ever blocking.

    Signals of one kind do not queue: while a SIGCHLD is pending, more children ending add
    nothing. So one call of the handler may be the only news of many ended children: keep
    collecting until nobody is left to collect.
    """
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)  # WNOHANG: never block in a handler
        except ChildProcessError:  # no child at all any more
            return
        if pid == 0:  # children exist, none of them has ended
            return
        # The status is not the exit code: decode it (2 for exit 2, -9 for a SIGKILL).
        statuses[pid] = os.waitstatus_to_exitcode(status)


def install_reaper(statuses: dict[int, int]) -> Callable[[], None]:
    def on_sigchld(signum: int, frame: object) -> None:
        _reap_every_ended_child(statuses)  # the caller's own dict: it sees every status

    # signal.signal returns the disposition it replaces: keep it to put it back later.
    previous = signal.signal(signal.SIGCHLD, on_sigchld)

    def restore() -> None:
        signal.signal(signal.SIGCHLD, previous)

    return restore


def _run_in_child(job: Callable[[], object]) -> None:
    """In the child: run the job and end the process, whatever happens."""
    code = 1
    try:
        job()
        code = 0
    finally:
        os._exit(code)  # never return into the parent's loop


def serve(next_job: Callable[[], Callable[[], object] | None]) -> int:
    restore = install_reaper({})  # statuses are not asked for here: a throwaway dict
    started = 0
    try:
        while (job := next_job()) is not None:  # the parent's work: it may wait for long
            if os.fork() == 0:
                _run_in_child(job)
            started += 1  # no wait here: the handler reaps the child whenever it ends
    finally:
        restore()
    return started

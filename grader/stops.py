"""Stop processes from outside (SIGSTOP), see the kernel show them stopped, let them go on.

To see what the children of a student's process did, and not the process itself, the judge
stops that process (SIGSTOP cannot be caught, blocked or ignored) and looks while it stands
still: at shared memory once the children have ended, at a child's exit status while nobody
can collect it. A process is stopped only once *every* thread of it shows state T: until then
a thread of it may still be copying something in. Whoever stops a process lets it go on
(SIGCONT), always, in a ``finally`` or by :func:`held`; a process that ended meanwhile is
skipped, never an error. Linux reads the threads' states from /proc; elsewhere a process
counts as stopped when its state (from :mod:`grader.probe`) says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable, Iterator, Sequence

from grader import polling, probe

_STILL = (b"T", b"t", b"Z", b"X")  # stopped, traced, or on the way out: runs no more code
_HAS_TASKS = os.path.isdir("/proc/self/task")


def stop(pids: Iterable[int]) -> list[int]:
    """Send SIGSTOP to each of ``pids``: the ones it reached (the others had ended)."""
    reached = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            continue
        reached.append(pid)
    return reached


def resume(pids: Iterable[int]) -> None:
    """Send SIGCONT to each of ``pids`` that is still there."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGCONT)


def is_stopped(pid: int) -> bool:
    """Every thread of ``pid`` is stopped (state T or t), or it has ended (a zombie, gone)."""
    if not _HAS_TASKS:  # no /proc here (macOS): the process's own state
        row = probe.read(pid)
        return row is None or row.zombie or row.state in ("T", "t")
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True  # gone
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/stat", "rb") as file:
                state = file.read().rpartition(b")")[2].split()[0]
        except (OSError, IndexError):
            continue  # that thread has ended
        if state not in _STILL:
            return False
    return True


def wait_stopped(pids: Iterable[int], within: float) -> bool:
    """Poll until every one of ``pids`` is stopped (:func:`is_stopped`); False if ``within``
    seconds passed first."""
    waiting = list(pids)
    return polling.holds_within(
        lambda: all(is_stopped(pid) for pid in waiting), within, max_interval=0.002
    )


@contextlib.contextmanager
def held(pids: Sequence[int], within: float) -> Iterator[list[int] | None]:
    """Stop ``pids`` and yield the ones stopped, once the first of them (the one the look is
    about) and, within ``within`` seconds, all of them show it; all go on (SIGCONT) when the
    block ends, however it ends. Yields None, after letting them go on, where the first could
    not be stopped in time (a machine far too busy, or it had ended): no look this time."""
    reached = stop(pids)
    try:
        first_stopped = bool(pids) and pids[0] in reached
        if first_stopped:
            wait_stopped(reached, within)
            first_stopped = is_stopped(pids[0])
        if not first_stopped:
            resume(reached)  # let go at once, not when the block ends
            reached = []
        yield reached if first_stopped else None
    finally:
        resume(reached)

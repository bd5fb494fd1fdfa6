"""Correct, written another way than the reference: Part 3 catches the answer with a
handler instead of blocking it, and waits on a wakeup fd. ``signal.set_wakeup_fd(w)`` makes
the C-level signal handler write a byte to the pipe ``w`` for every signal, so a
``select()`` on its read end sleeps in the kernel until the answer comes, and an answer
that comes between the check of the flag and the ``select()`` is not lost: its byte is
already there. An answer the caller had blocked (pending) is delivered, to the handler, the
moment the call unblocks it. Parts 1 and 2 are the reference's.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# -- Part 1: a deadline with setitimer ----------------------------------------------------------


def run_with_deadline(func: Callable[[], T], seconds: float) -> T:
    """Call ``func()``; raise TimeoutError if it has not returned after ``seconds``."""

    def on_alarm(signum, frame):
        # Raising is the one thing this handler does: the exception comes out of whatever
        # line func() was running, a busy loop or a blocking recv() alike.
        raise TimeoutError(f"no result after {seconds} s")

    # Save both things we are about to change: the old handler, and the old timer (setitimer
    # returns what was left of it). alarm() would not do: it takes whole seconds only.
    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    old_left, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return func()
    finally:
        # Cancel OUR timer first, while our handler is still there: a SIGALRM that came
        # late must not reach the old disposition (SIG_DFL would kill the process).
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_left > 0:
            # The caller's timer goes on with the time it had left, minus what we used; if it
            # fell due meanwhile, it fires at once (a tiny positive delay, 0 would cancel it).
            left = max(old_left - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)


# -- Part 2: handlers that set a flag --------------------------------------------------------------


def serve_until_stopped(step: Callable[[], object], report: Callable[[], object]) -> int:
    """Call ``step()`` again and again; SIGUSR1 asks for ``report()``, SIGTERM for the end."""
    flags = {"report": False, "stop": False}

    def on_usr1(signum, frame):
        flags["report"] = True  # only note it: the loop does the work

    def on_term(signum, frame):
        flags["stop"] = True

    old_usr1 = signal.signal(signal.SIGUSR1, on_usr1)
    old_term = signal.signal(signal.SIGTERM, on_term)
    steps = 0
    try:
        while not flags["stop"]:
            step()
            steps += 1
            if flags["report"]:
                flags["report"] = False  # clear first: a SIGUSR1 during report() asks again
                report()
    finally:
        signal.signal(signal.SIGUSR1, old_usr1)
        signal.signal(signal.SIGTERM, old_term)
    return steps


# -- Part 3: a handler, a wakeup fd and select() -----------------------------------------------


def signal_and_wait(pid: int, ask: int, answer: int, seconds: float) -> bool:
    came: list[int] = []

    def on_answer(signum, frame):
        came.append(signum)

    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    old_handler = signal.signal(answer, on_answer)
    old_fd = signal.set_wakeup_fd(w)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, set())  # only read it
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {answer})  # a pending answer runs on_answer
        os.kill(pid, ask)
        end = time.monotonic() + seconds
        while not came:
            left = end - time.monotonic()
            if left <= 0:
                break
            select.select([r], [], [], left)
            try:
                os.read(r, 512)  # the wakeup bytes: one per signal
            except BlockingIOError:
                pass
        return bool(came)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        signal.set_wakeup_fd(old_fd)
        signal.signal(answer, old_handler)
        os.close(r)
        os.close(w)

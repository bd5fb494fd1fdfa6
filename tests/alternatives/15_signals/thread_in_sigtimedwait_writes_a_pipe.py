"""Correct, written another way than the reference: in Part 3 the main thread does not wait
for the signal itself. It blocks the answer (a thread started afterwards inherits the mask,
so no thread of the process lets it through), starts a thread that waits for it in
``sigtimedwait`` and writes what it got to a pipe, asks, and sleeps in ``select()`` on that
pipe: the answer ends the thread's wait, and the thread's byte ends the main thread's.
Parts 1 and 2 are the reference's.
"""

from __future__ import annotations

import os
import select
import signal
import threading
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


# -- Part 3: a thread in sigtimedwait, the main thread on its pipe --------------------------------


def signal_and_wait(pid: int, ask: int, answer: int, seconds: float) -> bool:
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {answer})
    r, w = os.pipe()
    started = threading.Event()

    def waiter() -> None:
        started.set()
        got = signal.sigtimedwait({answer}, seconds)
        os.write(w, b"1" if got is not None else b"0")

    thread = threading.Thread(target=waiter)
    try:
        thread.start()
        started.wait()
        os.kill(pid, ask)
        select.select([r], [], [])  # the thread writes once, whatever happens
        return os.read(r, 1) == b"1"
    finally:
        thread.join()
        os.close(r)
        os.close(w)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

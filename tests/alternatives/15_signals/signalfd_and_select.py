"""Correct, written another way than the reference: Part 3 takes the answer from a signalfd
(Linux's descriptor that reads pending signals, made with ``ctypes``: the standard library
has no ``signalfd``). The answer is blocked first, so that it stays pending; the signalfd
reads as ready while it is pending (one the caller had blocked and that came first too),
``select()`` sleeps in the kernel until then, and reading the descriptor takes the signal.
Parts 1 and 2 are the reference's.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_LIBC = ctypes.CDLL(None, use_errno=True)
_SFD_NONBLOCK = os.O_NONBLOCK
_SFD_CLOEXEC = os.O_CLOEXEC
_SIGINFO_SIZE = 128  # struct signalfd_siginfo

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


# -- Part 3: a signalfd and select() -----------------------------------------------------------


def _signalfd(signals: set[int]) -> int:
    """A new signalfd that reads the pending signals of ``signals`` (they must be blocked)."""
    mask = ctypes.create_string_buffer(128)  # sigset_t
    _LIBC.sigemptyset(mask)
    for sig in signals:
        _LIBC.sigaddset(mask, int(sig))
    fd = _LIBC.signalfd(-1, mask, _SFD_NONBLOCK | _SFD_CLOEXEC)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return fd


def signal_and_wait(pid: int, ask: int, answer: int, seconds: float) -> bool:
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {answer})  # pending, not delivered
    try:
        fd = _signalfd({answer})
        try:
            os.kill(pid, ask)
            end = time.monotonic() + seconds
            while True:
                try:
                    os.read(fd, _SIGINFO_SIZE)  # takes the pending answer
                    return True
                except BlockingIOError:
                    pass
                left = end - time.monotonic()
                if left <= 0:
                    return False
                select.select([fd], [], [], left)  # sleeps until the answer is pending
        finally:
            os.close(fd)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

"""Correct, written another way than the reference: Part 1's handler raises a private
BaseException (so that func's own `except Exception` cannot swallow the deadline) that
becomes TimeoutError outside func, and reads the caller's timer with getitimer first; Part 2
keeps its flags in a list and puts the handlers back in reverse order; Part 3 is the
course's "alarm + sigwait": it blocks the answer and SIGALRM, arms ITIMER_REAL for the time
limit and sigwait()s for whichever comes first, then takes a SIGALRM that came too late and
puts the caller's timer back.
"""

from __future__ import annotations

import os
import signal
import time


class _Expired(BaseException):
    """Raised by the SIGALRM handler; never leaves run_with_deadline."""


def run_with_deadline(func, seconds):
    caller_left, caller_interval = signal.getitimer(signal.ITIMER_REAL)
    began = time.monotonic()

    def expired(signum, frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expired)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return func()
        except _Expired:
            raise TimeoutError(f"func ran past its {seconds} s deadline") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)
        if caller_left:
            used = time.monotonic() - began
            signal.setitimer(signal.ITIMER_REAL, max(caller_left - used, 0.000001), caller_interval)


def serve_until_stopped(step, report):
    wanted = []  # "report" / "stop", appended by the handlers, read by the loop

    saved_term = signal.signal(signal.SIGTERM, lambda signum, frame: wanted.append("stop"))
    saved_usr1 = signal.signal(signal.SIGUSR1, lambda signum, frame: wanted.append("report"))
    done = 0
    try:
        while True:
            step()
            done += 1
            if "report" in wanted:
                while "report" in wanted:
                    wanted.remove("report")
                report()
            if "stop" in wanted:
                return done
    finally:
        signal.signal(signal.SIGUSR1, saved_usr1)
        signal.signal(signal.SIGTERM, saved_term)


def signal_and_wait(pid, ask, answer, seconds):
    both = {answer, signal.SIGALRM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, both)
    caller_left, caller_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    began = time.monotonic()
    try:
        os.kill(pid, ask)
        got = signal.sigwait(both)
        return got == answer
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        if signal.SIGALRM in signal.sigpending():
            signal.sigwait({signal.SIGALRM})  # our timer fell due as the answer came
        if caller_left:
            used = time.monotonic() - began
            signal.setitimer(signal.ITIMER_REAL, max(caller_left - used, 0.000001), caller_interval)
        signal.pthread_sigmask(signal.SIG_SETMASK, before)

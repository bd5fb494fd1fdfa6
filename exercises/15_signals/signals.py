"""Exercise 15 — signals: a deadline with setitimer, handlers that set a flag, signalling a
child and waiting for its answer.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check signals

Every function changes something process-wide (a handler, the timer, the signal mask) and
must put it back as it was before it returns, whichever way it returns.
"""

from __future__ import annotations

import os  # noqa: F401 - you will need it
import signal  # noqa: F401 - you will need it
import time  # noqa: F401 - you may need it
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# -- Part 1: a deadline -------------------------------------------------------------------------


def run_with_deadline(func: Callable[[], T], seconds: float) -> T:
    """Call ``func()`` and return its value; raise TimeoutError if it is still running after
    ``seconds`` (a float, often less than one second).

    The deadline must interrupt func wherever it is: in a busy loop or blocked in a call.
    Arm ``signal.setitimer(signal.ITIMER_REAL, seconds)`` with a SIGALRM handler that raises
    TimeoutError (``signal.alarm`` takes whole seconds only). Whichever way func ends, cancel
    your timer, put back the SIGALRM disposition you replaced, and re-arm the caller's own
    timer (``setitimer`` returned what was left of it) with the time it has left.
    """
    # TODO: save the old handler and timer, arm yours, call func, put everything back.
    raise NotImplementedError


# -- Part 2: handlers that set a flag -----------------------------------------------------------


def serve_until_stopped(step: Callable[[], object], report: Callable[[], object]) -> int:
    """Call ``step()`` over and over until SIGTERM comes; return how many steps were done.

    SIGUSR1 asks for a report: once the step during which it came has returned, call
    ``report()`` once, then go on. SIGTERM asks for the end: once the current step has
    returned, stop and return the number of steps. The handlers only set flags; the loop does
    the work. Put back both signals' dispositions before returning.
    """
    # TODO: install two handlers that set flags, loop, act on the flags, restore in a finally.
    raise NotImplementedError


# -- Part 3: signal a child, wait for its answer ------------------------------------------------


def signal_and_wait(pid: int, ask: int, answer: int, seconds: float) -> bool:
    """Send signal ``ask`` to process ``pid``, then wait until signal ``answer`` comes, at most
    ``seconds``. Return True if it came, False if the time ran out.

    Wait without burning CPU, and never lose an answer that comes early (before you start
    waiting, or even before you were called, while the caller had it blocked). Block
    ``answer`` before you send ``ask``, wait with ``signal.sigtimedwait``, then put the signal
    mask back as it was.
    """
    # TODO: block the answer, send the ask, wait for the answer, restore the mask.
    raise NotImplementedError

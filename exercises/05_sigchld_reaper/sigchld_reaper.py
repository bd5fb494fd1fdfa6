"""Exercise 05 — a SIGCHLD reaper: reap children from a signal handler while the parent works.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check sigchld_reaper

The handler runs whenever the kernel sends SIGCHLD, in the middle of whatever the program
was doing: it must collect every child that has ended, and never block.
"""

from __future__ import annotations

import os  # noqa: F401 - you will need it
import signal  # noqa: F401 - you will need it
from collections.abc import Callable

# -- Part 1: a reaper in a SIGCHLD handler ----------------------------------------------------


def install_reaper(statuses: dict[int, int]) -> Callable[[], None]:
    """Install a SIGCHLD handler that reaps children as they end; return ``restore``.

    Each time the handler runs, it collects every child that has ended by then, and never
    blocks: loop over ``os.waitpid(-1, os.WNOHANG)`` until it returns ``(0, 0)`` (children
    left, none ended) or raises ``ChildProcessError`` (no child at all). For each child it
    collects, it stores ``statuses[pid] = os.waitstatus_to_exitcode(status)`` in the very dict
    it was given: the exit code, or minus the signal that killed the child.

    Return a function ``restore()`` that puts back the SIGCHLD disposition that was there
    before (whatever ``signal.signal`` returned when you installed yours).
    """
    # TODO: define the handler, install it with signal.signal, return a restore function.
    raise NotImplementedError


# -- Part 2: a parent that keeps serving ------------------------------------------------------


def serve(next_job: Callable[[], Callable[[], object] | None]) -> int:
    """Run each job from ``next_job()`` in a child of its own; never wait in the loop.

    Loop: ``job = next_job()``; None means "no more jobs". For each job fork a child that
    calls ``job()`` and then ends with ``os._exit(0)`` (``os._exit(1)`` if it raised), and go
    straight back to ``next_job()``: the parent never waits for a child in its loop. Reap the
    children with a SIGCHLD handler (Part 1) or by setting SIGCHLD to ``SIG_IGN``.

    When ``next_job()`` returns None, every child has already ended: put the SIGCHLD
    disposition back as it was and return how many jobs were started.
    """
    # TODO: reap with SIGCHLD, fork a child per job, restore SIGCHLD in a finally.
    raise NotImplementedError

"""Exercise 04 — zombie avoidance: wait, waitpid(WNOHANG) and the double fork.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check zombie_avoidance

In every child you fork, end with ``os._exit(...)``, in a ``finally``: a child that returns
from your function, raises, or calls ``sys.exit()`` would go on running the caller's code.
Each function may be called many times in one process: keep no state between calls.
"""

from __future__ import annotations

import os  # noqa: F401 - you will need it
from collections.abc import Callable

# -- Part 1: reap every child -----------------------------------------------------------------


def reap_all(codes: list[int]) -> list[int]:
    """Fork one child per entry of ``codes``, reap every child, return their exit codes.

    The child for ``code >= 0`` ends with ``os._exit(code)`` (0 to 255). The child for a
    negative ``code`` kills itself with signal ``-code``: ``os.kill(os.getpid(), -code)``.

    Return one result per child, in the order of ``codes``: the child's exit code (not the
    raw status that ``os.wait`` gives you), or minus the signal number for a child ended by a
    signal, as ``subprocess`` does. So ``reap_all([0, 2, -9])`` returns ``[0, 2, -9]``, and
    ``reap_all([])`` returns ``[]``. Report what ``os.waitpid`` says, never a copy of
    ``codes``: a child can end otherwise than planned.

    When it returns, no child may be left: not running, not a zombie.
    """
    # TODO: fork the children, then collect each one with os.waitpid and decode its status.
    raise NotImplementedError


# -- Part 2: a poller that keeps working ------------------------------------------------------


def reap_while_working(tasks: list[Callable[[], object]], work: Callable[[], object]) -> list[int]:
    """Run each task in its own child; do ``work()`` while they run; reap them as they end.

    Fork one child per task; child ``i`` calls ``tasks[i]()`` and then ends with
    ``os._exit(0)``. A task may raise: its child still ends, with ``os._exit(1)`` (use a
    ``finally``), and is reaped like the others. The parent must never block while children
    are running: it polls with
    ``os.waitpid(-1, os.WNOHANG)`` and, each time no child has ended, calls ``work()`` (one
    slice of its other work) before polling again.

    Return the task indexes in the order the children were reaped, e.g. ``[2, 0, 1]``.
    When it returns, every child has been reaped.
    """
    # TODO: fork, then loop: waitpid(-1, WNOHANG); (0, 0) -> work(); a pid -> note its index.
    raise NotImplementedError


# -- Part 3: the double fork ------------------------------------------------------------------


def spawn_detached(task: Callable[[], object]) -> int:
    """Run ``task()`` in a grandchild that is not your child; return its pid at once.

    Fork a middle child. The middle child forks the grandchild and exits at once with
    ``os._exit(0)``. The grandchild calls ``task()`` and then ends with ``os._exit(0)``. The
    caller reaps the middle child (so it leaves no zombie) and returns the grandchild's pid,
    without waiting for the task. Only the middle child knows that pid: send it back through
    a pipe, and close both of its ends. A task that raises must not take the grandchild out
    of your function either.

    When it returns, the caller has no child left at all, and the grandchild, an orphan, has
    been adopted by another process.
    """
    # TODO: pipe, fork, fork again, exit the middle child, waitpid it, read the pid.
    raise NotImplementedError

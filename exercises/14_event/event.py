"""Exercise 14 — Event: a start gate, re-armed with clear(), wait(timeout), a stop event.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the names and parameters. Check your work with::

    grader check event

Every runner and every worker is a ``multiprocessing.Process`` (never a thread), and every
gate or stop signal is a ``multiprocessing.Event``, passed to the processes in ``args``.
"""

from __future__ import annotations

from collections.abc import Callable
from multiprocessing import Event, Process  # noqa: F401  (you will need both)
from typing import Any

# -- Parts 1 to 3: the start gate ---------------------------------------------------------------


def runner(
    gate: Any,
    lane: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
) -> None:
    """Runs in a runner process: wait at the gate at most ``timeout`` seconds.

    If the gate opened in time, call ``task(lane)``; if the timeout passed with the gate still
    shut, call ``give_up(lane)`` instead. Never both.
    """
    # TODO: gate.wait(timeout) says which of the two happened.
    raise NotImplementedError


def race(
    lanes: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
    starter: Callable[[], object],
) -> None:
    """One race: ``lanes`` runner processes (lane 0, 1, ...) wait at one shut gate.

    Start them all, then call ``starter()`` (it returns when the race may begin), then open
    the gate, then join every runner.
    """
    # TODO: an Event; a Process(target=runner, args=(...)) per lane; start all; starter();
    # set(); join all.
    raise NotImplementedError


def heats(
    count: int,
    lanes: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
    starter: Callable[[], object],
) -> None:
    """``count`` races one after the other, all through ONE gate (one Event).

    Each heat starts ``lanes`` new runners, calls ``starter()``, opens the gate, joins its
    runners, and shuts the gate again for the next heat.
    """
    # TODO: like race(), in a loop, with clear() at the right moment.
    raise NotImplementedError


# -- Part 4: a stop event --------------------------------------------------------------------------


def patroller(stop: Any, lane: int, tick: Callable[[int], object], interval: float) -> None:
    """Runs in a worker process: ``tick(lane)`` at once, then every ``interval`` seconds.

    Stop as soon as the ``stop`` event is set, even in the middle of an interval.
    """
    # TODO: a loop; wait between ticks with stop.wait(interval), not time.sleep().
    raise NotImplementedError


def patrol(
    workers: int,
    tick: Callable[[int], object],
    interval: float,
    wait_for_stop: Callable[[], object],
) -> None:
    """Start ``workers`` patroller processes (lane 0, 1, ...) sharing one stop event.

    Then call ``wait_for_stop()`` (it returns when it is time to stop), set the stop event,
    and join every worker.
    """
    # TODO: an Event; start the workers; wait_for_stop(); stop.set(); join all.
    raise NotImplementedError

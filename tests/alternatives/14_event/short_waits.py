"""Correct, written another way than the reference: a runner waits at the gate in very short
waits, gate.wait(0.005) again and again until its own deadline (each one sleeps on the Event's
semaphore, so it is asleep at the gate nearly all the time, only waking 200 times a second);
heats() keeps its one gate in a dict with the runners of the heat, and shuts it with clear()
after the joins; the workers stop on `stop.wait(interval)` alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from multiprocessing import Event, Process
from typing import Any

SLICE = 0.005


def runner(
    gate: Any,
    lane: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if gate.wait(min(SLICE, left)):
            task(lane)
            return
    give_up(lane)


def _one_heat(
    state: dict[str, Any],
    lanes: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
    starter: Callable[[], object],
) -> None:
    gate = state["gate"]
    state["runners"] = [
        Process(target=runner, args=(gate, lane, task, give_up, timeout)) for lane in range(lanes)
    ]
    for process in state["runners"]:
        process.start()
    starter()
    gate.set()
    while state["runners"]:
        state["runners"].pop().join()
    gate.clear()


def race(
    lanes: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
    starter: Callable[[], object],
) -> None:
    _one_heat({"gate": Event()}, lanes, task, give_up, timeout, starter)


def heats(
    count: int,
    lanes: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
    starter: Callable[[], object],
) -> None:
    state: dict[str, Any] = {"gate": Event()}
    for _ in range(count):
        _one_heat(state, lanes, task, give_up, timeout, starter)


def patroller(stop: Any, lane: int, tick: Callable[[int], object], interval: float) -> None:
    tick(lane)
    while not stop.wait(interval):
        tick(lane)


def patrol(
    workers: int,
    tick: Callable[[int], object],
    interval: float,
    wait_for_stop: Callable[[], object],
) -> None:
    stop = Event()
    crew = [Process(target=patroller, args=(stop, lane, tick, interval)) for lane in range(workers)]
    for process in crew:
        process.start()
    wait_for_stop()
    stop.set()
    for process in crew:
        process.join()

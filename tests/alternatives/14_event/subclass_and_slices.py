"""Correct, written another way than the reference: the runners and workers are Process
subclasses from a fork context; a runner waits in slices of 50 ms until its deadline (still
on the Event's semaphore in each slice); race() is heats(1, ...); heats() makes its one
Event up front and shuts it with clear() at the start of each heat (the runners of the heat
before are all joined by then), not after the join; a worker's loop is
`while True: ... if stop.wait(interval): return`; patrol sets the stop event in a finally
block and waits on the processes' sentinels before joining them.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

ctx = multiprocessing.get_context("fork")


def runner(
    gate: Any,
    lane: int,
    task: Callable[[int], object],
    give_up: Callable[[int], object],
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    opened = False
    while not opened:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        opened = gate.wait(min(0.05, left))
    (task if opened else give_up)(lane)


class Runner(ctx.Process):  # type: ignore[name-defined,misc]
    def __init__(self, gate: Any, lane: int, task: Any, give_up: Any, timeout: float) -> None:
        super().__init__(name=f"runner-{lane}")
        self.gate, self.lane, self.task, self.give_up, self.timeout = (
            gate,
            lane,
            task,
            give_up,
            timeout,
        )

    def run(self) -> None:
        runner(self.gate, self.lane, self.task, self.give_up, self.timeout)


def heats(
    count: int, lanes: int, task: Any, give_up: Any, timeout: float, starter: Callable[[], object]
) -> None:
    gate = ctx.Event()
    for _ in range(count):
        gate.clear()  # shut it before this heat's runners come: the last heat's are joined
        group = [Runner(gate, lane, task, give_up, timeout) for lane in range(lanes)]
        for process in group:
            process.start()
        starter()
        gate.set()
        for process in group:
            process.join()


def race(
    lanes: int, task: Any, give_up: Any, timeout: float, starter: Callable[[], object]
) -> None:
    heats(1, lanes, task, give_up, timeout, starter)


def patroller(stop: Any, lane: int, tick: Callable[[int], object], interval: float) -> None:
    while True:
        if stop.is_set():
            return
        tick(lane)
        if stop.wait(interval):
            return


class Worker(ctx.Process):  # type: ignore[name-defined,misc]
    def __init__(self, stop: Any, lane: int, tick: Any, interval: float) -> None:
        super().__init__()
        self.stop, self.lane, self.tick, self.interval = stop, lane, tick, interval

    def run(self) -> None:
        patroller(self.stop, self.lane, self.tick, self.interval)


def patrol(workers: int, tick: Any, interval: float, wait_for_stop: Callable[[], object]) -> None:
    stop = ctx.Event()
    crew = [Worker(stop, lane, tick, interval) for lane in range(workers)]
    for process in crew:
        process.start()
    try:
        wait_for_stop()
    finally:
        stop.set()
    pending = [p.sentinel for p in crew]
    while pending:
        for ready in wait(pending):
            pending.remove(ready)
    for process in crew:
        process.join()

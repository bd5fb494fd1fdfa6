"""Correct, written another way than the reference: Producer and Consumer are Process
subclasses with their work in run(); the sentinel is an instance of a class of its own,
recognised with isinstance() (an unpickled copy is never the same object, but it is of the
same class); the queue comes from a fork context; consumers read with iter(q.get, ...) style
loops; collect() keeps its own deadline-free loop with get(True, timeout), and ends a
producer with kill() and a join in a finally block.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Iterable

ctx = multiprocessing.get_context("fork")


class Done:
    """The sentinel: no item is ever a Done."""


class Producer(ctx.Process):  # type: ignore[misc,name-defined]
    def __init__(self, q, source, index) -> None:
        super().__init__()
        self.q, self.source, self.index = q, source, index

    def run(self) -> None:
        put = self.q.put
        for item in self.source(self.index):
            put(item, True)  # block=True: wait for room


class Consumer(ctx.Process):  # type: ignore[misc,name-defined]
    def __init__(self, q, sink) -> None:
        super().__init__()
        self.q, self.sink = q, sink

    def run(self) -> None:
        item = self.q.get()
        while not isinstance(item, Done):
            self.sink(item)
            item = self.q.get()


def run_pipeline(
    source: Callable[[int], Iterable[object]],
    sink: Callable[[object], object],
    producers: int,
    consumers: int,
    maxsize: int,
) -> None:
    q = ctx.Queue(maxsize=maxsize)
    takers = [Consumer(q, sink) for _ in range(consumers)]
    for c in takers:  # consumers first this time: the order of start() does not matter
        c.start()
    makers = []
    for k in range(producers):
        p = Producer(q, source, k)
        p.start()
        makers.append(p)
    while makers:
        makers.pop().join()
    for _ in range(consumers):
        q.put(Done())
    for c in takers:
        c.join()


def _feed(q, source) -> None:
    for item in source():
        q.put(item)
    q.put(Done())


def collect(source: Callable[[], Iterable[object]], count: int, timeout: float) -> list[object]:
    q = ctx.Queue()
    producer = ctx.Process(target=_feed, args=(q, source), daemon=True)
    producer.start()
    got: list[object] = []
    try:
        for _ in range(count):
            try:
                item = q.get(True, timeout)
            except queue.Empty:
                break
            if isinstance(item, Done):
                break
            got.append(item)
    finally:
        if producer.is_alive():
            producer.kill()
        producer.join()
    return got

"""Exercise 08, written another way: the workers are a Process subclass, the queues are
SimpleQueues (no feeder thread: a put writes straight into the pipe), the sentinel is a
string, results are gathered in a dict keyed by index, and the failing item's exception is
raised from a finally-free flow after the joins.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

DONE = "done"  # this pool's sentinel; real tasks are (index, item) tuples


class Worker(multiprocessing.Process):
    def __init__(self, func: Any, tasks: Any, results: Any) -> None:
        super().__init__()
        self.func = func
        self.tasks = tasks
        self.results = results

    def run(self) -> None:
        for task in iter(self.tasks.get, DONE):
            index, item = task
            try:
                outcome = ("ok", self.func(item))
            except Exception as exc:
                outcome = ("error", exc)
            self.results.put((index, outcome))


def pool_map(func: Any, items: Any, workers: int) -> list[Any]:
    ctx = multiprocessing.get_context()
    tasks, results = ctx.SimpleQueue(), ctx.SimpleQueue()
    crew = [Worker(func, tasks, results) for _ in range(workers)]
    for member in crew:
        member.start()
    items = list(items)
    for task in enumerate(items):
        tasks.put(task)
    for _ in crew:
        tasks.put(DONE)
    got = dict(results.get() for _ in items)
    for member in crew:
        member.join()
    for index in range(len(items)):
        kind, value = got[index]
        if kind == "error":
            raise value
    return [got[index][1] for index in range(len(items))]

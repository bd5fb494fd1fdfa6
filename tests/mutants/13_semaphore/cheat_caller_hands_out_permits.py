"""Cheat: no semaphore. Every process is started first, as the README asks, but each one
blocks reading a pipe of its own for its turn, and the caller hands out the turns itself: it
gives `limit` of them, waits on the processes' sentinels, and gives the next turn when one has
ended. The count inside never goes over `limit`, and every process was started before the
first one left, yet the waiting ones wait in the caller's plans (a `read` on a pipe), not on a
semaphore.

Must fail: test_never_more_than_limit_inside, test_limit_workers_inside_at_once,
test_a_failing_task_gives_back_its_permit
"""

import os
from multiprocessing import Process
from multiprocessing.connection import wait


def _wait_for_turn(turn, task, item):
    os.read(turn, 1)  # blocks until the caller says "your turn"
    task(item)


def run_limited(task, items, limit):
    turns = [os.pipe() for _ in items]
    workers = [
        Process(target=_wait_for_turn, args=(r, task, item))
        for (r, _), item in zip(turns, items)
    ]
    for worker in workers:
        worker.start()
    for r, _ in turns:
        os.close(r)
    given, running = 0, {}
    while given < len(workers) or running:
        while given < len(workers) and len(running) < limit:
            os.write(turns[given][1], b"x")
            os.close(turns[given][1])
            running[workers[given].sentinel] = workers[given]
            given += 1
        for ready in wait(list(running)):
            running.pop(ready).join()
    return [worker.exitcode for worker in workers]

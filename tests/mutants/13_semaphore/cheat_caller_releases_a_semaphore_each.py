"""Cheat: every process is started first, and each waits on a multiprocessing semaphore, but
on one of its own (Semaphore(0)): the caller hands out the turns by releasing them itself, a
new one each time a process ends. The waiting workers do sleep in futex on a semaphore page,
yet no two on the same semaphore: the caller, not a shared count, decides who waits.

Must fail: test_never_more_than_limit_inside, test_limit_workers_inside_at_once,
test_a_failing_task_gives_back_its_permit
"""

from multiprocessing import Process, Semaphore
from multiprocessing.connection import wait


def _wait_for_turn(turn, task, item):
    turn.acquire()
    task(item)


def run_limited(task, items, limit):
    turns = [Semaphore(0) for _ in items]
    workers = [
        Process(target=_wait_for_turn, args=(turn, task, item)) for turn, item in zip(turns, items)
    ]
    for worker in workers:
        worker.start()
    given, running = 0, {}
    while given < len(workers) or running:
        while given < len(workers) and len(running) < limit:
            turns[given].release()
            running[workers[given].sentinel] = workers[given]
            given += 1
        for ready in wait(list(running)):
            running.pop(ready).join()
    return [worker.exitcode for worker in workers]

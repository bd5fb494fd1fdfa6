"""Cheat: no semaphore. The caller runs its own pool: it starts at most `limit` processes,
waits on their sentinels, and starts the next one only when one has ended. The count inside
never goes over `limit`, but nobody ever waits for a permit.

Must fail: test_never_more_than_limit_inside, test_limit_workers_inside_at_once,
test_a_failing_task_gives_back_its_permit
"""

from multiprocessing import Process
from multiprocessing.connection import wait


def run_limited(task, items, limit):
    workers = [Process(target=task, args=(item,)) for item in items]
    running = []
    waiting = list(workers)
    while waiting or running:
        while waiting and len(running) < limit:
            worker = waiting.pop(0)
            worker.start()
            running.append(worker)
        ready = wait([worker.sentinel for worker in running])
        for worker in list(running):
            if worker.sentinel in ready:
                worker.join()
                running.remove(worker)
    return [worker.exitcode for worker in workers]

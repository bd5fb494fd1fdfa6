"""A Lock instead of a semaphore: correct, but one at a time — the permits are wasted.

Must fail: test_limit_workers_inside_at_once
"""

from multiprocessing import Lock


def run_limited(task, items, limit):
    seats = Lock()
    workers = [Process(target=_worker, args=(seats, task, item)) for item in items]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [worker.exitcode for worker in workers]

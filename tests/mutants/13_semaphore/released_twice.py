"""A permit given back twice (an explicit release() inside the with block) with a plain
Semaphore: each finished task leaves one permit too many behind.

Must fail: test_never_more_than_limit_inside
"""

from multiprocessing import Semaphore


def run_limited(task, items, limit):
    seats = Semaphore(limit)
    workers = [Process(target=_worker, args=(seats, task, item)) for item in items]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [worker.exitcode for worker in workers]


def _worker(seats, task, item):
    with seats:
        task(item)
        seats.release()

"""Part 1's semaphore from a Manager: it lives in the manager's server process, a
threading.BoundedSemaphore behind a proxy, so a worker that waits for a permit waits on a
socket to that server (read()), not on a multiprocessing semaphore. The kernel cannot tell
that wait from a caller handing out turns over pipes, and the README asks for
multiprocessing's own Semaphore.

Must fail: test_never_more_than_limit_inside, test_limit_workers_inside_at_once,
test_a_failing_task_gives_back_its_permit
"""

import multiprocessing
from collections.abc import Callable


def _worker(seats, task: Callable[[str], object], item: str) -> None:
    seats.acquire()
    try:
        task(item)
    finally:
        seats.release()


def run_limited(task: Callable[[str], object], items: list[str], limit: int) -> list[int]:
    with multiprocessing.Manager() as manager:
        seats = manager.BoundedSemaphore(limit)
        workers = [
            multiprocessing.Process(target=_worker, args=(seats, task, item)) for item in items
        ]
        for worker in workers:
            worker.start()
        for worker in reversed(workers):
            worker.join()
    return [worker.exitcode for worker in workers]



"""start() then join() in the same loop: the processes run one after the other, and the
semaphore never has anybody to hold back.

Must fail: test_limit_workers_inside_at_once
"""


def run_limited(task, items, limit):
    seats = BoundedSemaphore(limit)
    workers = []
    for item in items:
        worker = Process(target=_worker, args=(seats, task, item))
        worker.start()
        worker.join()
        workers.append(worker)
    return [worker.exitcode for worker in workers]

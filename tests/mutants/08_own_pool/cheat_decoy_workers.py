"""Cheat: `workers` decoy processes are started and joined, properly, with sentinels - but
they only take their sentinel; the caller computes every item itself, in order.

Must fail: test_results_come_back_in_task_order, test_workers_are_started_once_and_reused,
test_every_worker_ends_and_is_joined
"""


def _idle(tasks):
    while tasks.get() is not STOP:
        pass


def pool_map(func, items, workers):
    tasks = multiprocessing.Queue()
    pool = [multiprocessing.Process(target=_idle, args=(tasks,)) for _ in range(workers)]
    for process in pool:
        process.start()
    for _ in pool:
        tasks.put(STOP)
    try:
        return [func(item) for item in items]
    finally:
        for process in pool:
            process.join()

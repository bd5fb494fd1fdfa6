"""Cheat: the "workers" are threads of the caller, fed from a queue.Queue - the right values in
the right order, with no worker process at all.

Must fail: test_workers_are_started_once_and_reused, test_every_worker_ends_and_is_joined
"""

import queue
import threading


def pool_map(func, items, workers):
    tasks = queue.Queue()
    results = queue.Queue()
    threads = [threading.Thread(target=worker, args=(func, tasks, results)) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    for _ in threads:
        tasks.put(STOP)
    values = [None] * len(items)
    errors = {}
    for _ in range(len(items)):
        index, ok, value = results.get()
        if ok:
            values[index] = value
        else:
            errors[index] = value
    for thread in threads:
        thread.join()
    if errors:
        raise errors[min(errors)]
    return values

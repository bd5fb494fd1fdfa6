"""A new Process per item (results sent back through a Queue): as many processes as items,
the very cost a pool exists to avoid.

Must fail: test_pool_has_exactly_workers_processes
"""


def _run_one(func, index, item, queue):
    queue.put((index, func(item)))


def parallel_map(func, items, workers):
    queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_run_one, args=(func, i, item, queue))
        for i, item in enumerate(items)
    ]
    for p in procs:
        p.start()
    results = dict(queue.get() for _ in procs)  # take the results before joining
    for p in procs:
        p.join()
    return [results[i] for i in range(len(items))]

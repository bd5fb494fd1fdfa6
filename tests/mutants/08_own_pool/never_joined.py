"""Daemon workers that are never joined: "they end by themselves after the sentinel". They do
end, but nobody reaps them - zombies (or still running) when pool_map returns.

Must fail: test_every_worker_ends_and_is_joined
"""


def pool_map(func, items, workers):
    tasks = multiprocessing.Queue()
    results = multiprocessing.Queue()
    pool = [
        multiprocessing.Process(target=worker, args=(func, tasks, results), daemon=True)
        for _ in range(workers)
    ]
    for process in pool:
        process.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    for _ in pool:
        tasks.put(STOP)
    values = [None] * len(items)
    errors = {}
    for _ in range(len(items)):
        index, ok, value = results.get()
        if ok:
            values[index] = value
        else:
            errors[index] = value
    if errors:
        raise errors[min(errors)]
    return values

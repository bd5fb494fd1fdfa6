"""A new Process for every item (all started at once, each doing one task): right results,
but no pool - as many processes as items.

Must fail: test_workers_are_started_once_and_reused, test_every_worker_ends_and_is_joined
"""


def _one(func, index, item, results):
    try:
        results.put((index, True, func(item)))
    except Exception as exc:
        results.put((index, False, exc))


def pool_map(func, items, workers):
    results = multiprocessing.Queue()
    pool = [
        multiprocessing.Process(target=_one, args=(func, index, item, results))
        for index, item in enumerate(items)
    ]
    for process in pool:
        process.start()
    values = [None] * len(items)
    errors = {}
    for _ in range(len(items)):
        index, ok, value = results.get()
        if ok:
            values[index] = value
        else:
            errors[index] = value
    for process in pool:
        process.join()
    if errors:
        raise errors[min(errors)]
    return values

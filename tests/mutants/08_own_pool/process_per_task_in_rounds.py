"""A new Process for every item, but never more than `workers` at a time: rounds of
`workers` processes, each round started, drained and joined before the next. The number of
processes at once looks right; the workers are never reused.

Must fail: test_workers_are_started_once_and_reused
"""


def _one(func, index, item, results):
    try:
        results.put((index, True, func(item)))
    except Exception as exc:
        results.put((index, False, exc))


def pool_map(func, items, workers):
    results = multiprocessing.Queue()
    values = [None] * len(items)
    errors = {}
    indexed = list(enumerate(items))
    for start in range(0, len(indexed), workers):
        batch = indexed[start : start + workers]
        pool = [multiprocessing.Process(target=_one, args=(func, i, x, results)) for i, x in batch]
        for process in pool:
            process.start()
        for _ in batch:
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

"""async_map closes the pool but never joins it: the workers exit and nobody reaps them.

Must fail: test_no_worker_left_behind
"""


def async_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    pending = [pool.apply_async(func, (item,)) for item in items]
    pool.close()
    outcomes = []
    for result in pending:
        try:
            outcomes.append(("ok", result.get()))
        except Exception as exc:
            outcomes.append(("error", type(exc).__name__, str(exc)))
    return outcomes

"""async_map calls get() right after each apply_async: each task is waited for before the next
is submitted, so the tasks run one at a time.

Must fail: test_tasks_overlap_in_time
"""


def async_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    outcomes = []
    try:
        for item in items:
            try:
                outcomes.append(("ok", pool.apply_async(func, (item,)).get()))
            except Exception as exc:
                outcomes.append(("error", type(exc).__name__, str(exc)))
    finally:
        pool.close()
        pool.join()
    return outcomes

"""The exception raised by the task is swallowed: the failing item's result becomes None and
the caller never learns that it failed.

Must fail: test_error_reaches_the_caller
"""


def _call_quietly(job):
    func, item = job
    try:
        return func(item)
    except Exception:
        return None


def parallel_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    try:
        return pool.map(_call_quietly, [(func, item) for item in items])
    finally:
        pool.close()
        pool.join()

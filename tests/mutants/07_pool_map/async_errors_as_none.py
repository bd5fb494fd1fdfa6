"""async_map turns a failed task into ("ok", None): the error is lost.

Must fail: test_async_collects_every_error
"""


def async_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    pending = [pool.apply_async(func, (item,)) for item in items]
    pool.close()
    pool.join()
    return [("ok", result.get() if result.successful() else None) for result in pending]

"""close() and join() come after map(), not in a finally block: when a task raises, they are
skipped and the workers stay alive.

Must fail: test_no_worker_left_after_an_error
"""


def parallel_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    results = pool.map(func, items)
    pool.close()
    pool.join()
    return results

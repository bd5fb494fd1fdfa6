"""The pool is never closed nor joined: its workers wait for more tasks after the call returns
(CPython may terminate the pool when it is garbage-collected, but nothing guarantees when).

Must fail: test_no_worker_left_behind
"""


def parallel_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    return pool.map(func, items)

"""A ThreadPool instead of a process Pool: the tasks run in threads of the caller's own process.

Must fail: test_pool_has_exactly_workers_processes
"""

from multiprocessing.pool import ThreadPool


def parallel_map(func, items, workers):
    pool = ThreadPool(workers)
    try:
        return pool.map(func, items)
    finally:
        pool.close()
        pool.join()

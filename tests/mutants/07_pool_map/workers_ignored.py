"""`workers` is ignored: Pool() starts one process per CPU (2 on the grading box, not 3 or 1).

Must fail: test_pool_has_exactly_workers_processes
"""


def parallel_map(func, items, workers):
    pool = multiprocessing.Pool()
    try:
        return pool.map(func, items)
    finally:
        pool.close()
        pool.join()

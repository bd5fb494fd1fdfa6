"""`imap_unordered`: the results come back in the order the tasks finish, not the input order.

Must fail: test_results_come_back_in_input_order
"""


def parallel_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    try:
        return list(pool.imap_unordered(func, items))
    finally:
        pool.close()
        pool.join()

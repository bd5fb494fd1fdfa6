"""The pool is sized min(workers, len(items)) to "save processes": with no items that is
Pool(0), which raises ValueError.

Must fail: test_empty_input_gives_an_empty_list
"""


def parallel_map(func, items, workers):
    pool = multiprocessing.Pool(min(workers, len(items)))
    try:
        return pool.map(func, items)
    finally:
        pool.close()
        pool.join()

"""async_map collects results with a callback that appends to a list: callbacks run in the
order the tasks finish, so the input order is lost.

Must fail: test_results_come_back_in_input_order
"""


def async_map(func, items, workers):
    outcomes = []
    pool = multiprocessing.Pool(workers)
    try:
        for item in items:
            pool.apply_async(
                func,
                (item,),
                callback=lambda value: outcomes.append(("ok", value)),
                error_callback=lambda exc: outcomes.append(("error", type(exc).__name__, str(exc))),
            )
    finally:
        pool.close()
        pool.join()
    return outcomes

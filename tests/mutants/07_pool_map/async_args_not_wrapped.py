"""async_map passes a tuple item as apply_async's argument tuple itself ("args must be a
tuple, and it already is one"): func is called with the tuple's elements, unpacked.

Must fail: test_any_items_and_a_second_call
"""


def async_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    try:
        pending = [
            pool.apply_async(func, item if isinstance(item, tuple) else (item,)) for item in items
        ]
    finally:
        pool.close()
        pool.join()
    outcomes = []
    for result in pending:
        try:
            outcomes.append(("ok", result.get()))
        except Exception as exc:
            outcomes.append(("error", type(exc).__name__, str(exc)))
    return outcomes

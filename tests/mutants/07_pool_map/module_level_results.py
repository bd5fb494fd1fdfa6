"""async_map collects (index, entry) pairs in a list made once, at module level, and sorts
them by index: right in a fresh program, but a second call returns the first call's entries
too.

Must fail: test_any_items_and_a_second_call
"""

_collected = []


def async_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    try:
        for index, item in enumerate(items):
            pool.apply_async(
                func,
                (item,),
                callback=lambda value, i=index: _collected.append((i, ("ok", value))),
                error_callback=lambda exc, i=index: _collected.append(
                    (i, ("error", type(exc).__name__, str(exc)))
                ),
            )
    finally:
        pool.close()
        pool.join()
    return [entry for _, entry in sorted(_collected, key=lambda pair: pair[0])]

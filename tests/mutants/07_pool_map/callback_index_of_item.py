"""async_map stores each callback's entry at `items.index(item)`: with an item that appears
twice, both entries land at the first one's place and the second place stays empty.

Must fail: test_any_items_and_a_second_call
"""


def async_map(func, items, workers):
    entries = [None] * len(items)

    def keep(item):
        def ok(value):
            entries[items.index(item)] = ("ok", value)

        def failed(exc):
            entries[items.index(item)] = ("error", type(exc).__name__, str(exc))

        return ok, failed

    pool = multiprocessing.Pool(workers)
    try:
        for item in items:
            ok, failed = keep(item)
            pool.apply_async(func, (item,), callback=ok, error_callback=failed)
    finally:
        pool.close()
        pool.join()
    return entries

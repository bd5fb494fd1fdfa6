"""async_map reports an error's message as `exc.args[0]` instead of `str(exc)`: the same for
most exceptions, but not for a KeyError (whose str() is quoted) nor for an exception raised
without arguments.

Must fail: test_async_collects_every_error
"""


def async_map(func, items, workers):
    pool = multiprocessing.Pool(workers)
    try:
        pending = [pool.apply_async(func, (item,)) for item in items]
    finally:
        pool.close()
        pool.join()
    outcomes = []
    for result in pending:
        try:
            outcomes.append(("ok", result.get()))
        except Exception as exc:
            outcomes.append(("error", type(exc).__name__, exc.args[0] if exc.args else ""))
    return outcomes

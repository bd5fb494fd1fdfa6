"""A plain `map`: every item is computed in the caller, one after another. Right values,
no pool, no parallelism.

Must fail: test_pool_has_exactly_workers_processes, test_tasks_overlap_in_time
"""


def parallel_map(func, items, workers):
    return list(map(func, items))

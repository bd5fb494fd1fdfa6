"""Cheat (the one of issue 8, which scored 26/26 against the old spec): no pool, no task is
ever called. The function invents what a pool's tasks would have reported: for each item a
tuple (item, item * item, pid, start, end) with pids taking turns among `workers` made-up
processes and intervals that overlap as a parallel run's would.

Must fail: test_results_come_back_in_input_order, test_pool_has_exactly_workers_processes,
test_tasks_overlap_in_time, test_no_worker_left_behind, test_any_items_and_a_second_call
"""


def _invented(items, workers):
    now = time.monotonic()
    fake_pids = [os.getpid() + 1 + w for w in range(workers)]
    return [
        (
            item,
            item * item if isinstance(item, int) else item,
            fake_pids[i % workers],
            now + 0.25 * (i // workers),
            now + 0.25 * (i // workers + 1),
        )
        for i, item in enumerate(items)
    ]


def parallel_map(func, items, workers):
    return _invented(items, workers)


def async_map(func, items, workers):
    return [("ok", entry) for entry in _invented(items, workers)]

"""multiprocessing.Pool instead of a pool of one's own: the exercise is to build it.

Must fail: test_results_come_back_in_task_order, test_workers_are_started_once_and_reused,
test_every_worker_ends_and_is_joined, test_a_task_error_reaches_the_caller,
test_big_results_do_not_deadlock
"""


def pool_map(func, items, workers):
    with multiprocessing.Pool(workers) as pool:
        return pool.map(func, items)

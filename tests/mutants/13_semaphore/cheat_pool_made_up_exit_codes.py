"""Cheat: Pool(limit, maxtasksperchild=1), no semaphore: each item in a fresh pool worker,
at most `limit` workers alive; the exit codes are made up from the results (a pool worker
catches the exception and ends with 0).

Must fail: test_never_more_than_limit_inside, test_limit_workers_inside_at_once,
test_a_failing_task_gives_back_its_permit, test_exit_codes_come_from_the_workers
"""

import multiprocessing


def run_limited(task, items, limit):
    with multiprocessing.Pool(limit, maxtasksperchild=1) as pool:
        results = [pool.apply_async(task, (item,)) for item in items]
        codes = []
        for result in results:
            try:
                result.get()
                codes.append(0)
            except Exception:
                codes.append(1)
        pool.close()
        pool.join()
    return codes

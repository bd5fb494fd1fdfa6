"""Cheat: the work runs in threads of the caller (a ThreadPool), while `workers` decoy
processes spin on the CPU beside it, so that the process table shows a busy pool of the right
size. The results are right; no task ever runs outside the caller.

Must fail: test_pool_has_exactly_workers_processes, test_tasks_overlap_in_time,
test_no_worker_left_behind
"""

from multiprocessing.pool import ThreadPool


def _spin(stop):
    while not stop.is_set():
        pass


def _with_decoys(workers, work):
    stop = multiprocessing.Event()
    decoys = [multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(workers)]
    for decoy in decoys:
        decoy.start()
    try:
        return work()
    finally:
        stop.set()
        for decoy in decoys:
            decoy.join()


def parallel_map(func, items, workers):
    def work():
        with ThreadPool(workers) as pool:
            return pool.map(func, items)

    return _with_decoys(workers, work)


def async_map(func, items, workers):
    def work():
        with ThreadPool(workers) as pool:
            pending = [pool.apply_async(func, (item,)) for item in items]
            outcomes = []
            for result in pending:
                try:
                    outcomes.append(("ok", result.get()))
                except Exception as exc:
                    outcomes.append(("error", type(exc).__name__, str(exc)))
            return outcomes

    return _with_decoys(workers, work)

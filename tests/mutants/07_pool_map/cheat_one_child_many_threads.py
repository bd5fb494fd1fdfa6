"""Cheat: threads dressed up as processes. ONE child process runs every task in its own
threads and sends the results back through a Pipe, and `workers - 1` idle decoy processes
make the count of processes look right. Nothing runs in the caller, and nothing is left
behind; but there is one worker, not `workers` of them.

Must fail: test_pool_has_exactly_workers_processes, test_tasks_overlap_in_time
"""

from multiprocessing.pool import ThreadPool


def _attempt(func, item):
    try:
        return ("ok", func(item))
    except Exception as exc:
        return ("error", exc)


def _child(func, items, workers, conn):
    with ThreadPool(workers) as pool:
        conn.send(pool.starmap(_attempt, [(func, item) for item in items]))
    conn.close()


def _idle(conn):
    conn.recv()  # until the caller closes its end


def _in_one_child(func, items, workers):
    there, here = multiprocessing.Pipe()
    child = multiprocessing.Process(target=_child, args=(func, items, workers, there))
    idle_there, idle_here = multiprocessing.Pipe()
    decoys = [multiprocessing.Process(target=_idle, args=(idle_there,)) for _ in range(workers - 1)]
    for process in [child, *decoys]:
        process.start()
    try:
        return here.recv()
    finally:
        for _ in decoys:
            idle_here.send("done")
        child.join()
        for decoy in decoys:
            decoy.join()


def parallel_map(func, items, workers):
    results = []
    for kind, value in _in_one_child(func, items, workers):
        if kind == "error":
            raise value
        results.append(value)
    return results


def async_map(func, items, workers):
    return [
        (kind, value) if kind == "ok" else (kind, type(value).__name__, str(value))
        for kind, value in _in_one_child(func, items, workers)
    ]

"""Cheat: the children send their results back through a Queue and the parent builds the
answer from them: right values, real children, and no shared memory at all.

Must fail: test_readings_live_in_shared_memory,
test_each_piece_is_written_by_a_child_into_shared_memory
"""

import multiprocessing


def _send(call, index, queue):
    queue.put((index, call(index)))


def _by_queue(call, n):
    queue = multiprocessing.Queue()
    workers = [Process(target=_send, args=(call, i, queue)) for i in range(n)]
    for worker in workers:
        worker.start()
    results = dict(queue.get() for _ in workers)  # get before join
    for worker in workers:
        worker.join()
    return [results[i] for i in range(n)]


def collect_readings(read, n):
    return [tuple(pair) for pair in _by_queue(read, n)]


def gather_bytes(fetch, sizes):
    return b"".join(_by_queue(fetch, len(sizes)))

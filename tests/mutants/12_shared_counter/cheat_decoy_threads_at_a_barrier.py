"""Cheat: `workers` threads are started and wait at a barrier doing nothing, so the process
has the right number of threads; the main thread calls bump() itself, under a lock.

Must fail: test_threads_are_real
"""


def count_with_threads(workers, increments):
    global total
    total = 0
    gate = threading.Barrier(workers + 1)
    decoys = [threading.Thread(target=gate.wait) for _ in range(workers)]
    for t in decoys:
        t.start()
    lock = threading.Lock()
    for _ in range(workers * increments):
        with lock:
            bump()
    gate.wait()
    for t in decoys:
        t.join()
    return total

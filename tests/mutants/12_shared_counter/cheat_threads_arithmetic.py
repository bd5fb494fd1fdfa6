"""Cheat: real threads are started and joined, but they do nothing; `total` is set by
arithmetic, as if every bump() added 1.

Must fail: test_threads_count_exactly, test_threads_are_real
"""


def count_with_threads(workers, increments):
    global total
    threads = [threading.Thread(target=time.sleep, args=(0.3,)) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = workers * increments
    return total

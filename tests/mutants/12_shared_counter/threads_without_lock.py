"""Threads call bump() without a lock: the switch point inside bump() loses updates.

Must fail: test_threads_count_exactly
"""


def count_with_threads(workers, increments):
    global total
    total = 0

    def work():
        for _ in range(increments):
            bump()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total

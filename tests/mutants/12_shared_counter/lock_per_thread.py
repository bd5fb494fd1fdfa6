"""Each thread makes its own threading.Lock: every thread holds a lock, but no two threads
share one, so bump() still runs in several threads at once.

Must fail: test_threads_count_exactly
"""


def count_with_threads(workers, increments):
    global total
    total = 0

    def work():
        lock = threading.Lock()
        for _ in range(increments):
            with lock:
                bump()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total

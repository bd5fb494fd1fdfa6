"""Each thread is started and joined before the next one starts (`t.start(); t.join()` in
one loop): exact, but never two threads at once.

Must fail: test_threads_count_exactly, test_threads_are_real
"""


def count_with_threads(workers, increments):
    global total
    total = 0
    lock = threading.Lock()

    def work():
        for _ in range(increments):
            with lock:
                bump()

    for _ in range(workers):
        t = threading.Thread(target=work)
        t.start()
        t.join()
    return total

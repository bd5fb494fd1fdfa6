"""Forgets to reset `total` to 0: the first call in a process is right, the next ones add
to what the previous call left. A fresh import for every call would hide it.

Must fail: test_threads_respect_the_arguments
"""


def count_with_threads(workers, increments):
    lock = threading.Lock()

    def work():
        for _ in range(increments):
            with lock:
                bump()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total

"""Cheat: threads with a threading.Semaphore dressed up as processes, exit codes made up.

Must fail: test_every_item_runs_in_a_child_of_its_own
"""


def run_limited(task, items, limit):
    import threading

    seats = threading.Semaphore(limit)
    codes = {}

    def body(index, item):
        with seats:
            try:
                task(item)
                codes[index] = 0
            except Exception:
                codes[index] = 1

    threads = [threading.Thread(target=body, args=(i, item)) for i, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [codes.get(i, 1) for i in range(len(items))]

"""Cheat: reap_while_working runs the tasks in threads, keeps calling work() while any is
alive, and returns the indexes in the order the threads finished: no child at all.

Must fail: test_poller_keeps_working_while_children_run, test_poller_collects_in_finish_order
"""


def reap_while_working(tasks, work):
    import threading

    finished = []
    lock = threading.Lock()

    def run(index, task):
        try:
            task()
        except Exception:
            pass
        with lock:
            finished.append(index)

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(tasks)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        work()
    return finished

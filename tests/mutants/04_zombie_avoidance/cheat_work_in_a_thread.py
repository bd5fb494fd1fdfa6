"""Cheat: the poller blocks in os.waitpid(-1, 0) in the caller's main thread, and a helper
thread calls work() over and over meanwhile: the work goes on, but the parent does block
while its children run, which Part 2 is about never doing.

Must fail: test_poller_keeps_working_while_children_run
"""

import threading


def reap_while_working(tasks, work):
    index_of = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _run_in_child(task)
        index_of[pid] = index
    done = threading.Event()

    def keep_working():
        while not done.is_set():
            work()

    helper = threading.Thread(target=keep_working, daemon=True)
    helper.start()
    finished = []
    try:
        while len(finished) < len(tasks):
            pid, _ = os.waitpid(-1, 0)  # blocks until some child ends
            finished.append(index_of[pid])
    finally:
        done.set()
        helper.join()
    return finished

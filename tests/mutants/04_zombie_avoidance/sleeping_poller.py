"""The poller uses WNOHANG but sleeps between polls instead of doing its work.

Must fail: test_poller_keeps_working_while_children_run
"""


def reap_while_working(tasks, work):
    import time

    index_of = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _run_in_child(task)
        index_of[pid] = index
    finished = []
    while len(finished) < len(tasks):
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.01)  # waiting, not working
            continue
        finished.append(index_of[pid])
        work()
    return finished

"""The poller keeps its results in a module-level list: the first call is right, the next
one returns the indexes of earlier calls too (a fresh import per call would hide it).

Must fail: test_poller_collects_in_finish_order
"""

_finished = []


def reap_while_working(tasks, work):
    index_of = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _run_in_child(task)
        index_of[pid] = index
    first = len(_finished)
    while len(_finished) - first < len(tasks):
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            work()
            continue
        _finished.append(index_of[pid])
    return _finished

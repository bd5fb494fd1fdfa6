"""The poller reports the children in the order they were forked, not the order they ended.

Must fail: test_poller_collects_in_finish_order
"""


def reap_while_working(tasks, work):
    pids = []
    for task in tasks:
        pid = os.fork()
        if pid == 0:
            _run_in_child(task)
        pids.append(pid)
    pending = set(pids)
    while pending:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            work()
        else:
            pending.discard(pid)
    return list(range(len(tasks)))

"""The poller decides on the status, as the notes' example does: status 0 is taken for
"nobody has ended yet", but a child that exits 0 has status 0 too, so it is never noted.

Must fail: test_poller_keeps_working_while_children_run, test_poller_collects_in_finish_order
"""


def reap_while_working(tasks, work):
    index_of = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _run_in_child(task)
        index_of[pid] = index
    finished = []
    while len(finished) < len(tasks):
        pid, status = os.waitpid(-1, os.WNOHANG)
        if status == 0:  # "nobody yet" -- or a child that exited 0
            work()
            continue
        finished.append(index_of[pid])
    return finished

"""The poller blocks in waitpid(-1, 0): no work() is done while children run.

Must fail: test_poller_keeps_working_while_children_run
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
        work()
        pid, _ = os.waitpid(-1, 0)  # blocks until some child ends
        finished.append(index_of[pid])
    return finished

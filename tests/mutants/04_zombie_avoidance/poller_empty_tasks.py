"""The poller polls before it checks whether anything is left: with no task at all,
os.waitpid(-1, WNOHANG) raises ChildProcessError (there is no child to wait for).

Must fail: test_poller_collects_in_finish_order
"""


def reap_while_working(tasks, work):
    index_of = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _run_in_child(task)
        index_of[pid] = index
    finished = []
    while True:
        pid, _ = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            work()
            continue
        finished.append(index_of[pid])
        if len(finished) == len(tasks):
            return finished

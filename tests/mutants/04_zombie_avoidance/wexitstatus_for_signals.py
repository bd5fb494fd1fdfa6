"""reap_all decodes with WEXITSTATUS only: right for exits, 0 for a child killed by a signal.

Must fail: test_killed_child_reports_the_signal
"""


def reap_all(codes):
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            _child_exits_with(code)
        pids.append(pid)
    return [os.WEXITSTATUS(os.waitpid(pid, 0)[1]) for pid in pids]

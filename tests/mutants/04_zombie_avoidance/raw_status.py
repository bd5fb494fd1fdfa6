"""reap_all returns the raw wait status: 512 for os._exit(2), 9 for a SIGKILL.

Must fail: test_exit_codes_are_returned, test_killed_child_reports_the_signal
"""


def reap_all(codes):
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            _child_exits_with(code)
        pids.append(pid)
    results = []
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        results.append(status)  # the status, not the exit code
    return results

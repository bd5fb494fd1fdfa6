"""fork_children returns the raw wait status instead of the exit code (exit 3 -> 768).

Must fail: test_exit_codes_come_back_through_wait, test_every_child_is_reaped
"""


def fork_children(codes):
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        pids.append(pid)
    results = []
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        results.append((pid, status))
    return results

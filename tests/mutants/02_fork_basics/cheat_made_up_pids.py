"""Cheat: real children and real exit codes, but made-up pids (numbers far from any child).

Must fail: test_children_are_forked_by_the_caller, test_exit_codes_come_back_through_wait
"""


def fork_children(codes):
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        pids.append(pid)
    results = []
    for i, pid in enumerate(pids):
        _, status = os.waitpid(pid, 0)
        results.append((10_000_000 + i, os.waitstatus_to_exitcode(status)))
    return results

"""The child of fork_children does not end: it falls out of the if, goes on running the
parent's loop (forking children of its own) and returns from the function.

Must fail: test_children_are_forked_by_the_caller, test_exit_codes_come_back_through_wait, test_every_child_is_reaped
"""


def fork_children(codes):
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            continue
        pids.append(pid)
    results = []
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        results.append((pid, os.waitstatus_to_exitcode(status)))
    return results

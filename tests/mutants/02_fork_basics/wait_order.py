"""fork_children collects the codes with os.wait() and pairs them with the pids in fork
order: os.wait() returns whichever child ended first, so codes land on the wrong child.

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
        _, status = os.wait()
        results.append((pid, os.waitstatus_to_exitcode(status)))
    return results

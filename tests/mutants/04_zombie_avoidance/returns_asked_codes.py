"""reap_all waits for every child but returns the codes it was asked for: "they ended with
the codes I gave them". A child that crashed or was killed from outside is misreported.

Must fail: test_results_come_from_the_wait_status, test_exit_codes_are_returned
"""


def reap_all(codes):
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            _child_exits_with(code)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return list(codes)

"""fork_children never waits: it returns the pids with the codes it was asked for, and
leaves its children behind (running or zombies).

Must fail: test_every_child_is_reaped, test_exit_codes_come_back_through_wait
"""


def fork_children(codes):
    results = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        results.append((pid, code))
    return results

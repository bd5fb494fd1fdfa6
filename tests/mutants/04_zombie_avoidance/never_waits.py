"""reap_all forks the children and never waits for them: every child stays a zombie.

Must fail: test_every_child_is_reaped
"""


def reap_all(codes):
    for code in codes:
        pid = os.fork()
        if pid == 0:
            _child_exits_with(code)
    return list(codes)  # "they will have ended with these codes anyway"

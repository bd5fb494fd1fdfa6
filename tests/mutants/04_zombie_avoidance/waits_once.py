"""reap_all calls os.wait() once for many children: it reaps one, the rest stay zombies.

Must fail: test_every_child_is_reaped
"""


def reap_all(codes):
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            _child_exits_with(code)
        pids.append(pid)
    if pids:
        os.wait()  # mistaken for "wait for the children": it collects exactly one
    return list(codes)

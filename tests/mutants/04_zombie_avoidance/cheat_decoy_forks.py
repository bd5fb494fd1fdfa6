"""Cheat: reap_all forks one decoy child per code (each exits 0), reaps them all, and
returns the codes it was given: real forks, real reaping, made-up results.

Must fail: test_results_come_from_the_wait_status, test_every_child_is_reaped
"""


def reap_all(codes):
    pids = []
    for _ in codes:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return list(codes)

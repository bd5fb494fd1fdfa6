"""Ends the held child with kill() (SIGKILL) instead of terminate(), and returns the exit code
the README shows, (True, -15), instead of what Process saw (-9).

Must fail: test_join_gives_up_after_the_timeout
"""


def run_with_timeout(target, timeout):
    worker = Process(target=target)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        worker.kill()  # SIGKILL, not terminate()
        worker.join()
        return True, -15  # a guess: the child really died of SIGKILL
    return False, worker.exitcode

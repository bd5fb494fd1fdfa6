"""After join(timeout) it reports the timeout but leaves the child running.

Must fail: test_join_gives_up_after_the_timeout
"""


def run_with_timeout(target, timeout):
    worker = Process(target=target)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return True, -15
    return False, worker.exitcode

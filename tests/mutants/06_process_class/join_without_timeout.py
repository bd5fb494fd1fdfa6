"""join() without the timeout: waits for ever for a child that never ends.

Must fail: test_join_gives_up_after_the_timeout
"""


def run_with_timeout(target, timeout):
    worker = Process(target=target)
    worker.start()
    worker.join()
    return worker.is_alive(), worker.exitcode

"""Sleeps the whole timeout instead of joining with it: a quick child is collected late.

Must fail: test_a_quick_child_is_joined_at_once
"""


def run_with_timeout(target, timeout):
    import time

    worker = Process(target=target)
    worker.start()
    time.sleep(timeout)
    timed_out = worker.is_alive()
    if timed_out:
        worker.terminate()
    worker.join()
    return timed_out, worker.exitcode

"""terminate() without the join() after it: exitcode is read before the child is reaped.

Must fail: test_join_gives_up_after_the_timeout
"""


def run_with_timeout(target, timeout):
    worker = Process(target=target)
    worker.start()
    worker.join(timeout)
    timed_out = worker.is_alive()
    if timed_out:
        worker.terminate()
    return timed_out, worker.exitcode

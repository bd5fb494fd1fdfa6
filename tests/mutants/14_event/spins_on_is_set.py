"""Waits by looping on gate.is_set() until the timeout: right answers, but every waiting
runner burns a CPU.

Must fail: test_runners_wait_at_the_shut_gate
"""


def runner(gate, lane, task, give_up, timeout):
    import time

    end = time.monotonic() + timeout
    while not gate.is_set() and time.monotonic() < end:
        pass
    if gate.is_set():
        task(lane)
    else:
        give_up(lane)

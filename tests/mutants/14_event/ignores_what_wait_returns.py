"""Waits with the timeout, but runs the task whatever wait() returned.

Must fail: test_runners_give_up_when_the_gate_stays_shut
"""


def runner(gate, lane, task, give_up, timeout):
    gate.wait(timeout)
    task(lane)

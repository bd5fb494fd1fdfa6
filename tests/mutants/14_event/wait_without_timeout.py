"""wait() without the timeout: a runner waits for ever at a gate that nobody opens.

Must fail: test_runners_give_up_when_the_gate_stays_shut
"""


def runner(gate, lane, task, give_up, timeout):
    gate.wait()
    task(lane)

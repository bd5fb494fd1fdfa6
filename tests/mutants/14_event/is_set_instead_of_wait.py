"""Looks at the gate once with is_set() instead of waiting: it is shut, so every runner
gives up at once.

Must fail: test_runners_wait_at_the_shut_gate, test_all_runners_start_together_once_it_opens, test_runners_give_up_when_the_gate_stays_shut
"""


def runner(gate, lane, task, give_up, timeout):
    if gate.is_set():
        task(lane)
    else:
        give_up(lane)

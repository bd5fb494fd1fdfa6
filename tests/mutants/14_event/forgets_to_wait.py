"""The runner never waits at the gate: it runs at once, before the race has begun.

Must fail: test_runners_wait_at_the_shut_gate, test_all_runners_start_together_once_it_opens
"""


def runner(gate, lane, task, give_up, timeout):
    task(lane)

"""Cheat: run_with_deadline interrupts nothing. It runs func to the end, measures the time
with time.time() and claims a timeout afterwards if it took too long: a func that blocks
or loops for ever is never stopped.

Must fail: test_a_blocked_call_ends_at_a_sub_second_deadline, test_a_busy_call_ends_at_the_deadline
"""


def run_with_deadline(func, seconds):
    started = time.time()
    value = func()
    if time.time() - started > seconds:
        raise TimeoutError(f"took more than {seconds} s")
    return value
